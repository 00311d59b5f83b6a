// Ctrl-C in the middle of a run: faults heal, every child process stops, every port closes,
// and what was recorded up to then is still written out.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listeningPorts, pidAlive } from '../harness/ports.ts';
import { servicesOf, startCli } from './helpers.ts';

const base = mkdtempSync(join(tmpdir(), 'chatquake-sigint-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

async function interrupt(signal: NodeJS.Signals, scenario: string, waitFor: RegExp, minAlive: number) {
  const dir = join(base, `${scenario}-${signal}`);
  const run = startCli(['run', scenario, '--seed', '2', '--users', '60', '--rate', '60', '--out', dir]);
  await run.waitFor(waitFor, 60_000);
  const { pids: during } = servicesOf(dir);
  expect(during.filter(pidAlive).length).toBeGreaterThanOrEqual(minAlive);
  run.child.kill(signal);
  const result = await run.done;
  return { dir, result };
}

function expectNothingLeft(dir: string, minStarted: number): void {
  const { pids, ports } = servicesOf(dir);
  expect(pids.length).toBeGreaterThanOrEqual(minStarted);
  expect(pids.filter(pidAlive)).toEqual([]);
  const listening = listeningPorts();
  expect(ports.filter((p) => listening.has(p))).toEqual([]);
}

describe('interrupting a run', () => {
  it('on SIGINT during a fault: heals, leaves no process or port, exits 105 (k6 ExternalAbort) and keeps the partial results', async () => {
    const { dir, result } = await interrupt('SIGINT', 'region-outage', /fault +outage/, 4); // the outage killed one node
    expect(result.code, result.stdout + result.stderr).toBe(105);
    expect(result.stderr).toContain('SIGINT received');
    expectNothingLeft(dir, 5);
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as {
      exitCode: number;
      interrupted: { reason: string } | null;
      faults: { until: number | null }[];
    };
    expect(summary.exitCode).toBe(105);
    expect(summary.interrupted?.reason).toBe('signal');
    // The outage that was on when the signal came was reverted before exit.
    expect(summary.faults.filter((f) => f.until === null)).toEqual([]);
    expect(readFileSync(join(dir, 'history.jsonl'), 'utf8')).toContain('"type":"run_end"');
  });

  it('on SIGTERM during start-up: stops whatever had started', async () => {
    const { dir, result } = await interrupt('SIGTERM', 'steady-state', /starting 3 nodes/, 1);
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    // Give the last children a moment to be reaped before looking.
    await new Promise((r) => setTimeout(r, 200));
    expectNothingLeft(dir, 2);
    expect(existsSync(join(dir, 'run.json'))).toBe(true);
  });
});
