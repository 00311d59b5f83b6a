import { describe, expect, it } from 'vitest';
import { checkHistory } from '../../checks/index.ts';
import { parseSummary } from '../../contracts/summary.ts';
import { analyzeHistory } from '../../reports/analyze.ts';
import { type CompareInput, compareInput, compareRuns, worseBy } from '../../reports/compare.ts';
import { formatComparison } from '../../reports/compare-render.ts';
import { type FixtureOptions, generateFixture } from './fixture.ts';

function input(label: string, options: FixtureOptions): CompareInput {
  const f = generateFixture({ durationSeconds: 90, ...options });
  return compareInput(
    label,
    analyzeHistory(f.events),
    checkHistory(f.events),
    parseSummary(JSON.stringify(f.summary)),
  );
}

const quiet = { faults: [], censoredUsers: 0 };
const baseline = input('base', { seed: 1, ...quiet });
const options = { iterations: 500 };

describe('compareRuns', () => {
  it('does not call noise a regression: the same build with another seed passes', () => {
    for (const seed of [2, 3, 4]) {
      const result = compareRuns(baseline, input(`same-${seed}`, { seed, ...quiet }), options);
      expect(result.regressed, formatComparison(result)).toBe(false);
      for (const m of result.measures.filter((x) => x.interval !== null)) {
        // The interval is honest about noise: it brackets no change.
        expect(m.interval?.[0]).toBeLessThanOrEqual(0.02);
        expect(m.interval?.[1]).toBeGreaterThanOrEqual(-0.02);
      }
    }
  });

  it('flags a slower build on delivery p99, with an interval clear of zero', () => {
    const result = compareRuns(
      baseline,
      input('slow', { seed: 2, ...quiet, bugs: { slowdown: 3 } }),
      options,
    );
    const delivery = result.measures.find((m) => m.key === 'deliveryP99');
    expect(delivery?.verdict).toBe('regressed');
    expect(delivery?.worse).toBeGreaterThan(1);
    expect(delivery?.interval?.[0]).toBeGreaterThan(0.1);
    expect(result.regressed).toBe(true);
    expect(result.reasons[0]).toMatch(/delivery p99 regressed/);
  });

  it('flags lower throughput', () => {
    const result = compareRuns(baseline, input('thin', { seed: 2, ...quiet, ratePerSecond: 12 }), options);
    const throughput = result.measures.find((m) => m.key === 'throughput');
    expect(throughput?.verdict).toBe('regressed');
    expect(throughput?.worse).toBeGreaterThan(0.3);
  });

  it('calls a large but noisy difference inconclusive, not a regression', () => {
    // Ten seconds of load at two sends a second: a p99 is little more than the maximum.
    const tiny = (seed: number, slowdown: number): CompareInput =>
      input(`tiny-${seed}`, { seed, ...quiet, durationSeconds: 15, ratePerSecond: 2, bugs: { slowdown } });
    const result = compareRuns(tiny(1, 1), tiny(2, 1.3), options);
    const delivery = result.measures.find((m) => m.key === 'deliveryP99');
    expect(delivery?.worse).toBeGreaterThan(0.1);
    expect(delivery?.verdict).toBe('inconclusive');
    expect(result.caveats.join(' ')).toMatch(/only \d+ s of load/);
  });

  it('treats any consistency violation the baseline had none of as a regression', () => {
    const result = compareRuns(
      baseline,
      input('lossy', { seed: 2, ...quiet, bugs: { loseAcked: 0.01 } }),
      options,
    );
    const lost = result.consistency.find((c) => c.key === 'ackedLost');
    expect(lost?.isNew).toBe(true);
    expect(result.regressed).toBe(true);
    expect(
      result.reasons.some((r) => r.startsWith('new consistency violation: Acknowledged, then lost')),
    ).toBe(true);
  });

  it('does not gate on violations the baseline had too', () => {
    const lossyBase = input('lossy-base', { seed: 1, ...quiet, bugs: { loseAcked: 0.01 } });
    const lossy = input('lossy', { seed: 2, ...quiet, bugs: { loseAcked: 0.01 } });
    const result = compareRuns(lossyBase, lossy, options);
    expect(result.consistency.filter((c) => c.isNew).map((c) => c.key)).toEqual([]);
    expect(result.regressed).toBe(false);
  });

  it('compares recovery with never-recovered incidents ranked above every time', () => {
    const withOutage = (seed: number, censoredUsers: number): CompareInput =>
      input(`outage-${seed}`, {
        seed,
        censoredUsers,
        faults: [{ kind: 'region_outage', target: 'us-east', regions: ['us-east'], at: 0.3, until: 0.6 }],
      });
    // Four of ten clients never come back: among the about 20 incidents (a client served by a
    // message in flight, then cut off, has two), few resamples draw none of them.
    const result = compareRuns(withOutage(1, 0), withOutage(2, 4), options);
    const recovery = result.measures.find((m) => m.key === 'recoveryP99');
    expect(recovery?.baseline).toBeGreaterThan(0);
    expect(recovery?.candidate).toBe(Number.POSITIVE_INFINITY);
    expect(recovery?.verdict).toBe('regressed');
    expect(formatComparison(result)).toMatch(/recovery p99\s+\S+ s\s+never/);
  });

  it('is reproducible for one seed', () => {
    const candidate = input('c', { seed: 2, ...quiet });
    expect(compareRuns(baseline, candidate, { ...options, seed: 9 })).toEqual(
      compareRuns(baseline, candidate, { ...options, seed: 9 }),
    );
  });

  it('rejects options that make no sense', () => {
    expect(() => compareRuns(baseline, baseline, { maxRegression: -1 })).toThrow(/maxRegression/);
    expect(() => compareRuns(baseline, baseline, { confidence: 1 })).toThrow(/confidence/);
    expect(() => compareRuns(baseline, baseline, { iterations: 5 })).toThrow(/iterations/);
  });
});

describe('worseBy', () => {
  it('is positive when the candidate is worse, in either direction of "better"', () => {
    expect(worseBy(100, 150, true)).toBeCloseTo(0.5);
    expect(worseBy(100, 50, false)).toBeCloseTo(1);
    expect(worseBy(100, 80, true)).toBeCloseTo(-0.2);
    expect(worseBy(5, Number.POSITIVE_INFINITY, true)).toBe(Number.POSITIVE_INFINITY);
    expect(worseBy(Number.POSITIVE_INFINITY, 5, true)).toBe(-1);
    expect(worseBy(Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY, true)).toBe(0);
  });
});
