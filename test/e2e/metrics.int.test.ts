// A run made watchable: `run --metrics-port 0 --prometheus FILE` on a shortened region outage,
// scraped WHILE it runs. The harness's /metrics answers with chatquake_ series that grow and
// pass `promtool check metrics`, fault_active is 1 during the outage and 0 after it, the file_sd
// targets file lists every node and the proxy while the run goes on and is [] afterwards,
// run.json keeps the endpoints, and the harness's port is closed once the run is over.
//
// The same run feeds the dashboard in a real Prometheus (Debian's): Prometheus scrapes the
// harness, every node and the proxy through that targets file, and every query of the game-day
// dashboard (harness/grafana/dashboard.ts), the fault annotation's too, returns series through
// /api/v1/query_range while the run goes on. Grafana is not packaged here; Prometheus is the part
// that evaluates the queries, so this is what a panel would show. (One run serves both: it used to
// be two files, each running its own region outage.)
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { dashboardQueries } from '../../harness/grafana/dashboard.ts';
import { freePort } from '../../harness/local/topology.ts';
import { sleep } from '../../lib/async.ts';
import { listeningPorts } from '../harness/ports.ts';
import { type CliResult, startCli } from './helpers.ts';

const PROMTOOL = '/usr/bin/promtool';
const PROMETHEUS = '/usr/bin/prometheus';
const base = mkdtempSync(join(tmpdir(), 'chatquake-metrics-'));
let prometheus: ChildProcess | undefined;
afterAll(() => {
  if (prometheus !== undefined && prometheus.exitCode === null) prometheus.kill('SIGKILL');
  rmSync(base, { recursive: true, force: true });
});

interface Endpoints {
  harness?: string;
  nodes: { region: string; node: string; metrics: string }[];
  proxy?: string;
}
interface Group {
  targets: string[];
  labels: Record<string, string>;
}

/** GET a URL on a connection of its own; undefined when nothing answers. */
function scrape(url: string): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** A JSON file being rewritten by the run: undefined while absent or half-written. */
function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

const value = (text: string, pattern: RegExp): number => {
  const m = text.match(pattern);
  return m === null ? Number.NaN : Number(m[1]);
};

const FAULT = /^chatquake_fault_active\{fault="outage",kind="regionOutage",target="[^"]+"\} (\d+)$/m;
const SENT = (text: string) =>
  [...text.matchAll(/^chatquake_messages_sent_total\{[^}]*\} (\d+)$/gm)].reduce(
    (n, m) => n + Number(m[1]),
    0,
  );

/** Grafana's $__rate_interval for a 1 s scrape interval is 4 s; 5 s leaves a margin. */
const promql = (expr: string) => expr.replaceAll('$__rate_interval', '5s');

async function hasSeries(prometheusUrl: string, expr: string): Promise<boolean> {
  const end = Date.now() / 1000;
  const params = new URLSearchParams({
    query: promql(expr),
    start: String(end - 120),
    end: String(end),
    step: '1',
  });
  const res = await fetch(`${prometheusUrl}/api/v1/query_range?${params}`, {
    signal: AbortSignal.timeout(5000),
  });
  const body = (await res.json()) as { status: string; error?: string; data?: { result: unknown[] } };
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
  return (body.data?.result.length ?? 0) > 0;
}

/** What was seen of the region-outage run while it went on, for the tests below to judge. */
interface Watched {
  runDir: string;
  targetsFile: string;
  /** run.json's endpoints once the harness's appeared, and the targets file read right then. */
  endpoints: Endpoints | undefined;
  groups: Group[];
  /** fault_active of the outage over the scrapes, each change once; the sends of every scrape. */
  faultValues: number[];
  sent: number[];
  /** A scrape taken during the outage. */
  exposition: string;
  result: CliResult;
  /** Dashboard queries that never returned a series from Prometheus. */
  pending: string[];
  prometheusLog: () => string;
}
let watched: Watched | undefined;

