// The directory's election rules, driven by hand-written heartbeats against an in-process
// directory on loopback: who may become home, when, and under which epoch.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DirectoryServer, startDirectory } from '../../im-server/directory.ts';
import type { ConvRecord, HeartbeatResponse } from '../../im-server/internal-protocol.ts';
import { createLogger } from '../../im-server/log.ts';
import { sleep } from '../../lib/async.ts';

// Long enough that a loaded machine does not miss heartbeats the tests mean to send.
const LEASE_MS = 1000;
let directory: DirectoryServer;

beforeEach(async () => {
  directory = await startDirectory({
    host: '127.0.0.1',
    port: 0,
    leaseMs: LEASE_MS,
    logger: createLogger({}, 'error'),
  });
});
afterEach(async () => {
  await directory.close();
});

interface Beat {
  sinceVersion?: number;
  reports?: { conv: string; election: string; lastSeq: number; logEpoch: number }[];
  reachable?: string[];
  incarnation?: string;
}

async function beat(node: string, b: Beat = {}): Promise<HeartbeatResponse> {
  const [region, name] = node.split('/') as [string, string];
  const res = await fetch(`${directory.url}/v1/heartbeat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      nodeId: node,
      region,
      node: name,
      url: `http://${node}`,
      incarnation: b.incarnation ?? 'one',
      sinceVersion: b.sinceVersion ?? 0,
      reports: b.reports ?? [],
      ...(b.reachable === undefined ? {} : { reachable: b.reachable }),
    }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as HeartbeatResponse;
}

async function record(id: string): Promise<ConvRecord> {
  return (await (await fetch(`${directory.url}/v1/conversations/${id}`)).json()) as ConvRecord;
}

async function create(id: string, residency?: string[]): Promise<ConvRecord> {
  const res = await fetch(`${directory.url}/v1/conversations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id, members: ['u'], ...(residency === undefined ? {} : { residency }) }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as ConvRecord;
}

/** Heartbeats for `nodes` every 50 ms for `ms`; returns the last answer each got. */
async function keepAlive(nodes: string[], ms: number, b: (node: string) => Beat = () => ({})) {
  const last = new Map<string, HeartbeatResponse>();
  const end = Date.now() + ms;
  while (Date.now() < end) {
    for (const n of nodes) last.set(n, await beat(n, b(n)));
    await sleep(50);
  }
  return last;
}

const NODES = ['r1/n1', 'r2/n1', 'r3/n1'];

describe('directory elections', () => {
  it('elects the most complete log among all live candidates, under epoch + 1', async () => {
    for (const n of NODES) await beat(n);
    const created = await create('c');
    expect(created.epoch).toBe(1);
    const home = created.home!;
    const others = NODES.filter((n) => n !== home);
    // The home goes silent; the others keep renewing until the lease has lapsed.
    const answers = await keepAlive(others, LEASE_MS * 2);
    expect((await record('c')).home).toBeNull();
    const question = answers.get(others[0]!)!.reportRequests.find((r) => r.conv === 'c');
    expect(question).toBeDefined();
    const election = question!.election;

    // A report for another election is ignored; one candidate alone decides nothing.
    await beat(others[0]!, { reports: [{ conv: 'c', election: 'stale', lastSeq: 99, logEpoch: 9 }] });
    await beat(others[0]!, { reports: [{ conv: 'c', election, lastSeq: 7, logEpoch: 1 }] });
    expect((await record('c')).home).toBeNull();

    // A longer log of an older epoch loses to a log known to match the newest home.
    await beat(others[1]!, { reports: [{ conv: 'c', election, lastSeq: 5, logEpoch: 2 }] });
    const after = await record('c');
    expect(after.home).toBe(others[1]);
    expect(after.epoch).toBe(2);
  });

  it('stops waiting for a candidate whose lease lapses', async () => {
    for (const n of NODES) await beat(n);
    const home = (await create('d')).home!;
    const [a, b] = NODES.filter((n) => n !== home) as [string, string];
    const answers = await keepAlive([a, b], LEASE_MS * 2);
    const election = answers.get(a)!.reportRequests.find((r) => r.conv === 'd')!.election;
    await beat(a, { reports: [{ conv: 'd', election, lastSeq: 3, logEpoch: 1 }] });
    // b never answers and goes silent too: once its lease lapses, a alone decides.
    await keepAlive([a], LEASE_MS * 2);
    expect(await record('d')).toMatchObject({ home: a, epoch: 2 });
  });

  it('elects again when a home comes back as a new process', async () => {
    for (const n of NODES) await beat(n);
    const home = (await create('e')).home!;
    const answer = await beat(home, { incarnation: 'two' });
    expect((await record('e')).home).toBeNull();
    expect(answer.reportRequests.map((r) => r.conv)).toContain('e');
  });

  it('moves a conversation off a home that reaches no other region, once the home has stepped down', async () => {
    for (const n of NODES) await beat(n);
    const created = await create('f');
    const home = created.home!;
    const reach = (n: string): string[] =>
      n === home ? [] : NODES.filter((x) => x !== n).map((x) => x.split('/')[0]!);
    // The home reports itself cut off but never applies the change that moves its conversation.
    const answers = await keepAlive(NODES, 300, (n) => ({ reachable: reach(n) }));
    const moved = await record('f');
    expect(moved.home).toBeNull();
    const election = answers
      .get(NODES.find((n) => n !== home)!)!
      .reportRequests.find((r) => r.conv === 'f')!.election;
    const reports = (n: string) => (n === home ? [] : [{ conv: 'f', election, lastSeq: 0, logEpoch: 1 }]);
    await keepAlive(NODES, 200, (n) => ({ reachable: reach(n), reports: reports(n) }));
    // Every candidate reported, but the old home still holds its lease and has not applied the move.
    expect((await record('f')).home).toBeNull();
    // Now it has (its heartbeat reports the version that moved it): a successor is named.
    await beat(home, { reachable: [], sinceVersion: moved.version });
    const after = await record('f');
    expect(after.home).not.toBeNull();
    expect(after.home).not.toBe(home);
    expect(after.epoch).toBe(created.epoch + 1);
  });

  it('does not move anything when every node is cut off', async () => {
    // Every node reports itself cut off from its first heartbeat (unknown counts as reachable).
    for (const n of NODES) await beat(n, { reachable: [] });
    const created = await create('g');
    await keepAlive(NODES, 300, () => ({ reachable: [] }));
    expect(await record('g')).toMatchObject({ home: created.home, epoch: created.epoch });
  });
});
