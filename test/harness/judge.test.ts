import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../contracts/history.ts';
import { parseSummary, Summary } from '../../contracts/summary.ts';
import { buildJunit, buildSummary } from '../../harness/results/results.ts';
import { createLiveJudge, decide, judgeRun } from '../../harness/run/judge.ts';
import type { RunRecord } from '../../harness/run/run-record.ts';
import { mergeThresholds, validateThresholds } from '../../harness/scenario/thresholds.ts';

const T0 = 1_700_000_000_000;

/** A small valid history: two users, one conversation, `n` messages each acked and delivered. */
function history(n: number, options: { lose?: boolean; duplicate?: boolean } = {}): HistoryEvent[] {
  const events: HistoryEvent[] = [
    { type: 'run_start', t: T0, runId: 'r1', scenario: 'unit', seed: 1, regions: ['a', 'b'] },
    { type: 'user', t: T0, user: 'u1', region: 'a' },
    { type: 'user', t: T0, user: 'u2', region: 'b' },
    { type: 'conversation', t: T0, conv: 'c1', members: ['u1', 'u2'] },
    { type: 'conn_up', t: T0 + 1, user: 'u1', session: 's1', region: 'a' },
    { type: 'conn_up', t: T0 + 1, user: 'u2', session: 's2', region: 'b' },
    { type: 'phase', t: T0 + 10, name: 'load_start' },
  ];
  const log: { seq: number; cmid: string; from: string }[] = [];
  for (let i = 1; i <= n; i++) {
    const t = T0 + 100 * i;
    const cmid = `m${i}`;
    events.push({ type: 'send', t, intendedAt: t, user: 'u1', conv: 'c1', cmid });
    events.push({ type: 'ack', t: t + 5, user: 'u1', conv: 'c1', cmid, seq: i });
    const delivery = (at: number): HistoryEvent => ({
      type: 'deliver',
      t: at,
      user: 'u2',
      session: 's2',
      conv: 'c1',
      cmid,
      from: 'u1',
      seq: i,
      via: 'push',
    });
    events.push(delivery(t + 8));
    // The duplicate is the same delivery again, a millisecond later.
    if (options.duplicate && i === 2) events.push(delivery(t + 9));
    if (!(options.lose && i === n)) log.push({ seq: i, cmid, from: 'u1' });
  }
  const end = T0 + 100 * (n + 1);
  events.push({ type: 'phase', t: end, name: 'load_stop' });
  events.push({ type: 'phase', t: end + 1, name: 'healed' });
  for (const region of ['a', 'b']) {
    events.push({ type: 'final_read', t: end + 2, region, conv: 'c1', ok: true, messages: log });
  }
  events.push({ type: 'run_end', t: end + 3 });
  return events;
}

function record(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    schemaVersion: 1,
    runId: 'r1',
    scenario: {
      name: 'unit',
      description: 'unit',
      path: 'unit.ts',
      durationMs: 1000,
      topology: { regions: ['a', 'b'], nodesPerRegion: 1, ack: 'replicated', leaseMs: 2000, bugs: [] },
      workload: {},
      chaos: [],
      thresholds: {},
      convergenceDeadlineMs: 20_000,
    },
    seed: 1,
    startedAt: new Date(T0).toISOString(),
    endedAt: new Date(T0 + 2000).toISOString(),
    wallSeconds: 2,
    host: 'test',
    topology: {
      regions: [
        { name: 'a', nodes: ['n1'] },
        { name: 'b', nodes: ['n1'] },
      ],
    },
    aliases: {},
    thresholds: {},
    faults: [],
    load: {
      sent: 5,
      acked: 5,
      delivered: 5,
      failed: 0,
      indeterminate: 0,
      valid: true,
      invalidReasons: [],
      aborted: false,
      lateSends: 0,
      unsent: 0,
      sendLagP99Ms: 1,
      sendLagMaxMs: 1,
      eventLoopDelayP99Ms: 1,
    },
    convergence: null,
    interrupted: null,
    errors: [],
    warnings: [],
    ...overrides,
  };
}

const defaults = validateThresholds(mergeThresholds({}));

