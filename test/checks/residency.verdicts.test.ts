// The residency checker (checks/residency.ts) on small hand-built histories: which copies count
// as violations (final logs first, a stray region's digest only when its log was not read), the
// totals and per-region metric samples thresholds read, and the example that explains each
// offending (conversation, region) pair.
import { describe, expect, it } from 'vitest';
import type { MetricStore } from '../../checks/metrics.ts';
import { checkResidency, createResidencyChecker, type ResidencyResult } from '../../checks/residency.ts';
import { type CheckOptions, resolveCheckOptions } from '../../checks/result.ts';
import type { HistoryEvent } from '../../contracts/history.ts';
import { createRandom } from '../../lib/random.ts';
import { at, type Builder, check, history, sorted } from './fixtures.ts';

/** Runs the checker over a history and keeps the metric store it filled. */
function run(
  events: HistoryEvent[],
  options: Partial<CheckOptions> = {},
): { r: ResidencyResult; metrics: MetricStore } {
  return check(createResidencyChecker, events, options);
}

/** The residency_violations samples, region → count, as thresholds on `{region:…}` see them. */
function samplesByRegion(metrics: MetricStore): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { tags, sink } of metrics.metrics.get('residency_violations')!.values()) {
    if (sink.type === 'counter') out[tags.region ?? '(untagged)'] = sink.value;
  }
  return out;
}

/** Regions eu-west, eu-central, us-east, ap-south; c7 may live only in eu-west and eu-central; c8 is free. */
const bound = () =>
  history()
    .start(['eu-west', 'eu-central', 'us-east', 'ap-south'])
    .conv('c7', ['u1', 'u2'], ['eu-west', 'eu-central'])
    .conv('c8', ['u1', 'u2']);

const three: [number, string, string][] = [
  [1, 'u1', 'm1'],
  [2, 'u2', 'm2'],
  [3, 'u1', 'm3'],
];