beforeAll(async () => {
  const runDir = join(base, 'run');
  const targetsFile = join(base, 'sd', 'targets.json');
  // Prometheus first, watching the targets file's folder (a glob, so that the run still has to
  // create the folder and the file itself): 1 s scrapes, 1 s file_sd refresh.
  if (!existsSync(PROMETHEUS))
    throw new Error(`${PROMETHEUS} is missing: install Debian’s prometheus package (.ci/run does)`);
  const config = {
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    scrape_configs: [
      {
        job_name: 'chatquake',
        file_sd_configs: [{ files: [join(base, 'sd', '*.json')], refresh_interval: '1s' }],
      },
    ],
  };
  writeFileSync(join(base, 'prometheus.yml'), stringify(config));
  const promPort = await freePort('127.0.0.1');
  const prometheusUrl = `http://127.0.0.1:${promPort}`;
  const promOut: Buffer[] = [];
  prometheus = spawn(
    PROMETHEUS,
    [
      `--config.file=${join(base, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(base, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  prometheus.stdout?.on('data', (b: Buffer) => promOut.push(b));
  prometheus.stderr?.on('data', (b: Buffer) => promOut.push(b));

  // region-outage over 14 s: the outage runs from about 4.7 s to 9.3 s of load.
  const cli = startCli(
    [
      ...['run', 'region-outage', '--duration', '14s', '--seed', '1', '--users', '30', '--rate', '40'],
      ...['--metrics-port', '0', '--prometheus', targetsFile, '--quiet', '--out', runDir],
    ],
    { timeoutMs: 150_000 },
  );
  let exited = false;
  void cli.done.then(() => {
    exited = true;
  });

  // Prometheus, asked again and again while the run goes on (and a few seconds after, for what the
  // heal brings) until every dashboard query has returned series.
  const pending = new Set(dashboardQueries());
  const dashboard = (async () => {
    const deadline = Date.now() + 150_000;
    let after = 0;
    while (pending.size > 0 && Date.now() < deadline && (!exited || after++ < 5)) {
      for (const expr of [...pending]) {
        if (await hasSeries(prometheusUrl, expr).catch(() => false)) pending.delete(expr);
      }
      await sleep(1000);
    }
  })();

  let endpoints: Endpoints | undefined;
  while (endpoints?.harness === undefined && !exited) {
    endpoints = readJson<{ endpoints?: Endpoints }>(join(runDir, 'run.json'))?.endpoints;
    await sleep(200);
  }
  const groups = readJson<Group[]>(targetsFile) ?? [];

  // Scrape twice a second until the run ends: the sends grow, the outage comes and goes.
  const faultValues: number[] = [];
  const sent: number[] = [];
  let exposition = '';
  const harness = endpoints?.harness;
  while (!exited && harness !== undefined) {
    const answer = await scrape(harness);
    if (answer?.status === 200) {
      const fault = value(answer.body, FAULT);
      if (!Number.isNaN(fault) && faultValues.at(-1) !== fault) faultValues.push(fault);
      sent.push(SENT(answer.body));
      if (fault === 1) exposition = answer.body;
    }
    await sleep(500);
  }
  const result = await cli.done;
  await dashboard;
  watched = {
    runDir,
    targetsFile,
    endpoints,
    groups,
    faultValues,
    sent,
    exposition,
    result,
    pending: [...pending],
    prometheusLog: () => Buffer.concat(promOut).toString('utf8').slice(-3000),
  };
}, 200_000);

describe('run --metrics-port --prometheus', () => {
  it('serves live chatquake_ metrics and scrape targets while running, and leaves nothing behind', async () => {
    const w = watched as Watched;
    const { endpoints, groups, faultValues, sent, exposition, result } = w;
    const harness = endpoints?.harness;
    expect(harness, 'run.json names the harness endpoint while the run goes on').toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/metrics$/,
    );
    const url = harness as string;
    const port = Number(new URL(url).port);

    expect(groups.find((g) => g.labels.job === 'chatquake')?.targets).toEqual([`127.0.0.1:${port}`]);
    expect(groups.filter((g) => g.labels.job === 'chatquake-node').map((g) => g.labels.region)).toHaveLength(
      3,
    );
    expect(groups.filter((g) => g.labels.job === 'chatquake-proxy')).toHaveLength(1);
    for (const node of endpoints?.nodes ?? [])
      expect(groups.some((g) => `http://${g.targets[0]}/metrics` === node.metrics)).toBe(true);

    expect(result.code, result.stderr).toBe(0);
    expect(faultValues, 'fault_active of the outage over the scrapes').toEqual([0, 1, 0]);
    expect(sent.length).toBeGreaterThan(5);
    expect(Math.max(...sent)).toBeGreaterThan(Math.min(...sent));
    expect(exposition).toMatch(/^chatquake_delivery_latency_seconds_bucket\{le="0\.001"\} \d+$/m);
    expect(exposition).toMatch(/^chatquake_consistency_violations\{check="duplicates"\} \d+$/m);

    // After the run: the targets are gone, run.json keeps the endpoints, the port is closed.
    expect(readJson(w.targetsFile)).toEqual([]);
    const record = readJson<{ endpoints?: Endpoints }>(join(w.runDir, 'run.json'));
    expect(record?.endpoints?.harness).toBe(url);
    expect(record?.endpoints?.nodes.map((n) => n.region).sort()).toEqual(['ap-south', 'eu-west', 'us-east']);
    expect(record?.endpoints?.proxy).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(listeningPorts().has(port)).toBe(false);
    expect(await scrape(url)).toBeUndefined();

    // The exposition is valid for Prometheus's own linter, warnings included.
    if (!existsSync(PROMTOOL))
      throw new Error(`${PROMTOOL} is missing: install prometheus (it ships promtool) to run this test`);
    const lint = spawnSync(PROMTOOL, ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
    expect(`${lint.stdout}${lint.stderr}`.trim()).toBe('');
    expect(lint.status).toBe(0);
  });

  it('answers every dashboard panel query and the fault annotation with series in a real Prometheus', () => {
    const w = watched as Watched;
    expect(w.result.code, w.result.stderr.slice(-3000)).toBe(0);
    expect(w.pending, w.prometheusLog()).toEqual([]);
  });

  it('rewrites the targets file when a node joins mid-run (scaleOut)', async () => {
    const runDir = join(base, 'surge');
    const targetsFile = join(base, 'surge-targets.json');
    // surge over 10 s: eu-west/n2 joins at 3.6 s of load.
    const cli = startCli(
      [
        ...['run', 'surge', '--duration', '10s', '--seed', '1', '--users', '30', '--rate', '20'],
        ...['--prometheus', targetsFile, '--no-thresholds', '--quiet', '--out', runDir],
      ],
      { timeoutMs: 150_000 },
    );
    let exited = false;
    void cli.done.then(() => {
      exited = true;
    });
    const seen = new Set<string>();
    while (!exited) {
      for (const g of readJson<Group[]>(targetsFile) ?? [])
        if (g.labels.job === 'chatquake-node') seen.add(`${g.labels.region}/${g.labels.node}`);
      await sleep(200);
    }
    const result = await cli.done;
    expect(result.code, result.stderr).toBe(0);
    expect([...seen].sort()).toEqual(['ap-south/n1', 'eu-west/n1', 'eu-west/n2', 'us-east/n1']);
    // No --metrics-port: the harness is not a target, and run.json has no harness endpoint.
    const record = readJson<{ endpoints?: Endpoints }>(join(runDir, 'run.json'));
    expect(record?.endpoints?.harness).toBeUndefined();
    expect(record?.endpoints?.nodes.map((n) => `${n.region}/${n.node}`)).toContain('eu-west/n2');
    expect(readJson(targetsFile)).toEqual([]);
  });
});
