import { describe, expect, it } from 'vitest';
import { CHECKS } from '../../contracts/checks.ts';
import { parseSummary } from '../../contracts/summary.ts';
import { consistencyRows, reportDataFromHistory } from '../../reports/data.ts';
import { generateFixture } from './fixture.ts';

const buggy = generateFixture({ seed: 5, durationSeconds: 60, bugs: { loseAcked: 0.02, duplicate: 0.01 } });
const summary = parseSummary(JSON.stringify(buggy.summary));
const data = reportDataFromHistory(buggy.events, summary);

describe('buildReportData with summary.json', () => {
  it('takes the verdict and the threshold rows from summary.json', () => {
    expect(data.verdict.status).toBe('fail');
    expect(data.verdict.exitCode).toBe(99);
    expect(data.thresholds).toEqual(
      (
        buggy.summary.thresholds as { metric: string; expression: string; actual: unknown; ok: boolean }[]
      ).map((t) => ({ metric: t.metric, expression: t.expression, actual: t.actual, ok: t.ok })),
    );
    expect(data.run.bugs).toEqual(['loseAcked', 'duplicate']);
  });

  it('lists one violation row per count in summary.json, in the report order, and none of the allowed counts', () => {
    const section = buggy.summary.consistency as Record<string, unknown>;
    const expected = Object.keys(CHECKS)
      .filter((k) => typeof section[k] === 'number')
      .map((k) => [k, section[k]]);
    expect(data.consistency.source).toBe('summary');
    expect(data.consistency.checks.map((c) => [c.key, c.count])).toEqual(expected);
    expect(data.consistency.checks.find((c) => c.key === 'ackedLost')?.count).toBe(buggy.truth.lost.length);
    expect(data.headline.violations).toBe(expected.reduce((n, [, v]) => n + (v as number), 0));
  });

  it('keeps at most five examples per check, placed on the time axis', () => {
    const lost = data.consistency.examples.filter((e) => e.check === 'ackedLost');
    expect(lost).toHaveLength(5);
    for (const e of lost) {
      expect(e.t).not.toBeNull();
      expect(e.t).toBeGreaterThanOrEqual(0);
      expect(e.t).toBeLessThanOrEqual(data.run.durationSeconds);
      expect(buggy.truth.lost).toContain(e.cmid);
    }
  });

  it('matches each failover row to its fault window and counts the losses acked inside it', () => {
    expect(data.failover.faults.map((r) => r.fault)).toEqual([0, 1, 2]);
    const outage = data.failover.faults[0];
    expect(outage?.clients).toBeGreaterThanOrEqual(buggy.truth.faults[0]?.affected ?? 0);
    // The users that never reconnect were never served again, to the end of the run.
    expect(outage?.neverRecovered).toBeGreaterThanOrEqual(buggy.truth.faults[0]?.censored ?? 1);
    expect(outage?.failover.p99).toBeNull();
    expect(outage?.reconnect.disconnected).toBe(buggy.truth.faults[0]?.affected);
    const lostInWindows = data.failover.faults.reduce((n, r) => n + r.lost, 0);
    expect(lostInWindows).toBeGreaterThan(0);
    expect(lostInWindows).toBeLessThanOrEqual(buggy.truth.lost.length);
    expect(data.failover.faults.every((r) => !r.lostAtLeast)).toBe(true);
  });

  it('draws throughput from the checkers, so its totals equal summary.json', () => {
    const sum = (xs: number[]) => Math.round(xs.reduce((a, b) => a + b, 0) * data.time.step);
    const load = buggy.summary.load as { sent: number; acked: number; delivered: number };
    expect(sum(data.throughput.all.sent)).toBe(load.sent);
    expect(sum(data.throughput.all.acked)).toBe(load.acked);
    expect(sum(data.throughput.all.delivered)).toBe(load.delivered);
    expect(data.throughput.all.sent).toHaveLength(data.time.x.length);
  });

  it('reports phase latencies before, during and after faults', () => {
    expect(data.phases.rows.map((r) => r.phase)).toEqual(['before', 'fault', 'after']);
    const [before, fault] = data.phases.rows;
    expect(fault?.delivery.p99).toBeGreaterThan(before?.delivery.p99 ?? Number.POSITIVE_INFINITY);
    expect(data.phases.perFault).toHaveLength(3);
  });
});

describe('buildReportData without summary.json', () => {
  it('runs the checks itself, says so, and gives no pass or fail', () => {
    const bare = reportDataFromHistory(buggy.events, undefined);
    expect(bare.verdict.status).toBe('unknown');
    expect(bare.thresholds).toEqual([]);
    expect(bare.consistency.source).toBe('history');
    expect(bare.consistency.checks.map((c) => [c.key, c.count])).toEqual(
      data.consistency.checks.map((c) => [c.key, c.count]),
    );
    expect(bare.warnings[0]).toMatch(/summary\.json is missing/);
  });
});

describe('consistencyRows', () => {
  it('separates allowed counts, reads {count} objects and shows unknown counts as violations', () => {
    const rows = consistencyRows({
      ackedLost: 2,
      recovered: 7,
      duplicates: { count: 3 },
      newCheck: 1,
      convergenceSeconds: 1.5,
      examples: [],
      convergence: { agreed: 3 },
    });
    expect(rows.checks.map((c) => [c.key, c.count])).toEqual([
      ['ackedLost', 2],
      ['duplicates', 3],
      ['newCheck', 1],
    ]);
    expect(rows.info.map((c) => [c.key, c.count])).toEqual([['recovered', 7]]);
  });
});

describe('parseSummary', () => {
  it('names the field that has the wrong type', () => {
    expect(() =>
      parseSummary(JSON.stringify({ thresholds: [{ metric: 'x', expression: 'y', ok: 'yes' }] })),
    ).toThrow(/thresholds\[0\]\.ok/);
    expect(() => parseSummary('{')).toThrow(/not JSON/);
  });
});
