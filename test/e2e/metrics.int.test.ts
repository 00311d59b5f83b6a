// A run made watchable: `run --metrics-port 0 --prometheus FILE` on a shortened region outage,
// scraped WHILE it runs. The harness's /metrics answers with chatquake_ series that grow and
// pass `promtool check metrics`, fault_active is 1 during the outage and 0 after it, the file_sd
// targets file lists every node and the proxy while the run goes on and is [] afterwards,
// run.json keeps the endpoints, and the harness's port is closed once the run is over.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sleep } from '../../lib/async.ts';
import { listeningPorts } from '../harness/ports.ts';
import { startCli } from './helpers.ts';

const PROMTOOL = '/usr/bin/promtool';
const base = mkdtempSync(join(tmpdir(), 'chatquake-metrics-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

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

describe('run --metrics-port --prometheus', () => {
  it('serves live chatquake_ metrics and scrape targets while running, and leaves nothing behind', async () => {
    const runDir = join(base, 'run');
    const targetsFile = join(base, 'sd', 'targets.json');
    // region-outage over 14 s: the outage runs from about 4.7 s to 9.3 s of load.
    const cli = startCli(
      [
        ...['run', 'region-outage', '--duration', '14s', '--seed', '1', '--users', '30', '--rate', '40'],
        ...[
          '--metrics-port',
          '0',
          '--prometheus',
          targetsFile,
          '--no-thresholds',
          '--quiet',
          '--out',
          runDir,
        ],
      ],
      { timeoutMs: 150_000 },
    );
    let exited = false;
    void cli.done.then(() => {
      exited = true;
    });

    let endpoints: Endpoints | undefined;
    while (endpoints?.harness === undefined && !exited) {
      endpoints = readJson<{ endpoints?: Endpoints }>(join(runDir, 'run.json'))?.endpoints;
      await sleep(200);
    }
    const harness = endpoints?.harness;
    expect(harness, 'run.json names the harness endpoint while the run goes on').toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/metrics$/,
    );
    const url = harness as string;
    const port = Number(new URL(url).port);

    const groups = readJson<Group[]>(targetsFile) ?? [];
    expect(groups.find((g) => g.labels.job === 'chatquake')?.targets).toEqual([`127.0.0.1:${port}`]);
    expect(groups.filter((g) => g.labels.job === 'chatquake-node').map((g) => g.labels.region)).toHaveLength(
      3,
    );
    expect(groups.filter((g) => g.labels.job === 'chatquake-proxy')).toHaveLength(1);
    for (const node of endpoints?.nodes ?? [])
      expect(groups.some((g) => `http://${g.targets[0]}/metrics` === node.metrics)).toBe(true);

    // Scrape twice a second until the run ends: the sends grow, the outage comes and goes.
    const faultValues: number[] = [];
    const sent: number[] = [];
    let exposition = '';
    while (!exited) {
      const answer = await scrape(url);
      if (answer?.status === 200) {
        const fault = value(answer.body, FAULT);
        if (!Number.isNaN(fault) && faultValues.at(-1) !== fault) faultValues.push(fault);
        sent.push(SENT(answer.body));
        if (fault === 1) exposition = answer.body;
      }
      await sleep(500);
    }
    const result = await cli.done;
    expect(result.code, result.stderr).toBe(0);
    expect(faultValues, 'fault_active of the outage over the scrapes').toEqual([0, 1, 0]);
    expect(sent.length).toBeGreaterThan(5);
    expect(Math.max(...sent)).toBeGreaterThan(Math.min(...sent));
    expect(exposition).toMatch(/^chatquake_delivery_latency_seconds_bucket\{le="0\.001"\} \d+$/m);
    expect(exposition).toMatch(/^chatquake_consistency_violations\{check="duplicates"\} \d+$/m);

    // After the run: the targets are gone, run.json keeps the endpoints, the port is closed.
    expect(readJson(targetsFile)).toEqual([]);
    const record = readJson<{ endpoints?: Endpoints }>(join(runDir, 'run.json'));
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