describe('judgeRun: k6 exit codes', () => {
  it('0 when every threshold and check passes', () => {
    const j = judgeRun({
      runDir: '/nonexistent',
      record: record(),
      thresholds: defaults,
      events: history(5),
    });
    expect(j.checks.every((c) => c.ok)).toBe(true);
    expect(j).toMatchObject({ ok: true, valid: true, exitCode: 0 });
  });

  it('99 when a check fails, with the count and an example', () => {
    const j = judgeRun({
      runDir: '/x',
      record: record(),
      thresholds: defaults,
      events: history(5, { duplicate: true }),
    });
    expect(j.exitCode).toBe(99);
    const dup = j.checks.find((c) => c.name === 'duplicates');
    expect(dup?.ok).toBe(false);
    expect(dup?.actual).toBeGreaterThan(0);
    expect(j.reason).toMatch(/duplicates/);
  });

  it('99 when only a threshold fails', () => {
    const strict = validateThresholds(mergeThresholds({ delivery_latency_ms: ['p(99)<1'] }));
    const j = judgeRun({ runDir: '/x', record: record(), thresholds: strict, events: history(5) });
    expect(j.checks.every((c) => c.ok)).toBe(true);
    expect(j.exitCode).toBe(99);
    expect(j.thresholds.find((t) => t.metric === 'delivery_latency_ms')).toMatchObject({ ok: false });
  });

  it('96 when the load generator could not keep up, even with failures', () => {
    const invalid = record({
      load: { ...record().load!, valid: false, invalidReasons: ['send lag p99 2000 ms'] },
    });
    const j = judgeRun({
      runDir: '/x',
      record: invalid,
      thresholds: defaults,
      events: history(5, { duplicate: true }),
    });
    expect(j).toMatchObject({ exitCode: 96, valid: false, invalidReasons: ['send lag p99 2000 ms'] });
  });

  it('1 when the run errored or was interrupted', () => {
    expect(
      judgeRun({
        runDir: '/x',
        record: record({ errors: ['node did not start'] }),
        thresholds: defaults,
        events: history(5),
      }).exitCode,
    ).toBe(1);
    const interrupted = record({ interrupted: { reason: 'signal', detail: 'SIGINT' } });
    expect(
      judgeRun({ runDir: '/x', record: interrupted, thresholds: defaults, events: history(5) }).exitCode,
    ).toBe(105);
    // A run with no load is invalid (96), never passed (issue 12): see judge-damaged.test.ts.
    expect(
      judgeRun({ runDir: '/x', record: record({ load: null }), thresholds: defaults, events: [] }).exitCode,
    ).toBe(96);
  });

  it('writes a summary and junit that carry the failure and its examples', () => {
    const j = judgeRun({
      runDir: '/x',
      record: record(),
      thresholds: defaults,
      events: history(5, { duplicate: true }),
    });
    const summary = buildSummary(record(), j);
    expect(summary).toMatchObject({ ok: false, exitCode: 99, scenario: 'unit', seed: 1 });
    expect(summary.consistency.duplicates).toBeGreaterThan(0);
    expect(summary.thresholds).toContainEqual(expect.objectContaining({ metric: 'duplicates', ok: false }));
    const xml = buildJunit(summary, j, '/x');
    expect(xml).toMatch(
      /name="duplicates"[^>]*>\s*<failure message="duplicates: \d+ found" type="[^"]+">1\. /,
    );
    expect(xml).toContain('name="duplicates - count==0"');
  });
});

describe('live judge', () => {
  it('counts duplicate and backwards deliveries as they happen', () => {
    const live = createLiveJudge({ thresholds: defaults });
    for (const e of history(5, { duplicate: true })) live.add(e);
    expect(live.violations()).toBe(1);
  });

  it('asks to abort once an abortOnFail threshold fails after its delay', () => {
    const set = validateThresholds(
      mergeThresholds({ duplicates: [{ threshold: 'count==0', abortOnFail: true, delayAbortEval: '1s' }] }),
    );
    const live = createLiveJudge({ thresholds: set });
    for (const e of history(5, { duplicate: true })) live.add(e);
    expect(live.abortReason(500)).toBeUndefined(); // before delayAbortEval
    const fresh = createLiveJudge({ thresholds: set });
    for (const e of history(5, { duplicate: true })) fresh.add(e);
    expect(fresh.abortReason(5000)).toMatch(/duplicates - count==0/);
    const calm = createLiveJudge({ thresholds: set });
    for (const e of history(5)) calm.add(e);
    expect(calm.abortReason(5000)).toBeUndefined();
  });
});

