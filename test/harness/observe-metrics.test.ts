// The harness's live metrics map history events to the right Prometheus series: counters by
// region, latencies from the intended send time (not the send's own time), fault_active going
// 1 then 0, live violations by check, per-session recovery and failover durations; the endpoints
// become a file_sd targets file; and the --metrics-port / --prometheus flags name themselves.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRunFlags } from '../../harness/cli/flags.ts';
import { fileSdGroups, runEndpoints, writeFileSd } from '../../harness/observe/endpoints.ts';
import { createRunMetrics, SEND_MEMORY_MS } from '../../harness/observe/metrics.ts';
import { startMetricsServer } from '../../harness/observe/server.ts';
import { ScenarioError } from '../../harness/scenario/scenario.ts';

const dir = mkdtempSync(join(tmpdir(), 'chatquake-observe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The value of one sample line, `name{labels} value`, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const T0 = 1_700_000_000_000;
const send = (cmid: string, intendedAt: number, t: number) =>
  ({ type: 'send', t, intendedAt, user: 'u1', conv: 'c1', cmid, region: 'eu-west' }) as const;

describe('createRunMetrics', () => {
  it('counts sends, acks, failures and deliveries by region', async () => {
    const m = createRunMetrics();
    m.observe(send('m1', T0, T0));
    m.observe(send('m2', T0, T0));
    m.observe({ type: 'ack', t: T0 + 5, user: 'u1', conv: 'c1', cmid: 'm1', seq: 1, region: 'eu-west' });
    m.observe({ type: 'send_failed', t: T0 + 6, user: 'u1', conv: 'c1', cmid: 'm2', reason: 'no' });
    m.observe({
      type: 'deliver',
      t: T0 + 9,
      user: 'u2',
      session: 's2',
      conv: 'c1',
      cmid: 'm1',
      from: 'u1',
      seq: 1,
      via: 'push',
      region: 'us-east',
    });
    const text = await m.text();
    expect(sample(text, 'chatquake_messages_sent_total{region="eu-west"}')).toBe(2);
    expect(sample(text, 'chatquake_messages_acked_total{region="eu-west"}')).toBe(1);
    // send_failed names no region: the send's is used.
    expect(sample(text, 'chatquake_messages_failed_total{region="eu-west"}')).toBe(1);
    expect(sample(text, 'chatquake_messages_delivered_total{region="us-east"}')).toBe(1);
  });

  it('measures ack and delivery latency from the intended send time, in seconds', async () => {
    const m = createRunMetrics();
    // Intended at T0, sent 2 s late: the latency includes the 2 s the generator was behind.
    m.observe(send('m1', T0, T0 + 2000));
    m.observe({ type: 'ack', t: T0 + 2003, user: 'u1', conv: 'c1', cmid: 'm1', seq: 1 });
    m.observe({
      type: 'deliver',
      t: T0 + 2004,
      user: 'u2',
      session: 's2',
      conv: 'c1',
      cmid: 'm1',
      from: 'u1',
      seq: 1,
      via: 'sync',
    });
    const text = await m.text();
    expect(sample(text, 'chatquake_ack_latency_seconds_sum')).toBeCloseTo(2.003, 6);
    expect(sample(text, 'chatquake_ack_latency_seconds_bucket{le="1"}')).toBe(0);
    expect(sample(text, 'chatquake_ack_latency_seconds_bucket{le="2.5"}')).toBe(1);
    expect(sample(text, 'chatquake_delivery_latency_seconds_sum')).toBeCloseTo(2.004, 6);
    expect(sample(text, 'chatquake_delivery_latency_seconds_count')).toBe(1);
    expect(text).toContain('chatquake_delivery_latency_seconds_bucket{le="0.001"}');
    expect(text).toContain('chatquake_delivery_latency_seconds_bucket{le="30"}');
  });

  it('forgets sends older than SEND_MEMORY_MS: a later delivery counts without a latency sample', async () => {
    const m = createRunMetrics();
    const deliver = (cmid: string, t: number) =>
      ({
        type: 'deliver',
        t,
        user: 'u2',
        session: 's2',
        conv: 'c1',
        cmid,
        from: 'u1',
        seq: 1,
        via: 'sync',
      }) as const;
    m.observe(send('old', T0, T0));
    m.observe(send('new', T0 + SEND_MEMORY_MS + 1, T0 + SEND_MEMORY_MS + 1));
    m.observe(deliver('old', T0 + SEND_MEMORY_MS + 2));
    m.observe(deliver('new', T0 + SEND_MEMORY_MS + 2));
    const text = await m.text();
    expect(sample(text, 'chatquake_messages_delivered_total{region=""}')).toBe(2);
    expect(sample(text, 'chatquake_delivery_latency_seconds_count')).toBe(1);
  });

  it('fault_active is 0 before a planned fault, 1 while applied, 0 after it healed', async () => {
    const m = createRunMetrics({ faults: [{ id: 'f1', kind: 'regionOutage', target: 'us-east' }] });
    const series = 'chatquake_fault_active{fault="f1",kind="regionOutage",target="us-east"}';
    expect(sample(await m.text(), series)).toBe(0);
    m.observe({
      type: 'fault_start',
      t: T0,
      faultId: 'f1',
      kind: 'regionOutage',
      target: 'us-east',
      regions: [],
    });
    expect(sample(await m.text(), series)).toBe(1);
    m.observe({ type: 'fault_stop', t: T0 + 1000, faultId: 'f1' });
    expect(sample(await m.text(), series)).toBe(0);
  });

  it('reads the live violations by check on every scrape', async () => {
    let duplicates = 0;
    const m = createRunMetrics({ violations: () => ({ duplicates, order: 0 }) });
    expect(sample(await m.text(), 'chatquake_consistency_violations{check="duplicates"}')).toBe(0);
    duplicates = 3;
    const text = await m.text();
    expect(sample(text, 'chatquake_consistency_violations{check="duplicates"}')).toBe(3);
    expect(sample(text, 'chatquake_consistency_violations{check="order"}')).toBe(0);
  });

  it('a session down then up is a recovery; up in another region after a failover is a failover too', async () => {
    const m = createRunMetrics();
    const base = { user: 'u1', session: 's1' };
    m.observe({ type: 'conn_down', t: T0, ...base, region: 'us-east', reason: 'closed' });
    m.observe({ type: 'failover', t: T0 + 500, ...base, from: 'us-east', to: 'eu-west' });
    m.observe({ type: 'conn_up', t: T0 + 1500, ...base, region: 'eu-west' });
    m.observe({ type: 'conn_down', t: T0 + 2000, ...base, region: 'eu-west', reason: 'closed' });
    m.observe({ type: 'conn_up', t: T0 + 2250, ...base, region: 'eu-west' });
    const text = await m.text();
    expect(sample(text, 'chatquake_failovers_total{from_region="us-east",to_region="eu-west"}')).toBe(1);
    expect(sample(text, 'chatquake_recovery_duration_seconds_count')).toBe(2);
    expect(sample(text, 'chatquake_recovery_duration_seconds_sum')).toBeCloseTo(1.75, 6);
    expect(sample(text, 'chatquake_failover_duration_seconds_count')).toBe(1);
    expect(sample(text, 'chatquake_failover_duration_seconds_sum')).toBeCloseTo(1.5, 6);
  });

  it('follows the naming rules: one prefix, counters end in _total, no summaries', async () => {
    const m = createRunMetrics({ faults: [{ id: 'f1', kind: 'k', target: '' }] });
    const types = [...(await m.text()).matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((x) => [x[1], x[2]]);
    expect(types.length).toBeGreaterThan(8);
    for (const [name, type] of types) {
      expect(name).toMatch(/^chatquake_/);
      expect(type).not.toBe('summary');
      if (type === 'counter') expect(name).toMatch(/_total$/);
    }
  });
});

describe('endpoints and the file_sd targets file', () => {
  const endpoints = runEndpoints(
    [{ region: 'eu-west', node: 'n1', httpUrl: 'http://127.0.1.11:4001' }],
    'http://127.0.0.1:8474',
    'http://127.0.0.1:9400/metrics',
  );

  it('names every process with its /metrics', () => {
    expect(endpoints).toEqual({
      harness: 'http://127.0.0.1:9400/metrics',
      nodes: [{ region: 'eu-west', node: 'n1', metrics: 'http://127.0.1.11:4001/metrics' }],
      proxy: 'http://127.0.0.1:8474/metrics',
    });
  });

  it('writes one labelled group per process, and [] at the end', () => {
    const file = join(dir, 'sd', 'targets.json');
    writeFileSd(file, fileSdGroups(endpoints));
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual([
      { targets: ['127.0.0.1:9400'], labels: { job: 'chatquake' } },
      { targets: ['127.0.1.11:4001'], labels: { job: 'chatquake-node', region: 'eu-west', node: 'n1' } },
      { targets: ['127.0.0.1:8474'], labels: { job: 'chatquake-proxy' } },
    ]);
    writeFileSd(file, []);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual([]);
  });
});

describe('startMetricsServer', () => {
  const fetchText = (url: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      get(url, { agent: false }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      }).on('error', reject);
    });

  it('answers /metrics on 127.0.0.1, 404 elsewhere, and frees its port on close', async () => {
    const m = createRunMetrics();
    m.observe(send('m1', T0, T0));
    const server = await startMetricsServer(m, 0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/metrics`);
    const ok = await fetchText(server.url);
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('chatquake_messages_sent_total{region="eu-west"} 1');
    expect((await fetchText(server.url.replace('/metrics', '/'))).status).toBe(404);
    await server.close();
    await expect(fetchText(server.url)).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('--metrics-port and --prometheus', () => {
  it('parse, and a bad value names the flag', () => {
    const flags = parseRunFlags(['steady-state', '--metrics-port', '0', '--prometheus', join(dir, 't.json')]);
    expect(flags.metricsPort).toBe(0);
    expect(flags.prometheus).toBe(join(dir, 't.json'));
    expect(parseRunFlags(['steady-state']).metricsPort).toBeUndefined();
    expect(() => parseRunFlags(['steady-state', '--metrics-port', '70000'])).toThrow(
      /--metrics-port: must be at most 65535 \(got "70000"\)/,
    );
    expect(() => parseRunFlags(['steady-state', '--metrics-port', 'x'])).toThrow(ScenarioError);
    expect(() => parseRunFlags(['steady-state', '--prometheus', dir])).toThrow(
      /--prometheus: .* is a folder/,
    );
  });
});
