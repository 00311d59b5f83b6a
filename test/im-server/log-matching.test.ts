import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EpochStarts } from '../../im-server/internal-protocol.ts';
import { agreementPoint, epochAt, noteAppend, truncateStarts } from '../../im-server/log-matching.ts';

function startsOf(epochs: number[]): EpochStarts {
  const starts: EpochStarts = [];
  for (const [i, epoch] of epochs.entries()) noteAppend(starts, epoch, i + 1);
  return starts;
}

describe('log matching', () => {
  it('finds the epoch of an entry', () => {
    const starts = startsOf([1, 1, 2, 2, 2, 4]);
    expect([0, 1, 2, 3, 5, 6, 7].map((s) => epochAt(starts, 6, s))).toEqual([
      undefined,
      1,
      1,
      2,
      2,
      4,
      undefined,
    ]);
  });

  it('agrees up to the first differing epoch', () => {
    expect(agreementPoint(startsOf([1, 1, 2, 2]), 4, startsOf([1, 1, 2, 3, 3]), 5)).toBe(3);
    expect(agreementPoint(startsOf([1, 1]), 2, startsOf([1, 1, 1, 1]), 4)).toBe(2);
    expect(agreementPoint(startsOf([2]), 1, startsOf([1]), 1)).toBe(0);
    expect(agreementPoint([], 0, startsOf([1]), 1)).toBe(0);
  });

  it('matches a naive scan on random logs that share a prefix', () => {
    const epochRun = fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 30 }).map((xs) => {
      const sorted = [...xs].sort((a, b) => a - b);
      return sorted;
    });
    fc.assert(
      fc.property(epochRun, epochRun, epochRun, (prefix, tailA, tailB) => {
        const base = prefix.length === 0 ? 0 : prefix[prefix.length - 1]!;
        // Tails start in epochs after the shared prefix so logs stay non-decreasing.
        const a = [...prefix, ...tailA.map((e) => e + base + 4)];
        const b = [...prefix, ...tailB.map((e) => e + base + 8)];
        let naive = 0;
        while (naive < Math.min(a.length, b.length) && a[naive] === b[naive]) naive++;
        expect(agreementPoint(startsOf(a), a.length, startsOf(b), b.length)).toBe(naive);
      }),
      { seed: 7, numRuns: 300 },
    );
  });

  it('truncates boundaries', () => {
    expect(truncateStarts(startsOf([1, 1, 2, 3]), 2)).toEqual([[1, 1]]);
  });
});
