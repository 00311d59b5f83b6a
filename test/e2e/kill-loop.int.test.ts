// The kill-loop scenario end to end: a seeded node SIGKILLed every five seconds for a minute and
// restarted on its data. A correct server loses nothing, every client recovers and the regions
// converge (exit 0); a server that acks before replicating is caught (exit 99).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listeningPorts, pidAlive } from '../harness/ports.ts';
import { runCli, servicesOf } from './helpers.ts';

const base = mkdtempSync(join(tmpdir(), 'chatquake-kill-loop-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

interface KillLoopSummary {
  exitCode: number;
  valid: boolean;
  load: { sent: number; acked: number; failed: number; indeterminate: number };
  consistency: { ackedLost: number; unconvergedConversations: number; readYourWritesViolations: number };
  failover: { incidents: number; neverRecovered: number; unobserved: number };
  faults: { id: string; at: number | null; until: number | null }[];
}

const summaryOf = (dir: string): KillLoopSummary =>
  JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as KillLoopSummary;

const RUN_MS = 240_000;

describe('the kill-loop scenario', () => {
  it('loses nothing acked, recovers every client and converges under twelve kills (seed 1)', async () => {
    const dir = join(base, 'clean');
    const result = await runCli(['run', 'kill-loop', '--seed', '1', '--out', dir, '--quiet'], {
      timeoutMs: RUN_MS,
    });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const s = summaryOf(dir);
    expect(s.valid).toBe(true);
    expect(s.load.sent).toBeGreaterThan(4000);
    expect(s.load.acked).toBe(s.load.sent);
    expect(s.consistency.ackedLost).toBe(0);
    expect(s.consistency.unconvergedConversations).toBe(0);
    expect(s.failover.incidents).toBeGreaterThan(12);
    expect(s.failover.neverRecovered).toBe(0);
    const kills = s.faults.filter((f) => f.id.startsWith('kill-'));
    expect(kills).toHaveLength(12);
    // Each kill was applied and reverted: its node restarted on its data.
    expect(kills.every((f) => f.at !== null && f.until !== null)).toBe(true);
    const { pids, ports } = servicesOf(dir);
    expect(pids.filter(pidAlive)).toEqual([]);
    const listening = listeningPorts();
    expect(ports.filter((p) => listening.has(p))).toEqual([]);
  });

  it('catches a server that acks before replicating (--bug ack-early) with exit 99', async () => {
    const dir = join(base, 'ack-early');
    const result = await runCli(
      // Five kills (30 s) are plenty: every kill of a home loses what it acked unreplicated; at
      // seed 1 each such run showed 8–9 read-your-writes violations. The clean run above keeps
      // the full minute, where the claim is that twelve kills lose nothing.
      ['run', 'kill-loop', '--seed', '1', '--bug', 'ack-early', '--duration', '30s', '--out', dir, '--quiet'],
      { timeoutMs: RUN_MS },
    );
    expect(result.code, result.stdout + result.stderr).toBe(99);
    const s = summaryOf(dir);
    expect(s.valid).toBe(true);
    const broken = s.consistency.ackedLost + s.consistency.readYourWritesViolations;
    expect(broken).toBeGreaterThan(0);
  });
});
