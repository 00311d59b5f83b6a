// The convergence checker on hand-built histories with exact expected figures: where the heal
// is taken from, when regions agree (every digest field, the stretch that lasts to the end, only
// the regions a conversation may live in), final logs as the last word, the notes, the examples
// and the convergence metrics. The residency checker's own cases follow at the end.
import { describe, expect, it } from 'vitest';
import {
  type ConvergenceResult,
  checkConvergence,
  createConvergenceChecker,
  healTime,
} from '../../checks/convergence.ts';
import { aggregate, createMetricStore, type MetricStore, selectSink } from '../../checks/metrics.ts';
import { createRunModel, observe, type RunModel } from '../../checks/model.ts';
import { checkResidency } from '../../checks/residency.ts';
import { type CheckOptions, resolveCheckOptions } from '../../checks/result.ts';
import type { HistoryEvent } from '../../contracts/history.ts';
import { createHistogram, percentile, record } from '../../lib/histogram.ts';
import { type Builder, check, history, sorted, stage } from './fixtures.ts';

describe('convergence', () => {
  it('measures heal → agreement per conversation', () => {
    const h = stage()
      .conv('c2', ['u1', 'u3'])
      .faultStart('f1', 'partition', 'eu-west', ['eu-west'], 5)
      .faultStop('f1', 15)
      .phase('healed', 20)
      .digest('eu-west', 'c1', 3, 3, 'aaa', 21)
      .digest('us-east', 'c1', 2, 2, 'bbb', 21)
      .digest('eu-west', 'c2', 1, 1, 'ccc', 21)
      .digest('us-east', 'c2', 1, 1, 'ccc', 21.5)
      .digest('us-east', 'c1', 3, 3, 'aaa', 23)
      .end(30);
    const r = checkConvergence(h.events);
    expect(r).toMatchObject({ converged: 2, unconverged: 0, unjudged: 0, healAt: 20 });
    expect(r.seconds.count).toBe(2);
    expect(r.seconds.max).toBeCloseTo(3, 5);
    expect(r.allConvergedSeconds).toBeCloseTo(3, 5);
  });

  it('fails a conversation whose regions still disagree at the end, saying what each held', () => {
    const h = stage()
      .phase('healed', 20)
      .digest('eu-west', 'c1', 40, 40, 'aaaaaaaaaa', 21)
      .digest('us-east', 'c1', 40, 40, 'aaaaaaaaaa', 21)
      .digest('us-east', 'c1', 38, 39, 'bbbbbbbbbb', 25)
      .end(30);
    const r = checkConvergence(h.events);
    expect(r.unconverged).toBe(1);
    expect(r.allConvergedSeconds).toBeNull();
    expect(r.examples[0]).toMatchObject({ check: 'convergence', conv: 'c1', t: 20 });
    expect(r.examples[0]!.message).toBe(
      'Conversation c1 never converged after the heal at +20.0s: at the last poll (+25.0s) eu-west held 40 messages (last seq 40, hash aaaaaaaa) and us-east held 38 messages (last seq 39, hash bbbbbbbb).',
    );
  });

  it('names a region that never answered a poll', () => {
    const h = stage().phase('healed', 20).digest('eu-west', 'c1', 1, 1, 'a', 21).end(30);
    const r = checkConvergence(h.events);
    expect(r.unconverged).toBe(1);
    expect(r.examples[0]!.message).toContain('us-east never answered');
  });

  it('lets the final logs overrule agreeing digests', () => {
    const h = stage()
      .phase('healed', 20)
      .digest('eu-west', 'c1', 1, 1, 'same', 21)
      .digest('us-east', 'c1', 1, 1, 'same', 21)
      .finalRead('eu-west', 'c1', 28, [1, 'u1', 'm1'])
      .finalRead('us-east', 'c1', 28, [1, 'u2', 'm9'])
      .end(30);
    const r = checkConvergence(h.events);
    expect(r.unconverged).toBe(1);
    expect(r.examples[0]!.message).toBe(
      'Conversation c1 never converged after the heal at +20.0s: the final logs differ: eu-west holds 1 message (last seq 1) and us-east holds 1 message (last seq 1).',
    );
  });

  it('judges by final reads alone when no digests were polled, without a time', () => {
    const h = stage()
      .finalRead('eu-west', 'c1', 28, [1, 'u1', 'm1'])
      .finalRead('us-east', 'c1', 28, [1, 'u1', 'm1'])
      .end(30);
    const r = checkConvergence(h.events);
    expect(r).toMatchObject({ converged: 1, unconverged: 0 });
    expect(r.seconds.count).toBe(0);
    expect(r.notes.join(' ')).toContain('convergence time');
  });

  it('only waits for the regions a residency-bound conversation may live in', () => {
    const h = history()
      .start(['eu-west', 'eu-central', 'us-east'])
      .conv('c1', ['u1', 'u2'], ['eu-west', 'eu-central'])
      .phase('healed', 10)
      .digest('eu-west', 'c1', 2, 2, 'x', 11)
      .digest('eu-central', 'c1', 2, 2, 'x', 12)
      .end(30);
    expect(checkConvergence(h.events)).toMatchObject({ converged: 1, unconverged: 0 });
  });

  it('counts conversations with neither digests nor final reads as unjudged', () => {
    const r = checkConvergence(stage().end(30).events);
    expect(r).toMatchObject({ converged: 0, unconverged: 0, unjudged: 1 });
  });
});

