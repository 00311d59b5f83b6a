// The limits a node sets its clients (issue 12, "Slow consumers and limits"), one standalone
// node each: past --max-connections an upgrade gets 503 (with Retry-After) and the node stays
// usable; past --max-frame-rate a frame gets `rate_limited`, does nothing, and the connection
// stays open; a client whose reading stalls past --max-buffered-bytes is dropped, and the SDK
// catches up by sync once it reads again, every message once and in order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createClient, type ImClient } from '../../client/index.ts';
import { sleep } from '../../lib/async.ts';
import { createRandom } from '../../lib/random.ts';
import { eventLog } from '../client/events.ts';
import { type Cluster, startCluster } from '../support/cluster.ts';
import { startPausableProxy } from './pausable-proxy.ts';
import { connect, type Frame, isAckOrError, type TestClient } from './ws-client.ts';

const NODE = 'solo/n1';
const clients: TestClient[] = [];
const clusters: Cluster[] = [];

afterAll(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close().catch(() => {})));
  await Promise.all(clusters.splice(0).map((c) => c.stop()));
});

async function standalone(args: string[], members: string[]): Promise<Cluster> {
  const cluster = await startCluster({ regions: ['solo'], directory: false, serverArgs: args });
  clusters.push(cluster);
  const created = await cluster.admin(NODE, 'POST', '/admin/conversations', { id: 'room', members });
  expect(created.status).toBe(201);
  return cluster;
}

async function open(cluster: Cluster, user: string): Promise<TestClient> {
  const c = await connect(cluster.node('solo').wsUrl, cluster.token(user));
  clients.push(c);
  await c.waitFor((f) => f.type === 'welcome');
  return c;
}

