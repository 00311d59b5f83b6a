// Prometheus's own linter over our real /metrics: a two-region cluster (directory and two node
// processes) and the fault proxy in front of one node's WebSocket port carry a little traffic,
// then `promtool check metrics` reads each exposition and must exit 0 without a warning. The
// unit test (names.test.ts) checks our rules; this one checks what Prometheus itself says,
// including prom-client's default metrics and the exposition format.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { sleep } from '../../lib/async.ts';
import { type FaultProxyServer, startFaultProxy } from '../../proxy/index.ts';
import { connect, type Frame, isAckOrError, type TestClient } from '../im-server/ws-client.ts';
import { api } from '../proxy/helpers.ts';
import { type Cluster, startCluster } from '../support/cluster.ts';

const PROMTOOL_MISSING =
  'promtool not found on PATH: install the `prometheus` package (apt-get install prometheus)';

let cluster: Cluster;
let fp: FaultProxyServer;
let client: TestClient | undefined;

beforeAll(async () => {
  cluster = await startCluster({ regions: ['r1', 'r2'], leaseMs: 2000 });
  fp = await startFaultProxy({ port: 0, seed: 1 });
}, 60_000);

afterAll(async () => {
  await client?.close().catch(() => {});
  await fp?.close();
  await cluster?.stop();
});

interface PromtoolResult {
  code: number | null;
  output: string;
}

/** Runs `promtool check metrics` with `text` on stdin; fails (never skips) when promtool is missing. */
function promtoolCheck(text: string): Promise<PromtoolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.on('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'ENOENT' ? new Error(PROMTOOL_MISSING) : error),
    );
    child.on('close', (code) => resolve({ code, output }));
    child.stdin.on('error', () => {});
    child.stdin.end(text);
  });
}

/**
 * The sum of the samples of `name` whose labels include every pair of `labels`, in any order;
 * NaN when there is none.
 */
function sample(text: string, name: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  let sum = Number.NaN;
  for (const line of text.split('\n')) {
    const match = /^([a-z_:][a-z0-9_:]*)(?:\{(.*)\})? (\S+)$/i.exec(line);
    if (match === null || match[1] !== name) continue;
    const pairs = (match[2] ?? '').split(',');
    if (!wanted.every((pair) => pairs.includes(pair))) continue;
    sum = (Number.isNaN(sum) ? 0 : sum) + Number(match[3]);
  }
  return sum;
}

async function scrape(url: string): Promise<string> {
  const response = await fetch(`${url}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

const Created = z.object({ id: z.string(), home: z.string().nullable() });
const ProxyCreated = z.object({ listen: z.string() });

/** Sends until acked, resending the same cmid on `unavailable` while the new home settles. */
async function sendUntilAck(c: TestClient, conv: string, cmid: string): Promise<Frame> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const before = c.frames.length;
    c.send({ type: 'send', conv, cmid, body: `body of ${cmid}` });
    const answer = await c.waitFor((f) => c.frames.indexOf(f) >= before && isAckOrError(cmid)(f), 20_000);
    if (answer.type === 'ack' || Date.now() > deadline) return answer;
    await sleep(100);
  }
}

/** A session through the proxy to r1, a conversation homed in r1 with r2 a replica, two sends (one resent), a bad frame. */
async function exercise(): Promise<void> {
  const created = await cluster.admin('r1/n1', 'POST', '/admin/conversations', {
    id: 'lint-room',
    members: ['alice', 'bob'],
    residency: ['r1', 'r2'],
  });
  expect(created.status).toBe(201);
  Created.parse(created.body);
  const upstream = new URL(cluster.node('r1').url).host;
  const proxy = await api(fp.url, 'POST', '/proxies', { name: 'r1_ws', listen: '127.0.0.1:0', upstream });
  expect(proxy.status).toBe(201);
  const { listen } = ProxyCreated.parse(proxy.json);
  client = await connect(`ws://${listen}/ws`, cluster.token('alice'));
  await client.waitFor((f) => f.type === 'welcome', 10_000, 'welcome');
  const first = await sendUntilAck(client, 'lint-room', 'm1');
  expect(first.type).toBe('ack');
  expect((await sendUntilAck(client, 'lint-room', 'm1')).seq).toBe(first.seq);
  client.sendRaw('{"type":"send"');
  await client.waitFor((f) => f.type === 'error', 10_000, 'bad_frame error');
}

describe('promtool check metrics', () => {
  it('passes every node’s and the proxy’s /metrics with no warning', async () => {
    await exercise();
    const expositions: [string, string][] = [
      ['r1/n1', await scrape(cluster.node('r1').url)],
      ['r2/n1', await scrape(cluster.node('r2').url)],
      ['proxy', await scrape(fp.url)],
    ];
    for (const [who, text] of expositions) {
      const result = await promtoolCheck(text);
      expect({ who, ...result }).toEqual({ who, code: 0, output: '' });
    }
    const [home = '', , proxy = ''] = expositions.map(([, text]) => text);
    // At least: a send answered `unavailable` while the home settles is resent.
    expect(
      sample(home, 'imserver_ws_frames_received_total', { type: 'send', result: 'accepted' }),
    ).toBeGreaterThanOrEqual(2);
    expect(sample(home, 'imserver_ws_frames_received_total', { type: 'invalid', result: 'invalid' })).toBe(1);
    expect(sample(home, 'imserver_dedup_hits_total', { where: 'stored' })).toBeGreaterThanOrEqual(1);
    expect(
      sample(home, 'imserver_store_write_duration_seconds_count', { op: 'append' }),
    ).toBeGreaterThanOrEqual(1);
    expect(sample(home, 'imserver_replication_lag_seconds', { peer_region: 'r2' })).toBeGreaterThanOrEqual(0);
    expect(sample(home, 'imserver_replication_lag_messages', { peer_region: 'r2' })).toBeGreaterThanOrEqual(
      0,
    );
    expect(sample(home, 'imserver_epoch_changes_total', { role: 'home' })).toBeGreaterThanOrEqual(1);
    expect(sample(home, 'process_resident_memory_bytes', {})).toBeGreaterThan(0);
    expect(home).not.toMatch(/alice|lint-room/);
    expect(sample(proxy, 'chatquake_proxy_connections_total', { proxy: 'r1_ws' })).toBe(1);
  }, 90_000);
});
