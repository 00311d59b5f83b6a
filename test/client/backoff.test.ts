import { describe, expect, it } from 'vitest';
import { backoffCeiling, backoffDelay, resolveBackoff } from '../../client/backoff.ts';
import { createRandom } from '../../lib/random.ts';

describe('full-jitter backoff', () => {
  it('defaults to a 100 ms first window growing to a 5 s cap', () => {
    const backoff = resolveBackoff();
    expect(backoff).toEqual({ minMs: 100, maxMs: 5000 });
    expect([0, 1, 2, 3, 5, 6, 40].map((a) => backoffCeiling(a, backoff))).toEqual([
      100, 200, 400, 800, 3200, 5000, 5000,
    ]);
  });

  it('draws uniformly from [0, ceiling): the mean is half the window and no draw reaches it', () => {
    const backoff = resolveBackoff({ minMs: 100, maxMs: 1000 });
    const random = createRandom(11);
    let sum = 0;
    let max = 0;
    let min = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 5000; i++) {
      const d = backoffDelay(3, backoff, random.next);
      sum += d;
      max = Math.max(max, d);
      min = Math.min(min, d);
    }
    expect(max).toBeLessThan(800);
    expect(max).toBeGreaterThan(780);
    expect(min).toBeLessThan(20);
    expect(sum / 5000).toBeGreaterThan(380);
    expect(sum / 5000).toBeLessThan(420);
  });

  it('repeats the same delays for the same seed', () => {
    const backoff = resolveBackoff({ minMs: 10, maxMs: 80 });
    const a = createRandom(3);
    const b = createRandom(3);
    const seqA = [0, 1, 2, 3, 4].map((n) => backoffDelay(n, backoff, a.next));
    expect([0, 1, 2, 3, 4].map((n) => backoffDelay(n, backoff, b.next))).toEqual(seqA);
  });

  it('rejects a negative minimum and a maximum below the minimum, naming the field', () => {
    expect(() => resolveBackoff({ minMs: -1 })).toThrow(/backoff\.minMs/);
    expect(() => resolveBackoff({ minMs: 200, maxMs: 100 })).toThrow(/backoff\.maxMs/);
  });

  it('stays finite for absurd attempt counts', () => {
    expect(backoffCeiling(10_000, resolveBackoff({ minMs: 1, maxMs: 7 }))).toBe(7);
    expect(backoffCeiling(-3, resolveBackoff())).toBe(100);
  });
});
