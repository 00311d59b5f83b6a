// Each bug knob, shown by a direct test to produce the anomaly it names. The matching correct
// behaviour is asserted in standalone.int.test.ts and cluster.int.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { sleep } from '../../lib/async.ts';
import { type Cluster, startCluster } from '../support/cluster.ts';
import { connect, type Frame, isAck, isAckOrError, type TestClient } from './ws-client.ts';

let cluster: Cluster | null = null;
const clients: TestClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close().catch(() => {})));
  await cluster?.stop();
  cluster = null;
});

async function open(c: Cluster, region: string, user: string): Promise<TestClient> {
  const client = await connect(c.node(region).wsUrl, c.token(user));
  clients.push(client);
  await client.waitFor((f) => f.type === 'welcome');
  return client;
}

async function sendUntilAck(
  client: TestClient,
  conv: string,
  cmid: string,
  timeoutMs = 20_000,
): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const before = client.frames.length;
    client.send({ type: 'send', conv, cmid, body: cmid });
    const answer = await client.waitFor(
      (f) => client.frames.indexOf(f) >= before && isAckOrError(cmid)(f),
      timeoutMs,
    );
    if (answer.type === 'ack') return answer;
    if (answer.code !== 'unavailable') throw new Error(JSON.stringify(answer));
  }
  throw new Error(`no ack for ${cmid}`);
}

async function create(
  c: Cluster,
  on: string,
  id: string,
  members: string[],
): Promise<{ home: string; epoch: number }> {
  const res = await c.admin(on, 'POST', '/admin/conversations', { id, members });
  expect(res.status).toBe(201);
  return res.body as { home: string; epoch: number };
}

/** Waits until every node in `nodes` holds `count` messages of `conv`. */
async function heldBy(c: Cluster, nodes: string[], conv: string, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const counts = await Promise.all(
      nodes.map(
        async (n) =>
          ((await c.admin(n, 'GET', `/admin/conversations/${conv}/digest`)).body as { count: number }).count,
      ),
    );
    if (counts.every((x) => x === count)) return;
    await sleep(50);
  }
  throw new Error(`${conv} did not reach ${count} messages on ${nodes.join(', ')}`);
}

const logOf = async (c: Cluster, nodeId: string, conv: string) =>
  (
    (await c.admin(nodeId, 'GET', `/admin/conversations/${conv}/log`)).body as {
      messages: { seq: number; epoch: number; cmid: string }[];
    }
  ).messages;