describe('residency', () => {
  it('counts every bound conversation, and finds nothing when none has a copy outside its set', () => {
    const h = bound()
      .conv('c9', ['u1'], ['us-east'])
      .finalRead('eu-west', 'c7', 28, ...three)
      .finalRead('eu-central', 'c7', 28, ...three)
      .finalRead('us-east', 'c8', 28, ...three)
      .finalRead('ap-south', 'c8', 28, ...three)
      .digest('eu-west', 'c7', 3, 3, 'h', 25)
      .digest('ap-south', 'c8', 3, 3, 'h', 25)
      .end(30);
    const { r, metrics } = run(h.events);
    expect(r).toEqual({ residencyViolations: 0, offendingPairs: 0, boundConversations: 2, examples: [] });
    expect(samplesByRegion(metrics)).toEqual({});
  });

  it('counts each copy in a final log outside the set, per region, with one example per pair', () => {
    const h = bound()
      .finalRead('eu-west', 'c7', 28, ...three)
      .finalRead('us-east', 'c7', 28.5, ...three)
      .finalRead('ap-south', 'c7', 29, ...three.slice(1))
      .end(30);
    const { r, metrics } = run(h.events);
    expect(r).toMatchObject({ residencyViolations: 5, offendingPairs: 2, boundConversations: 1 });
    expect(r.examples).toEqual([
      {
        check: 'residency',
        message:
          'Conversation c7 may live only in eu-west and eu-central, yet us-east holds 3 of its messages (first: m1 from u1, seq 1).',
        conv: 'c7',
        region: 'us-east',
        t: 28.5,
      },
      {
        check: 'residency',
        message:
          'Conversation c7 may live only in eu-west and eu-central, yet ap-south holds 2 of its messages (first: m2 from u2, seq 2).',
        conv: 'c7',
        region: 'ap-south',
        t: 29,
      },
    ]);
    expect(samplesByRegion(metrics)).toEqual({ 'us-east': 3, 'ap-south': 2 });
  });

  it('adds up one region’s copies across conversations in its metric sample', () => {
    const h = bound()
      .conv('c9', ['u1', 'u2'], ['eu-central'])
      .finalRead('us-east', 'c7', 28, ...three)
      .finalRead('us-east', 'c9', 28, ...three.slice(0, 2))
      .finalRead('eu-west', 'c9', 28, ...three.slice(0, 1))
      .end(30);
    const { r, metrics } = run(h.events);
    expect(r).toMatchObject({ residencyViolations: 6, offendingPairs: 3, boundConversations: 2 });
    expect(samplesByRegion(metrics)).toEqual({ 'us-east': 5, 'eu-west': 1 });
    expect(r.examples.map((e) => `${e.conv}@${e.region}`)).toEqual([
      'c7@us-east',
      'c9@us-east',
      'c9@eu-west',
    ]);
  });

  it('finds nothing in an empty final log outside the set', () => {
    const h = bound().finalRead('us-east', 'c7', 28).end(30);
    expect(run(h.events).r).toMatchObject({ residencyViolations: 0, offendingPairs: 0, examples: [] });
  });

  it('trusts a read final log over a stray digest, even an empty one', () => {
    const h = bound()
      .digest('us-east', 'c7', 5, 5, 'h', 20)
      .finalRead('us-east', 'c7', 28)
      .digest('ap-south', 'c7', 5, 5, 'h', 20)
      .finalRead('ap-south', 'c7', 28, ...three.slice(0, 1))
      .end(30);
    const { r, metrics } = run(h.events);
    expect(r).toMatchObject({ residencyViolations: 1, offendingPairs: 1 });
    expect(r.examples[0]).toMatchObject({ region: 'ap-south', t: 28 });
    expect(samplesByRegion(metrics)).toEqual({ 'ap-south': 1 });
  });

  it('falls back to the latest digest of a stray region whose final log was never read, at the digest’s time', () => {
    const h = bound()
      .digest('us-east', 'c7', 2, 2, 'a', 20)
      .digest('us-east', 'c7', 4, 4, 'b', 25.04)
      .end(30);
    const { r, metrics } = run(h.events);
    expect(r).toEqual({
      residencyViolations: 4,
      offendingPairs: 1,
      boundConversations: 1,
      examples: [
        {
          check: 'residency',
          message:
            'Conversation c7 may live only in eu-west and eu-central, yet us-east holds 4 of its messages (by its digest; its final log was not read).',
          conv: 'c7',
          region: 'us-east',
          t: 25,
        },
      ],
    });
    expect(samplesByRegion(metrics)).toEqual({ 'us-east': 4 });
  });

  it('keeps the latest digest of each stray region apart, per conversation', () => {
    const h = bound()
      .conv('c9', ['u1'], ['eu-west'])
      .digest('us-east', 'c7', 2, 2, 'a', 20)
      .digest('ap-south', 'c7', 3, 3, 'b', 21)
      .digest('us-east', 'c9', 5, 5, 'c', 22)
      .digest('ap-south', 'c7', 1, 1, 'd', 23)
      .end(30);
    const { r, metrics } = run(sorted(h.events));
    expect(r).toMatchObject({ residencyViolations: 8, offendingPairs: 3, boundConversations: 2 });
    expect(r.examples.map((e) => [e.conv, e.region, e.t])).toEqual([
      ['c7', 'us-east', 20],
      ['c7', 'ap-south', 23],
      ['c9', 'us-east', 22],
    ]);
    expect(samplesByRegion(metrics)).toEqual({ 'us-east': 7, 'ap-south': 1 });
  });

  it('falls back to the digest when the stray region’s final read failed', () => {
    const h = bound()
      .digest('us-east', 'c7', 3, 3, 'h', 25)
      .failedRead('us-east', 'c7', 28, 'timeout')
      .end(30);
    const { r } = run(h.events);
    expect(r).toMatchObject({ residencyViolations: 3, offendingPairs: 1 });
    expect(r.examples[0]).toMatchObject({ region: 'us-east', t: 25 });
    expect(r.examples[0]!.message).toContain('(by its digest; its final log was not read)');
  });

  it('keeps an earlier successful final read over a later failed one', () => {
    const h = bound()
      .digest('us-east', 'c7', 9, 9, 'h', 25)
      .finalRead('us-east', 'c7', 27, ...three.slice(0, 2))
      .failedRead('us-east', 'c7', 28, 'timeout')
      .end(30);
    const { r } = run(h.events);
    expect(r).toMatchObject({ residencyViolations: 2, offendingPairs: 1 });
    expect(r.examples[0]).toMatchObject({ t: 27 });
  });

  it('judges nothing where a stray read failed and no digest came', () => {
    const h = bound().failedRead('us-east', 'c7', 28, 'timeout').end(30);
    const { r, metrics } = run(h.events);
    expect(r).toEqual({ residencyViolations: 0, offendingPairs: 0, boundConversations: 1, examples: [] });
    expect(samplesByRegion(metrics)).toEqual({});
  });

  it('finds nothing in a stray digest that counts no messages', () => {
    const h = bound().digest('us-east', 'c7', 0, 0, 'empty', 25).end(30);
    expect(run(h.events).r).toMatchObject({ residencyViolations: 0, offendingPairs: 0, examples: [] });
  });

  it('ignores digests of allowed regions, of free conversations and of conversations never created', () => {
    const h = bound()
      .digest('eu-west', 'c7', 4, 4, 'h', 25)
      .digest('us-east', 'c8', 4, 4, 'h', 25)
      .digest('us-east', 'c-unknown', 4, 4, 'h', 25)
      .end(30);
    expect(run(h.events).r).toEqual({
      residencyViolations: 0,
      offendingPairs: 0,
      boundConversations: 1,
      examples: [],
    });
  });

  it('never takes a delivery or a read of a stray region for a digest', () => {
    const h = bound()
      .deliver('u2', 'c7', 'u1', 'm1', 1, 5, { region: 'us-east' })
      .failedRead('us-east', 'c7', 28, 'timeout')
      .failedRead('ap-south', 'c7', 28, 'timeout')
      .end(30);
    expect(run(h.events).r).toMatchObject({ residencyViolations: 0, offendingPairs: 0 });
  });

  it('judges each digest by the residency in force when it was taken', () => {
    /** c7 may live in both regions until 21 s, when it is redefined bound to eu-west alone. */
    const redefined = (): Builder => {
      const b = history()
        .start(['eu-west', 'us-east'])
        .digest('us-east', 'c7', 6, 6, 'before-creation', 0)
        .conv('c7', ['u1'], ['eu-west', 'us-east'])
        .digest('us-east', 'c7', 2, 2, 'while-allowed', 20);
      b.events.push({ type: 'conversation', t: at(21), conv: 'c7', members: ['u1'], residency: ['eu-west'] });
      return b;
    };
    expect(run(redefined().end(30).events).r).toMatchObject({
      residencyViolations: 0,
      boundConversations: 1,
    });
    const stray = redefined().digest('us-east', 'c7', 4, 4, 'once-stray', 25).end(30);
    expect(run(stray.events).r).toMatchObject({ residencyViolations: 4, offendingPairs: 1 });
  });

  it('is named residency', () => {
    expect(createResidencyChecker(resolveCheckOptions()).name).toBe('residency');
  });

  it('names up to five allowed regions in its explanation', () => {
    const regions = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7'];
    const h = history()
      .start(regions)
      .conv('c5', ['u1'], regions.slice(0, 5))
      .conv('c6', ['u1'], regions.slice(0, 6))
      .finalRead('r7', 'c5', 28, ...three.slice(0, 1))
      .finalRead('r7', 'c6', 28, ...three.slice(0, 1))
      .end(30);
    expect(run(h.events).r.examples.map((e) => e.message)).toEqual([
      'Conversation c5 may live only in r1, r2, r3, r4 and r5, yet r7 holds 1 of its messages (first: m1 from u1, seq 1).',
      'Conversation c6 may live only in r1, r2, r3, r4, r5 and 1 more, yet r7 holds 1 of its messages (first: m1 from u1, seq 1).',
    ]);
  });

  it('keeps counting past the example limit', () => {
    let h = bound();
    for (const region of ['us-east', 'ap-south']) {
      for (const conv of ['c7', 'c8']) h = h.finalRead(region, conv, 28, ...three);
    }
    h = h
      .conv('c9', ['u1'], ['eu-west'])
      .finalRead('eu-central', 'c9', 28, ...three)
      .end(30);
    const { r, metrics } = run(sorted(h.events), { maxExamples: 2 });
    expect(r).toMatchObject({ residencyViolations: 9, offendingPairs: 3, boundConversations: 2 });
    expect(r.examples.map((e) => `${e.conv}@${e.region}`)).toEqual(['c7@us-east', 'c7@ap-south']);
    expect(samplesByRegion(metrics)).toEqual({ 'us-east': 3, 'ap-south': 3, 'eu-central': 3 });
    expect(run(sorted(h.events), { maxExamples: 0 }).r).toMatchObject({
      residencyViolations: 9,
      examples: [],
    });
  });

  it('gives the same verdict through checkResidency', () => {
    const h = bound()
      .finalRead('us-east', 'c7', 28, ...three)
      .digest('ap-south', 'c7', 2, 2, 'h', 25)
      .end(30);
    expect(checkResidency(h.events)).toEqual(run(h.events).r);
    expect(checkResidency(h.events)).toMatchObject({ residencyViolations: 5, offendingPairs: 2 });
  });
});