async function metric(cluster: Cluster, name: string, label = ''): Promise<number> {
  const text = await (await fetch(`${cluster.node('solo').url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) && line.includes(label))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    else if (line.startsWith(`${name} `) && label === '') sum += Number(line.slice(name.length + 1));
  }
  return sum;
}

/** The raw HTTP answer to an upgrade that was refused. */
function refusedUpgrade(
  url: string,
): Promise<{ status: number; retryAfter: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], body });
        ws.terminate();
      });
    });
    ws.on('open', () => {
      ws.close();
      reject(new Error('upgrade was accepted'));
    });
    ws.on('error', () => {});
  });
}

describe('--max-connections', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await standalone(['--max-connections', '3'], ['u1', 'u2', 'u3', 'u4']);
  });

  it('refuses the upgrade past the limit with 503, Retry-After and a JSON error, and takes clients again', async () => {
    const held = [await open(cluster, 'u1'), await open(cluster, 'u2'), await open(cluster, 'u3')];
    const url = `${cluster.node('solo').wsUrl}?token=${cluster.token('u4')}`;
    const refused = await refusedUpgrade(url);
    expect(refused.status).toBe(503);
    expect(refused.retryAfter).toBe('1');
    expect(JSON.parse(refused.body)).toEqual({
      error: 'connection limit of 3 reached: try another node',
      status: 503,
    });
    expect(await metric(cluster, 'imserver_ws_upgrades_refused_total', 'connection_limit')).toBe(1);
    // The node keeps serving the sessions it has, and its HTTP API.
    held[0]!.send({ type: 'send', conv: 'room', cmid: 'at-limit', body: 'x' });
    expect(await held[0]!.waitFor(isAckOrError('at-limit'))).toMatchObject({ type: 'ack' });
    expect((await fetch(`${cluster.node('solo').url}/healthz`)).status).toBe(200);
    await held[1]!.close();
    const deadline = Date.now() + 5000;
    while ((await metric(cluster, 'imserver_ws_sessions')) > 2 && Date.now() < deadline) await sleep(20);
    const fourth = await open(cluster, 'u4');
    fourth.send({ type: 'sync', conv: 'room', afterSeq: 0 });
    expect(await fourth.waitFor((f) => f.type === 'synced')).toMatchObject({ seq: 1 });
  });

  it('refuses a limit out of its documented range at startup, naming the flag', async () => {
    await expect(
      startCluster({ regions: ['solo'], directory: false, serverArgs: ['--max-connections', '0'] }),
    ).rejects.toThrow(/--max-connections/);
    await expect(
      startCluster({ regions: ['solo'], directory: false, serverArgs: ['--max-frame-rate', '1e9'] }),
    ).rejects.toThrow(/--max-frame-rate/);
    await expect(
      startCluster({ regions: ['solo'], directory: false, serverArgs: ['--max-buffered-bytes', '1024'] }),
    ).rejects.toThrow(/--max-buffered-bytes/);
  });
});

describe('--max-frame-rate', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await standalone(['--max-frame-rate', '20'], ['alice']);
  });

  it('answers frames past the rate with rate_limited, one answer each, doing nothing for them', async () => {
    const c = await open(cluster, 'alice');
    const cmids = Array.from({ length: 50 }, (_, i) => `r${i}`);
    for (const cmid of cmids) c.send({ type: 'send', conv: 'room', cmid, body: cmid });
    const answers = await Promise.all(cmids.map((cmid) => c.waitFor(isAckOrError(cmid), 10_000, cmid)));
    await sleep(200);
    for (const cmid of cmids) expect(c.frames.filter(isAckOrError(cmid)), cmid).toHaveLength(1);
    const acked = answers.filter((a) => a.type === 'ack').map((a) => a.cmid);
    const limited = answers.filter((a) => a.type === 'error');
    // A burst of one second's worth, and the little that refills while 50 frames arrive.
    expect(acked.length).toBeGreaterThanOrEqual(20);
    expect(acked.length).toBeLessThanOrEqual(25);
    for (const e of limited) {
      expect(e).toMatchObject({ code: 'rate_limited', conv: 'room' });
      expect(String(e.message)).toMatch(/20 frames per second/);
    }
    const log = await cluster.admin(NODE, 'GET', '/admin/conversations/room/log');
    const stored = (log.body as { messages: { cmid: string }[] }).messages.map((m) => m.cmid);
    expect(stored).toEqual(acked);
    // Bad frames count too, and the connection stays open and usable once the rate allows.
    await sleep(1100);
    for (let i = 0; i < 30; i++) c.sendRaw('not json');
    await sleep(300);
    const errors = c.frames.filter((f: Frame) => f.type === 'error' && f.cmid === undefined);
    expect(errors.filter((f) => f.code === 'bad_frame').length).toBeGreaterThanOrEqual(20);
    expect(errors.filter((f) => f.code === 'rate_limited').length).toBeGreaterThan(0);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    await sleep(1100);
    c.send({ type: 'send', conv: 'room', cmid: 'after', body: 'x' });
    expect(await c.waitFor(isAckOrError('after'))).toMatchObject({ type: 'ack' });
    expect(await metric(cluster, 'imserver_errors_total', 'rate_limited')).toBe(
      limited.length + errors.filter((f) => f.code === 'rate_limited').length,
    );
  });
});

describe('--max-buffered-bytes', () => {
  let cluster: Cluster;
  const sdk: ImClient[] = [];
  beforeAll(async () => {
    cluster = await standalone(['--max-buffered-bytes', String(64 * 1024)], ['talker', 'reader']);
  });
  afterAll(async () => {
    await Promise.all(sdk.map((c) => c.close()));
  });

  it('drops an SDK client whose reading stalls; once it reads again it catches up by sync', async () => {
    const proxy = await startPausableProxy(Number(new URL(cluster.node('solo').url).port));
    try {
      const log = eventLog();
      const reader = createClient({
        user: 'reader',
        token: () => cluster.token('reader'),
        endpoints: [{ region: 'solo', url: proxy.wsUrl }],
        conversations: ['room'],
        backoff: { minMs: 50, maxMs: 200 },
        // Its own heartbeat would notice the stall and reconnect first: this is the node's doing.
        heartbeatMs: 0,
        random: createRandom('stalled-reader').next,
        onEvent: log.onEvent,
      });
      sdk.push(reader);
      reader.start();
      await log.waitFor('synced', undefined, 10_000);
      const talker = await open(cluster, 'talker');
      const body = (i: number): string => `${i}:${'b'.repeat(8 * 1024)}`;
      talker.send({ type: 'send', conv: 'room', cmid: 'm0', body: body(0) });
      await log.waitFor('delivered', (e) => e.cmid === 'm0', 10_000);

      proxy.pause();
      for (let i = 1; i <= 30; i++) {
        talker.send({ type: 'send', conv: 'room', cmid: `m${i}`, body: body(i) });
        expect(await talker.waitFor(isAckOrError(`m${i}`))).toMatchObject({ type: 'ack' });
      }
      const deadline = Date.now() + 10_000;
      while ((await metric(cluster, 'imserver_slow_consumers_total')) < 1 && Date.now() < deadline)
        await sleep(50);
      expect(await metric(cluster, 'imserver_slow_consumers_total', 'limit="session"')).toBe(1);
      // The talker, who reads, was not touched.
      expect(talker.ws.readyState).toBe(WebSocket.OPEN);

      proxy.resume();
      const delivered = await log.waitForCount('delivered', 31, undefined, 20_000);
      expect(delivered.map((e) => e.cmid)).toEqual(Array.from({ length: 31 }, (_, i) => `m${i}`));
      expect(delivered.map((e) => e.seq)).toEqual(Array.from({ length: 31 }, (_, i) => i + 1));
      expect(delivered.some((e) => e.via === 'sync')).toBe(true);
      expect(log.of('disconnected').length).toBeGreaterThanOrEqual(1);
      await sleep(300);
      expect(log.of('delivered')).toHaveLength(31);
    } finally {
      await proxy.close();
    }
  });
});