/** The checker's result, the metrics it recorded and the run model it judged. */
function run(
  events: HistoryEvent[],
  options: Partial<CheckOptions> = {},
): { r: ConvergenceResult; metrics: MetricStore; model: RunModel } {
  return check(createConvergenceChecker, sorted(events), options);
}

/** The convergence_seconds trend: its finite samples (count, sum, max) and censored ones. */
function trend(metrics: MetricStore): { count: number; sum: number; max: number; censored: number } {
  const sink = selectSink(metrics, 'convergence_seconds');
  if (sink.type !== 'trend') throw new Error('convergence_seconds is not a trend');
  return { count: sink.hist.count, sum: sink.hist.sum, max: sink.hist.max, censored: sink.censored };
}

const unconvergedMetric = (metrics: MetricStore): number =>
  aggregate(selectSink(metrics, 'unconverged_conversations'), 'count', 0);

/** Both regions of the stage report the same digest of `conv` at `s`. */
const agree = (b: Builder, conv: string, s: number, hash = 'h'): Builder =>
  b.digest('eu-west', conv, 2, 2, hash, s).digest('us-east', conv, 2, 2, hash, s);

/** At +21 s the stage's regions report digests of `conv` that differ only in their hash. */
const disagree = (b: Builder, conv: string): Builder =>
  b.digest('eu-west', conv, 1, 1, 'a', 21).digest('us-east', conv, 1, 1, 'b', 21);

const noTimes = { count: 0, p50: null, p90: null, p99: null, max: null };