describe('residency laws', () => {
  /** A random history: bound and free conversations, reads and digests from random regions. */
  function randomHistory(seed: number): HistoryEvent[] {
    const rnd = createRandom(seed);
    const regions = ['eu-west', 'eu-central', 'us-east', 'ap-south'];
    let h = history().start(regions);
    const convs = Array.from({ length: rnd.int(1, 5) }, (_, i) => `c${i}`);
    for (const conv of convs) {
      const residency = rnd.chance(0.6) ? rnd.shuffle(regions).slice(0, rnd.int(1, 3)) : undefined;
      h = h.conv(conv, ['u1', 'u2'], residency);
    }
    for (let i = 0; i < rnd.int(0, 12); i++) {
      const conv = rnd.pick(convs);
      const region = rnd.pick(regions);
      const n = rnd.int(0, 4);
      if (rnd.chance(0.5)) h = h.digest(region, conv, n, n, 'h', rnd.int(10, 25));
      else {
        const entries = three.concat([[4, 'u2', 'm4']]).slice(0, n);
        const s = rnd.int(26, 29);
        h = rnd.chance(0.8)
          ? h.finalRead(region, conv, s, ...entries)
          : h.failedRead(region, conv, s, 'timeout');
      }
    }
    return sorted(h.end(30).events);
  }

  it('agrees: total copies equal the example counts and the metric samples, one example per pair', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const { r, metrics } = run(randomHistory(seed), { maxExamples: 100 });
      const counts = r.examples.map((e) => Number(/holds (\d+) of/.exec(e.message)![1]));
      expect(r.examples).toHaveLength(r.offendingPairs);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(r.residencyViolations);
      expect(Object.values(samplesByRegion(metrics)).reduce((a, b) => a + b, 0)).toBe(r.residencyViolations);
      expect(counts.every((n) => n > 0)).toBe(true);
    }
  });

  it('finds no violation once every bound conversation may live in every region', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const events = randomHistory(seed).map((e) =>
        e.type === 'conversation' && e.residency !== undefined
          ? { ...e, residency: ['eu-west', 'eu-central', 'us-east', 'ap-south'] }
          : e,
      );
      expect(run(events).r.residencyViolations).toBe(0);
    }
  });
});
