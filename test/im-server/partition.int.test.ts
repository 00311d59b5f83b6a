// A home cut off from every other region while it still reaches the directory (a partition in
// which the directory is on the majority's side of nothing): its conversations move to a region
// that can replicate, under a new epoch, without losing an acked message; after the heal the
// old home catches up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../../lib/async.ts';
import { type Cluster, startCluster } from '../support/cluster.ts';
import { type CutProxy, startCutProxy } from './tcp-cut.ts';
import { connect, type Frame, isAckOrError, type TestClient } from './ws-client.ts';

const REGIONS = ['r1', 'r2', 'r3'];
const CUT = 'r1/n1';
let cluster: Cluster;
const proxies = new Map<string, CutProxy>();
const targets = new Map<string, string>();
const clients: TestClient[] = [];

beforeAll(async () => {
  for (const other of ['r2/n1', 'r3/n1']) {
    for (const key of [`${CUT}->${other}`, `${other}->${CUT}`]) {
      proxies.set(
        key,
        await startCutProxy(() => {
          const url = new URL(targets.get(key)!);
          return { host: url.hostname, port: Number(url.port) };
        }),
      );
    }
  }
  cluster = await startCluster({
    regions: REGIONS,
    leaseMs: 2000,
    peerUrl: (from, to, url) => {
      const proxy = proxies.get(`${from}->${to}`);
      if (proxy === undefined) return url;
      targets.set(`${from}->${to}`, url);
      return proxy.url;
    },
  });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => {})));
  await cluster?.stop();
  await Promise.all([...proxies.values()].map((p) => p.close()));
});

async function sendUntilAck(c: TestClient, conv: string, cmid: string, timeoutMs = 30_000): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const before = c.frames.length;
    c.send({ type: 'send', conv, cmid, body: cmid });
    const answer = await c.waitFor((f) => c.frames.indexOf(f) >= before && isAckOrError(cmid)(f), timeoutMs);
    if (answer.type === 'ack') return answer;
    if (answer.code !== 'unavailable') throw new Error(JSON.stringify(answer));
  }
  throw new Error(`no ack for ${cmid}`);
}

describe('a home cut off from its followers', () => {
  it('hands its conversations to a region that can replicate, and catches up after the heal', async () => {
    // Find a conversation id that the directory homes at the region we are about to cut off.
    let conv = '';
    for (let i = 0; i < 60 && conv === ''; i++) {
      const res = await cluster.admin('r2/n1', 'POST', '/admin/conversations', {
        id: `cut-${i}`,
        members: ['u'],
      });
      if ((res.body as { home: string }).home === CUT) conv = `cut-${i}`;
    }
    expect(conv).not.toBe('');
    const c = await connect(cluster.node('r2').wsUrl, cluster.token('u'));
    clients.push(c);
    const acked: Frame[] = [];
    for (let i = 0; i < 5; i++) acked.push(await sendUntilAck(c, conv, `before-${i}`));
    expect(acked.every((a) => a.epoch === 1)).toBe(true);

    const stranded = await connect(cluster.node('r1').wsUrl, cluster.token('u'));
    clients.push(stranded);
    for (const p of proxies.values()) p.cut();
    const cutAt = Date.now();
    // The cut-off node sends its clients elsewhere and refuses new ones until it can serve again.
    expect((await stranded.closed).code).toBe(1001);
    await expect(connect(cluster.node('r1').wsUrl, cluster.token('u'))).rejects.toThrow(/503/);
    const moved = await sendUntilAck(c, conv, 'during-cut');
    const tookMs = Date.now() - cutAt;
    expect(moved.epoch).toBeGreaterThan(1);
    expect(tookMs).toBeLessThan(20_000);
    acked.push(moved);
    for (let i = 0; i < 3; i++) acked.push(await sendUntilAck(c, conv, `after-${i}`));
    const info = (await cluster.admin('r2/n1', 'GET', `/admin/conversations/${conv}`)).body as {
      home: string;
    };
    expect(['r2/n1', 'r3/n1']).toContain(info.home);

    for (const p of proxies.values()) p.heal();
    const deadline = Date.now() + 20_000;
    let digests: { hash: string; count: number }[] = [];
    while (Date.now() < deadline) {
      digests = await Promise.all(
        REGIONS.map(
          async (r) =>
            (await cluster.admin(`${r}/n1`, 'GET', `/admin/conversations/${conv}/digest`)).body as {
              hash: string;
              count: number;
            },
        ),
      );
      if (digests.every((d) => d.hash === digests[0]!.hash)) break;
      await sleep(100);
    }
    expect(digests.map((d) => d.hash)).toEqual([digests[0]!.hash, digests[0]!.hash, digests[0]!.hash]);
    // Within about a lease of the heal the node sees its links answer again and takes clients.
    let back: TestClient | null = null;
    for (let i = 0; i < 100 && back === null; i++) {
      back = await connect(cluster.node('r1').wsUrl, cluster.token('u')).catch(() => null);
      if (back === null) await sleep(100);
    }
    if (back === null) throw new Error('the healed node never accepted a client');
    clients.push(back);
    expect(await back.waitFor((f) => f.type === 'welcome')).toMatchObject({ region: 'r1' });
    const log = (
      (await cluster.admin(CUT, 'GET', `/admin/conversations/${conv}/log`)).body as {
        messages: { seq: number; cmid: string }[];
      }
    ).messages;
    const bySeq = new Map(log.map((m) => [m.seq, m.cmid]));
    for (const a of acked) expect(bySeq.get(Number(a.seq))).toBe(a.cmid);
    expect(log.map((m) => m.seq)).toEqual(log.map((_, i) => i + 1));
  });
});