describe('convergence: where the heal is', () => {
  it('measures from the last healed mark, whatever phases come after it', () => {
    const h = agree(stage().phase('healed', 12).phase('healed', 20).phase('final_reads', 28), 'c1', 23).end(
      30,
    );
    const { r } = run(h.events);
    expect(r.healAt).toBe(20);
    expect(r.seconds.max).toBe(3);
    expect(r.allConvergedSeconds).toBe(3);
  });

  it('falls back to the end of the fault that ended last, ignoring a fault still running', () => {
    const h = agree(
      stage()
        .phase('load_start', 1)
        .faultStart('f1', 'partition', 'eu-west', ['eu-west'], 5)
        .faultStart('f2', 'regionOutage', 'us-east', ['us-east'], 8)
        .faultStop('f2', 12)
        .faultStop('f1', 20)
        .faultStart('f3', 'latency', 'eu-west', ['eu-west'], 25)
        .phase('load_stop', 26),
      'c1',
      24,
    ).end(30);
    const { r } = run(h.events);
    expect(r.healAt).toBe(20);
    expect(r.seconds.max).toBe(4);
  });

  it('falls back to load_stop when no fault ended', () => {
    const h = agree(
      stage()
        .phase('load_start', 1)
        .faultStart('f1', 'partition', 'eu-west', ['eu-west'], 5)
        .phase('load_stop', 18),
      'c1',
      19.5,
    ).end(30);
    const { r } = run(h.events);
    expect(r.healAt).toBe(18);
    expect(r.seconds.max).toBe(1.5);
    expect(r.allConvergedSeconds).toBe(1.5);
  });

  it('has no heal time without a healed mark, a fault end or load_stop', () => {
    const model = createRunModel();
    for (const e of history().start().phase('load_start', 1).faultStart('f1', 'partition', 'eu-west', [], 2)
      .events)
      observe(model, e);
    expect(healTime(model)).toBeNaN();
  });

  it('converges without measuring a time when there is no heal, and says so', () => {
    const h = agree(stage().phase('load_start', 1), 'c1', 21).end(30);
    const { r, metrics } = run(h.events);
    expect(r).toMatchObject({ judged: 1, converged: 1, unconverged: 0, unjudged: 0, healAt: null });
    expect(r.seconds).toEqual(noTimes);
    expect(r.allConvergedSeconds).toBeNull();
    expect(r.notes).toEqual([
      'no heal, fault end or load_stop in the history: convergence times were not measured',
    ]);
    expect(trend(metrics)).toMatchObject({ count: 0, censored: 0 });
    expect(unconvergedMetric(metrics)).toBe(0);
  });
});

describe('convergence: agreement', () => {
  it('needs the hash, the count and the last seq all to match', () => {
    const h = stage()
      .conv('c2', ['u1', 'u3'])
      .conv('c3', ['u1', 'u3'])
      .conv('c4', ['u1', 'u3'])
      .phase('healed', 20)
      .digest('eu-west', 'c1', 3, 3, 'h', 21)
      .digest('us-east', 'c1', 3, 3, 'x', 21)
      .digest('eu-west', 'c2', 3, 3, 'h', 21)
      .digest('us-east', 'c2', 2, 3, 'h', 21)
      .digest('eu-west', 'c3', 3, 3, 'h', 21)
      .digest('us-east', 'c3', 3, 4, 'h', 21)
      .digest('eu-west', 'c4', 3, 3, 'h', 21)
      .digest('us-east', 'c4', 3, 3, 'h', 22)
      .end(30);
    const { r } = run(h.events);
    expect(r).toMatchObject({ judged: 4, converged: 1, unconverged: 3, unjudged: 0 });
    expect(r.examples.map((ex) => ex.conv)).toEqual(['c1', 'c2', 'c3']);
    expect(r.seconds.max).toBe(2);
  });

  it('measures from the start of the last stretch of agreement, not from its latest poll', () => {
    const h = stage()
      .phase('healed', 20)
      .digest('eu-west', 'c1', 1, 1, 'a', 21)
      .digest('us-east', 'c1', 1, 1, 'a', 21)
      .digest('eu-west', 'c1', 1, 1, 'a', 22)
      .digest('us-east', 'c1', 1, 1, 'a', 22)
      .digest('us-east', 'c1', 2, 2, 'b', 23)
      .digest('eu-west', 'c1', 2, 2, 'b', 25)
      .digest('eu-west', 'c1', 2, 2, 'b', 27)
      .digest('us-east', 'c1', 2, 2, 'b', 27)
      .end(30);
    const { r } = run(h.events);
    expect(r.converged).toBe(1);
    expect(r.seconds.max).toBe(5);
    expect(r.allConvergedSeconds).toBe(5);
  });

  it('counts agreement reached before the heal as zero seconds', () => {
    const h = agree(stage(), 'c1', 15).phase('healed', 20).end(30);
    const { r, metrics } = run(h.events);
    expect(r.seconds).toMatchObject({ count: 1, max: 0 });
    expect(r.allConvergedSeconds).toBe(0);
    expect(trend(metrics)).toMatchObject({ count: 1, sum: 0 });
  });

  it('ignores digests from regions a residency-bound conversation may not live in', () => {
    const h = history()
      .start(['eu-west', 'eu-central', 'us-east'])
      .conv('c1', ['u1', 'u2'], ['eu-west', 'eu-central'])
      .conv('c2', ['u1', 'u2'], ['eu-west', 'eu-central'])
      .conv('c3', ['u1', 'u2'], ['eu-west', 'eu-central'])
      .phase('healed', 10)
      .digest('eu-west', 'c1', 2, 2, 'x', 11)
      .digest('us-east', 'c1', 5, 5, 'other', 11.5)
      .digest('eu-central', 'c1', 2, 2, 'x', 12)
      .digest('us-east', 'c1', 6, 6, 'other', 13)
      .digest('eu-west', 'c2', 1, 1, 'y', 11)
      .digest('us-east', 'c2', 1, 1, 'y', 15)
      .digest('us-east', 'c3', 1, 1, 'z', 11)
      .end(30);
    const { r } = run(h.events);
    expect(r).toMatchObject({ judged: 2, converged: 1, unconverged: 1, unjudged: 1 });
    expect(r.seconds.max).toBe(2);
    expect(r.examples.map((ex) => ex.message)).toEqual([
      'Conversation c2 never converged after the heal at +10.0s: at the last poll (+11.0s) eu-west held 1 message (last seq 1, hash y) and eu-central never answered.',
    ]);
  });
});