describe('bug knobs', () => {
  it('no-dedup: a resent cmid gets a second seq', async () => {
    cluster = await startCluster({ regions: ['solo'], directory: false, bugs: ['no-dedup'] });
    await create(cluster, 'solo/n1', 'room', ['alice']);
    const alice = await open(cluster, 'solo', 'alice');
    const first = await sendUntilAck(alice, 'room', 'same-cmid');
    alice.frames.length = 0;
    const second = await sendUntilAck(alice, 'room', 'same-cmid');
    expect(second.seq).not.toBe(first.seq);
    const log = await logOf(cluster, 'solo/n1', 'room');
    expect(log.filter((m) => m.cmid === 'same-cmid')).toHaveLength(2);
  });

  it('drop-sync: sync silently skips a message yet reports itself synced', async () => {
    cluster = await startCluster({ regions: ['solo'], directory: false, bugs: ['drop-sync'] });
    await create(cluster, 'solo/n1', 'room', ['alice', 'bob']);
    const alice = await open(cluster, 'solo', 'alice');
    for (let i = 1; i <= 5; i++) await sendUntilAck(alice, 'room', `m${i}`);
    const bob = await open(cluster, 'solo', 'bob');
    bob.send({ type: 'sync', conv: 'room', afterSeq: 0 });
    const synced = await bob.waitFor((f) => f.type === 'synced');
    expect(synced.seq).toBe(5);
    const got = bob.frames.filter((f) => f.type === 'msg').map((f) => Number(f.seq));
    expect(got.length).toBeLessThan(5);
    expect(got).not.toContain(1);
  });

  it('ack-early: acks replicated while no other region could have stored it, and the ack is lost', async () => {
    cluster = await startCluster({ regions: ['r1', 'r2', 'r3'], leaseMs: 2000, bugs: ['ack-early'] });
    const c = cluster;
    const conv = await create(c, 'r1/n1', 'room', ['alice', 'bob']);
    const homeRegion = conv.home.split('/')[0]!;
    const followers = ['r1', 'r2', 'r3'].filter((r) => r !== homeRegion).map((r) => `${r}/n1`);
    const alice = await open(c, homeRegion, 'alice');
    await sendUntilAck(alice, 'room', 'safe');
    await heldBy(c, followers, 'room', 1);
    // With both other regions down nothing but the home can hold the next message.
    for (const f of followers) await c.kill(f, 'SIGKILL');
    alice.send({ type: 'send', conv: 'room', cmid: 'early', body: 'acked before replication' });
    const early = await alice.waitFor(isAck('early'), 2000);
    expect(early).toMatchObject({ level: 'replicated', seq: 2 });
    await c.kill(conv.home, 'SIGKILL');
    for (const f of followers) await c.restart(f);
    const bob = await open(c, followers[0]!.split('/')[0]!, 'bob');
    const after = await sendUntilAck(bob, 'room', 'after-failover', 30_000);
    expect(after.epoch).toBeGreaterThan(conv.epoch);
    // The anomaly: a `replicated` ack whose message the surviving regions never had.
    expect(after.seq).toBe(early.seq);
    const log = await logOf(c, followers[0]!, 'room');
    expect(log.map((m) => m.cmid)).not.toContain('early');
  });

  it('reorder-apply: a follower applies and pushes a batch out of seq order', async () => {
    cluster = await startCluster({
      regions: ['r1', 'r2'],
      ack: 'stored',
      leaseMs: 3000,
      bugs: ['reorder-apply'],
    });
    const c = cluster;
    const conv = await create(c, 'r1/n1', 'room', ['alice', 'bob']);
    const homeRegion = conv.home.split('/')[0]!;
    const follower = homeRegion === 'r1' ? 'r2' : 'r1';
    const alice = await open(c, homeRegion, 'alice');
    const bob = await open(c, follower, 'bob');
    await sendUntilAck(alice, 'room', 'warm-up');
    await bob.waitFor((f) => f.type === 'msg' && f.cmid === 'warm-up');
    // Hold the follower so the next messages reach it as one batch.
    await c.kill(`${follower}/n1`, 'SIGSTOP');
    try {
      for (let i = 0; i < 20; i++) alice.send({ type: 'send', conv: 'room', cmid: `m${i}`, body: `${i}` });
      await alice.waitFor(isAck('m19'));
      await sleep(300);
    } finally {
      await c.kill(`${follower}/n1`, 'SIGCONT');
    }
    for (let i = 0; i < 20; i++) await bob.waitFor((f) => f.type === 'msg' && f.cmid === `m${i}`);
    const seqs = bob.frames.filter((f) => f.type === 'msg').map((f) => Number(f.seq));
    const backwards = seqs.filter((s, i) => i > 0 && s < seqs[i - 1]!).length;
    expect(backwards).toBeGreaterThan(0);
  });

  it('no-fencing: a home whose lease lapsed keeps sequencing, so one seq holds two messages', async () => {
    cluster = await startCluster({
      regions: ['r1', 'r2', 'r3'],
      ack: 'stored',
      leaseMs: 2000,
      bugs: ['no-fencing'],
    });
    const c = cluster;
    const conv = await create(c, 'r1/n1', 'room', ['alice', 'bob']);
    const homeRegion = conv.home.split('/')[0]!;
    const other = ['r1', 'r2', 'r3'].find((r) => r !== homeRegion)!;
    const alice = await open(c, homeRegion, 'alice');
    const bob = await open(c, other, 'bob');
    await sendUntilAck(alice, 'room', 'before');
    await heldBy(c, ['r1/n1', 'r2/n1', 'r3/n1'], 'room', 1);
    await c.kill(conv.home, 'SIGSTOP');
    let moved: Frame;
    try {
      alice.send({ type: 'send', conv: 'room', cmid: 'stale-home', body: 'sequenced by the old home' });
      moved = await sendUntilAck(bob, 'room', 'new-home', 30_000);
      expect(moved.epoch).toBeGreaterThan(conv.epoch);
    } finally {
      await c.kill(conv.home, 'SIGCONT');
    }
    const stale = await alice.waitFor(isAckOrError('stale-home'), 20_000);
    // The anomaly: an ack under the old epoch for the seq the new home gave to another message.
    expect(stale).toMatchObject({ type: 'ack', epoch: conv.epoch, seq: moved.seq });
  });
});