describe('abortOnFail', () => {
  it('fails the run with 99 when a threshold stopped it, as k6 does', () => {
    const stopped = record({ interrupted: { reason: 'threshold', detail: 'duplicates - count==0' } });
    const j = judgeRun({ runDir: '/x', record: stopped, thresholds: defaults, events: history(5) });
    expect(j.exitCode).toBe(99);
    expect(j.reason).toMatch(/abortOnFail/);
  });
});

describe('--no-thresholds and --tag', () => {
  const defaults = validateThresholds(mergeThresholds({}));

  it('turns a failing check and threshold into exit 0, saying they were not gating', () => {
    const strict = validateThresholds(mergeThresholds({ delivery_latency_ms: ['p(99)<1'] }));
    const events = history(5, { duplicate: true });
    const gated = judgeRun({ runDir: '/x', record: record(), thresholds: strict, events });
    expect(gated.exitCode).toBe(99);
    const free = judgeRun({
      runDir: '/x',
      record: record({ noThresholds: true }),
      thresholds: strict,
      events,
    });
    expect(free).toMatchObject({ exitCode: 0, ok: true });
    expect(free.reason).toMatch(/failed: .*duplicates.*not gating \(--no-thresholds\)/);
    // Still evaluated and shown.
    expect(free.checks.find((c) => c.name === 'duplicates')?.ok).toBe(false);
    expect(free.thresholds.find((t) => t.metric === 'delivery_latency_ms')?.ok).toBe(false);
  });

  it('still fails a run that broke itself: invalid 96, signal 105, error 1, abortOnFail ignored', () => {
    const lagging = record({
      noThresholds: true,
      load: { ...(record().load as NonNullable<RunRecord['load']>), valid: false, invalidReasons: ['lag'] },
    });
    expect(
      judgeRun({ runDir: '/x', record: lagging, thresholds: defaults, events: history(5) }).exitCode,
    ).toBe(96);
    const signal = record({ noThresholds: true, interrupted: { reason: 'signal', detail: 'SIGINT' } });
    expect(
      judgeRun({ runDir: '/x', record: signal, thresholds: defaults, events: history(5) }).exitCode,
    ).toBe(105);
    const broken = record({ noThresholds: true, errors: ['node did not start'] });
    expect(
      judgeRun({ runDir: '/x', record: broken, thresholds: defaults, events: history(5) }).exitCode,
    ).toBe(1);
    const aborted = record({ noThresholds: true, interrupted: { reason: 'threshold', detail: 'x' } });
    expect(
      judgeRun({ runDir: '/x', record: aborted, thresholds: defaults, events: history(5) }).exitCode,
    ).toBe(0);
  });

  it('decide() is the rule: gating false passes failures, nothing else', () => {
    const j = judgeRun({ runDir: '/x', record: record(), thresholds: defaults, events: history(5) });
    const base = {
      record: record(),
      report: j.report,
      coverage: j.coverage,
      valid: true,
      invalidReasons: [],
      failed: ['duplicates (1)'],
    };
    expect(decide({ ...base, gating: true }).exitCode).toBe(99);
    expect(decide({ ...base, gating: false }).exitCode).toBe(0);
    expect(decide({ ...base, valid: false, gating: false }).exitCode).toBe(96);
  });

  it('writes tags into summary.json and junit.xml, and marks failures not gating there', () => {
    const rec = record({ tags: { ci_job: '42', team: 'a&b' }, noThresholds: true });
    const j = judgeRun({
      runDir: '/x',
      record: rec,
      thresholds: defaults,
      events: history(5, { duplicate: true }),
    });
    const summary = buildSummary(rec, j);
    expect(summary).toMatchObject({ tags: { ci_job: '42', team: 'a&b' }, noThresholds: true, exitCode: 0 });
    expect(Summary.safeParse(summary).success).toBe(true);
    expect(parseSummary(JSON.stringify(summary)).tags).toEqual({ ci_job: '42', team: 'a&b' });
    const xml = buildJunit(summary, j, '/x');
    expect(xml).toContain('<property name="tag.ci_job" value="42"/>');
    expect(xml).toContain('<property name="tag.team" value="a&amp;b"/>');
    expect(xml).toMatch(/<skipped message="not gating \(--no-thresholds\): duplicates/);
    expect(xml).toMatch(/failures="0"/);
  });

  it('reads a summary.json from before tags as having none', () => {
    expect(parseSummary('{"scenario":"old"}').tags).toEqual({});
    expect(() => parseSummary('{"tags":{"a":1}}')).toThrow(/tags/);
  });
});