describe('convergence: final logs', () => {
  it('agrees on the same final logs listed in different orders, with no time but a note', () => {
    const h = stage()
      .phase('healed', 20)
      .finalRead('eu-west', 'c1', 28, [1, 'u1', 'm1'], [2, 'u2', 'm2'], [3, 'u3', 'm3'])
      .finalRead('us-east', 'c1', 28, [3, 'u3', 'm3'], [1, 'u1', 'm1'], [2, 'u2', 'm2'])
      .end(30);
    const { r, metrics } = run(h.events);
    expect(r).toMatchObject({ judged: 1, converged: 1, unconverged: 0, unjudged: 0, healAt: 20 });
    expect(r.seconds).toEqual(noTimes);
    expect(r.allConvergedSeconds).toBeNull();
    expect(r.notes).toEqual([
      '1 conversation agreed only by final reads (no digests): convergence time unknown',
    ]);
    expect(trend(metrics)).toMatchObject({ count: 0, censored: 0 });
  });

  it('leaves the final logs in the run model in the order they were read', () => {
    const h = stage()
      .finalRead('eu-west', 'c1', 28, [1, 'u1', 'm1'], [2, 'u2', 'm2'])
      .finalRead('us-east', 'c1', 28, [2, 'u2', 'm2'], [1, 'u1', 'm1'])
      .end(30);
    const { r, model } = run(h.events);
    expect(r.converged).toBe(1);
    expect(
      model.finalReads
        .get('c1')!
        .get('us-east')!
        .messages.map((m) => m.cmid),
    ).toEqual(['m2', 'm1']);
  });

  it('tells apart final logs whose entries would run together', () => {
    const h = stage()
      .finalRead('eu-west', 'c1', 28, [1, 'u1', 'm2'], [3, 'u1', 'm4'])
      .finalRead('us-east', 'c1', 28, [1, 'u1', 'm'], [23, 'u1', 'm4'])
      .end(30);
    expect(run(h.events).r).toMatchObject({ converged: 0, unconverged: 1 });
  });

  it('judges by digests when not every allowed region’s final log was read', () => {
    const h = agree(agree(stage().conv('c2', ['u1', 'u3']).phase('healed', 20), 'c1', 22), 'c2', 23)
      .finalRead('eu-west', 'c1', 28, [1, 'u1', 'm1'])
      .finalRead('eu-west', 'c2', 28, [1, 'u1', 'm1'])
      .failedRead('us-east', 'c2', 28, 'timeout')
      .end(30);
    const { r } = run(h.events);
    expect(r).toMatchObject({ judged: 2, converged: 2, unconverged: 0, notes: [] });
    expect(r.seconds).toMatchObject({ count: 2, max: 3 });
    expect(r.allConvergedSeconds).toBe(3);
  });

  it('fails a conversation whose digests still disagree at the end even though its final logs agree', () => {
    const h = stage()
      .phase('healed', 20)
      .digest('eu-west', 'c1', 2, 2, 'aaaa', 22)
      .digest('us-east', 'c1', 1, 1, 'bbbb', 22)
      .finalRead('eu-west', 'c1', 28, [1, 'u1', 'm1'])
      .finalRead('us-east', 'c1', 28, [1, 'u1', 'm1'])
      .end(30);
    const { r } = run(h.events);
    expect(r).toMatchObject({ converged: 0, unconverged: 1 });
    expect(r.examples.map((ex) => ex.message)).toEqual([
      'Conversation c1 never converged after the heal at +20.0s: at the last poll (+22.0s) eu-west held 2 messages (last seq 2, hash aaaa) and us-east held 1 message (last seq 1, hash bbbb).',
    ]);
  });

  it('leaves a conversation unjudged when its final reads failed and no digest came', () => {
    const h = stage()
      .failedRead('eu-west', 'c1', 28, 'timeout')
      .failedRead('us-east', 'c1', 28, 'timeout')
      .end(30);
    const { r } = run(h.events);
    expect(r).toMatchObject({ judged: 0, converged: 0, unconverged: 0, unjudged: 1 });
    expect(r.notes).toEqual(['1 conversation had neither digests nor final reads from every allowed region']);
  });

  it('leaves a conversation that may live in no region unjudged, whatever was read', () => {
    const h = history()
      .start()
      .conv('c1', ['u1', 'u2'], [])
      .finalRead('eu-west', 'c1', 28, [1, 'u1', 'm1'])
      .end(30);
    expect(run(h.events).r).toMatchObject({ judged: 0, converged: 0, unconverged: 0, unjudged: 1 });
  });

  it('judges conversations named only by digests or final reads, and counts the silent ones', () => {
    const h = agree(stage().conv('c2', ['u1', 'u2']).phase('healed', 20), 'c9', 21)
      .finalRead('eu-west', 'c8', 28, [1, 'u1', 'm1'])
      .finalRead('us-east', 'c8', 28, [1, 'u1', 'm1'])
      .end(30);
    const { r } = run(h.events);
    expect(r).toMatchObject({ judged: 2, converged: 2, unconverged: 0, unjudged: 2 });
    expect(r.seconds).toMatchObject({ count: 1, max: 1 });
    expect(r.notes).toEqual([
      '1 conversation agreed only by final reads (no digests): convergence time unknown',
      '2 conversations had neither digests nor final reads from every allowed region',
    ]);
  });
});

