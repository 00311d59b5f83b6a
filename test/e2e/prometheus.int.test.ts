// The dashboard against a real Prometheus (Debian's): a local region-outage run writes its
// targets file (--prometheus) and serves its own /metrics (--metrics-port); Prometheus scrapes
// the harness, every node and the proxy through that file, and every query of the game-day
// dashboard (harness/grafana/dashboard.ts), the fault annotation's too, returns series through
// /api/v1/query_range while the run goes on. Grafana is not packaged here; Prometheus is the
// part that evaluates the queries, so this is what a panel would show.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { dashboardQueries } from '../../harness/grafana/dashboard.ts';
import { freePort } from '../../harness/local/topology.ts';

const PROMETHEUS = '/usr/bin/prometheus';
const children: ChildProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), 'chatquake-prometheus-'));

function start(cmd: string, args: string[], log: string): ChildProcess {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  child.stdout?.on('data', (b: Buffer) => out.push(b));
  child.stderr?.on('data', (b: Buffer) => out.push(b));
  child.on('exit', () => {
    if (existsSync(dir)) writeFileSync(join(dir, log), Buffer.concat(out));
  });
  children.push(child);
  return child;
}

/** Grafana's $__rate_interval for a 1 s scrape interval is 4 s; 5 s leaves a margin. */
const promql = (expr: string) => expr.replaceAll('$__rate_interval', '5s');

async function hasSeries(base: string, expr: string): Promise<boolean> {
  const end = Date.now() / 1000;
  const params = new URLSearchParams({
    query: promql(expr),
    start: String(end - 120),
    end: String(end),
    step: '1',
  });
  const res = await fetch(`${base}/api/v1/query_range?${params}`, { signal: AbortSignal.timeout(5000) });
  const body = (await res.json()) as { status: string; error?: string; data?: { result: unknown[] } };
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
  return (body.data?.result.length ?? 0) > 0;
}

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('the dashboard over a live run, in a real Prometheus', () => {
  it('answers every panel query and the fault annotation with series while the run goes on', async () => {
    expect(existsSync(PROMETHEUS), 'install Debian’s prometheus package (.ci/run does)').toBe(true);
    const targets = join(dir, 'targets.json');
    writeFileSync(targets, '[]');
    const config = {
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      scrape_configs: [
        { job_name: 'chatquake', file_sd_configs: [{ files: [targets], refresh_interval: '1s' }] },
      ],
    };
    writeFileSync(join(dir, 'prometheus.yml'), stringify(config));
    const port = await freePort('127.0.0.1');
    const base = `http://127.0.0.1:${port}`;
    start(
      PROMETHEUS,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'tsdb')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      'prometheus.log',
    );
    const run = start(
      'node',
      [
        'bin/chatquake.js',
        'run',
        'region-outage',
        '--duration',
        '20s',
        '--seed',
        '1',
        '--metrics-port',
        '0',
        '--prometheus',
        targets,
        '--quiet',
        '--out',
        join(dir, 'run'),
      ],
      'run.log',
    );
    const ended = new Promise<number | null>((resolve) => run.on('exit', (code) => resolve(code)));
    const pending = new Set(dashboardQueries());
    let running = true;
    void ended.then(() => {
      running = false;
    });
    // While the run goes on (and a few seconds after, for what the heal brings), ask again and again.
    const deadline = Date.now() + 150_000;
    let after = 0;
    while (pending.size > 0 && Date.now() < deadline && (running || after++ < 5)) {
      for (const expr of [...pending]) {
        if (await hasSeries(base, expr).catch(() => false)) pending.delete(expr);
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const code = await ended;
    expect(code, readFileSync(join(dir, 'run.log'), 'utf8').slice(-3000)).toBe(0);
    expect([...pending]).toEqual([]);
  }, 200_000);
});
