// Two regions with two nodes each: a follower in the home's own region delivers only what the
// home reports committed (its copy does not count toward W); every node converges; a killed
// home's conversations move to a survivor without losing an ack.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../../lib/async.ts';
import { type Cluster, startCluster } from '../support/cluster.ts';
import { connect, type Frame, isAckOrError, type TestClient } from './ws-client.ts';

let cluster: Cluster;
const clients: TestClient[] = [];
const IDS = ['r1/n1', 'r1/n2', 'r2/n1', 'r2/n2'];

beforeAll(async () => {
  cluster = await startCluster({ regions: ['r1', 'r2'], nodesPerRegion: 2, leaseMs: 2000 });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => {})));
  await cluster?.stop();
});

async function open(nodeId: string, user: string): Promise<TestClient> {
  const [region, node] = nodeId.split('/') as [string, string];
  const c = await connect(cluster.node(region, Number(node.slice(1)) - 1).wsUrl, cluster.token(user));
  clients.push(c);
  await c.waitFor((f) => f.type === 'welcome');
  return c;
}

async function sendUntilAck(c: TestClient, conv: string, cmid: string): Promise<Frame> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const before = c.frames.length;
    c.send({ type: 'send', conv, cmid, body: cmid });
    const answer = await c.waitFor((f) => c.frames.indexOf(f) >= before && isAckOrError(cmid)(f), 30_000);
    if (answer.type === 'ack') return answer;
    if (answer.code !== 'unavailable') throw new Error(JSON.stringify(answer));
  }
  throw new Error(`no ack for ${cmid}`);
}

async function converged(conv: string, nodes: string[]): Promise<{ hash: string; count: number }> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const ds = await Promise.all(
      nodes.map(
        async (n) =>
          (await cluster.admin(n, 'GET', `/admin/conversations/${conv}/digest`)).body as {
            hash: string;
            count: number;
          },
      ),
    );
    if (ds.every((d) => d.hash === ds[0]!.hash)) return ds[0]!;
    await sleep(100);
  }
  throw new Error(`${conv} did not converge`);
}

describe('two nodes per region', () => {
  it('delivers on every node, converges, and fails over within the cluster', async () => {
    const created = await cluster.admin('r2/n2', 'POST', '/admin/conversations', {
      id: 'multi',
      members: ['a', 'b'],
    });
    expect(created.status).toBe(201);
    const home = (created.body as { home: string }).home;
    const homeRegion = home.split('/')[0]!;
    const sameRegion = IDS.find((n) => n !== home && n.startsWith(`${homeRegion}/`))!;
    const elsewhere = IDS.filter((n) => !n.startsWith(`${homeRegion}/`));
    const watcher = await open(sameRegion, 'a');
    const sender = await open(elsewhere[1]!, 'b');
    const acked: Frame[] = [];
    for (let i = 0; i < 8; i++) acked.push(await sendUntilAck(sender, 'multi', `m${i}`));
    expect(acked.map((a) => a.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    for (let i = 0; i < 8; i++) await watcher.waitFor((f) => f.type === 'msg' && f.cmid === `m${i}`);
    expect(watcher.frames.filter((f) => f.type === 'msg').map((f) => f.seq)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8,
    ]);
    await converged('multi', IDS);

    await cluster.kill(home, 'SIGKILL');
    const after = await sendUntilAck(sender, 'multi', 'after');
    expect(after.epoch).toBeGreaterThan(1);
    expect(after.seq).toBe(9);
    const survivors = IDS.filter((n) => n !== home);
    const d = await converged('multi', survivors);
    expect(d.count).toBe(9);
    await cluster.restart(home);
    expect((await converged('multi', IDS)).count).toBe(9);
  });
});