describe('convergence: explanations', () => {
  const five = ['r1', 'r2', 'r3', 'r4', 'r5'];

  it('says what the first four regions’ final logs hold, and how many more differ', () => {
    const h = history()
      .start(five)
      .conv('c1', ['u1', 'u2'])
      .phase('healed', 20)
      .finalRead('r1', 'c1', 28, [7, 'u2', 'm7'], [2, 'u1', 'm2'])
      .finalRead('r2', 'c1', 28, [1, 'u1', 'm1'])
      .finalRead('r3', 'c1', 28)
      .finalRead('r4', 'c1', 28, [1, 'u1', 'm1'])
      .finalRead('r5', 'c1', 28, [1, 'u1', 'm1'])
      .end(30);
    const { r } = run(h.events);
    expect(r.examples).toEqual([
      {
        check: 'convergence',
        message:
          'Conversation c1 never converged after the heal at +20.0s: the final logs differ: r1 holds 2 messages (last seq 7), r2 holds 1 message (last seq 1), r3 holds 0 messages (last seq 0), r4 holds 1 message (last seq 1) and 1 more.',
        conv: 'c1',
        t: 20,
      },
    ]);
  });

  it('says what the first four regions last reported, and how many more there are', () => {
    const h = history()
      .start(five)
      .conv('c1', ['u1', 'u2'])
      .phase('healed', 20)
      .digest('r1', 'c1', 2, 2, '0123456789abcdef', 21)
      .digest('r3', 'c1', 2, 2, '0123456789abcdef', 22)
      .digest('r4', 'c1', 1, 1, 'ffff', 23)
      .digest('r5', 'c1', 2, 2, '0123456789abcdef', 25)
      .end(30);
    const { r } = run(h.events);
    expect(r.examples.map((ex) => ex.message)).toEqual([
      'Conversation c1 never converged after the heal at +20.0s: at the last poll (+25.0s) r1 held 2 messages (last seq 2, hash 01234567), r2 never answered, r3 held 2 messages (last seq 2, hash 01234567), r4 held 1 message (last seq 1, hash ffff) and 1 more.',
    ]);
  });

  it('explains a conversation that never converged without a heal time when none is known', () => {
    const h = stage()
      .digest('eu-west', 'c1', 2, 2, 'abcdefghij', 21)
      .digest('us-east', 'c1', 1, 1, 'zz', 25)
      .end(30);
    const { r, metrics } = run(h.events);
    expect(r).toMatchObject({ judged: 1, converged: 0, unconverged: 1, healAt: null, notes: [] });
    expect(r.examples).toEqual([
      {
        check: 'convergence',
        message:
          'Conversation c1 never converged: at the last poll (+25.0s) eu-west held 2 messages (last seq 2, hash abcdefgh) and us-east held 1 message (last seq 1, hash zz).',
        conv: 'c1',
      },
    ]);
    expect(trend(metrics)).toMatchObject({ count: 0, censored: 1 });
    expect(unconvergedMetric(metrics)).toBe(1);
  });

  it('keeps the first maxExamples examples while counting every unconverged conversation', () => {
    const b = stage().conv('c2', ['u1', 'u3']).conv('c3', ['u1', 'u3']).phase('healed', 20);
    for (const conv of ['c1', 'c2', 'c3']) disagree(b, conv);
    const two = run(b.end(30).events, { maxExamples: 2 });
    expect(two.r.unconverged).toBe(3);
    expect(two.r.examples.map((ex) => ex.conv)).toEqual(['c1', 'c2']);
    expect(unconvergedMetric(two.metrics)).toBe(3);
    const none = run(b.events, { maxExamples: 0 });
    expect(none.r).toMatchObject({ unconverged: 3, examples: [] });
    expect(unconvergedMetric(none.metrics)).toBe(3);
  });
});

describe('convergence: times and metrics', () => {
  /** Conversations k1…k<n> agree k seconds after the heal at +20 s; `split` more never agree. */
  function fleet(n: number, split: number): Builder {
    const b = stage().phase('healed', 20);
    for (let k = 1; k <= n + split; k++) b.conv(`k${k}`, ['u1', 'u3']);
    for (let k = 1; k <= n; k++) agree(b, `k${k}`, 20 + k);
    for (let k = n + 1; k <= n + split; k++) disagree(b, `k${k}`);
    return b.end(40);
  }

  it('reports percentiles over every conversation’s time and when the last one agreed', () => {
    const { r, metrics } = run(fleet(10, 0).events);
    const ref = createHistogram();
    for (let k = 1; k <= 10; k++) record(ref, k);
    expect(r).toMatchObject({ judged: 10, converged: 10, unconverged: 0, unjudged: 1 });
    expect(r.seconds).toEqual({
      count: 10,
      p50: percentile(ref, 50),
      p90: percentile(ref, 90),
      p99: 10,
      max: 10,
    });
    expect(r.seconds.p50).toBeGreaterThanOrEqual(5);
    expect(r.seconds.p50).toBeLessThan(5.06);
    expect(r.seconds.p90).toBeGreaterThanOrEqual(9);
    expect(r.seconds.p90).toBeLessThan(9.1);
    expect(r.allConvergedSeconds).toBe(10);
    expect(trend(metrics)).toEqual({ count: 10, sum: 55, max: 10, censored: 0 });
    expect(unconvergedMetric(metrics)).toBe(0);
  });

  it('records never-converged conversations as censored and reports no time for all of them', () => {
    const { r, metrics } = run(fleet(10, 2).events);
    expect(r).toMatchObject({ judged: 12, converged: 10, unconverged: 2 });
    expect(r.seconds).toMatchObject({ count: 10, p99: 10, max: 10 });
    expect(r.allConvergedSeconds).toBeNull();
    expect(trend(metrics)).toEqual({ count: 10, sum: 55, max: 10, censored: 2 });
    expect(unconvergedMetric(metrics)).toBe(2);
  });

  it('gives the same verdict and metrics when a run is judged twice', () => {
    const model = createRunModel();
    const checker = createConvergenceChecker(resolveCheckOptions({}));
    expect(checker.name).toBe('convergence');
    for (const e of fleet(3, 1).events) {
      observe(model, e);
      checker.add(e, model);
    }
    const first = createMetricStore();
    const second = createMetricStore();
    const a = checker.finish(model, first);
    expect(checker.finish(model, second)).toEqual(a);
    expect(a).toMatchObject({ converged: 3, unconverged: 1, allConvergedSeconds: null });
    expect(trend(second)).toEqual(trend(first));
  });
});

describe('residency', () => {
  const bound = () =>
    history()
      .start(['eu-west', 'eu-central', 'us-east'])
      .conv('c7', ['u1', 'u2'], ['eu-west', 'eu-central'])
      .conv('c8', ['u1', 'u2']);

  it('finds nothing when bound conversations stay in their regions', () => {
    const h = bound()
      .finalRead('eu-west', 'c7', 28, [1, 'u1', 'm1'])
      .finalRead('us-east', 'c7', 28)
      .finalRead('us-east', 'c8', 28, [1, 'u1', 'm2'])
      .end(30);
    expect(checkResidency(h.events)).toMatchObject({ residencyViolations: 0, boundConversations: 1 });
  });

  it('reports copies in a region outside the set', () => {
    const h = bound()
      .finalRead('eu-west', 'c7', 28, [1, 'u2', 'm5'], [2, 'u1', 'm6'])
      .finalRead('us-east', 'c7', 28, [1, 'u2', 'm5'], [2, 'u1', 'm6'])
      .end(30);
    const r = checkResidency(h.events);
    expect(r).toMatchObject({ residencyViolations: 2, offendingPairs: 1 });
    expect(r.examples[0]).toMatchObject({ check: 'residency', conv: 'c7', region: 'us-east', t: 28 });
    expect(r.examples[0]!.message).toBe(
      'Conversation c7 may live only in eu-west and eu-central, yet us-east holds 2 of its messages (first: m5 from u2, seq 1).',
    );
  });

  it('falls back to a stray region’s digest when its final log was not read', () => {
    const h = bound().digest('us-east', 'c7', 3, 3, 'h', 25).end(30);
    const r = checkResidency(h.events);
    expect(r.residencyViolations).toBe(3);
    expect(r.examples[0]!.message).toContain('by its digest');
  });
});
