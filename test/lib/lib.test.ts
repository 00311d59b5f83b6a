import { describe, expect, it } from 'vitest';
import { createHistogram, merge, percentile, record, summarize } from '../../lib/histogram.ts';
import { createRandom } from '../../lib/random.ts';

describe('createRandom', () => {
  it('repeats the same sequence for the same seed and differs for another', () => {
    const a = createRandom(42);
    const b = createRandom(42);
    const c = createRandom(43);
    const seqA = Array.from({ length: 20 }, () => a.next());
    expect(Array.from({ length: 20 }, () => b.next())).toEqual(seqA);
    expect(Array.from({ length: 20 }, () => c.next())).not.toEqual(seqA);
  });

  it('keeps forked streams independent of draws on the parent', () => {
    const a = createRandom(7);
    const b = createRandom(7);
    b.next();
    b.next();
    expect(a.fork('faults').next()).toBe(b.fork('faults').next());
  });

  it('draws uniformly enough: chance(0.5) over 10k draws is near half', () => {
    const r = createRandom(1);
    let hits = 0;
    for (let i = 0; i < 10_000; i++) if (r.chance(0.5)) hits++;
    expect(hits).toBeGreaterThan(4_800);
    expect(hits).toBeLessThan(5_200);
  });
});

describe('histogram', () => {
  it('reports percentiles within 1% of the exact value', () => {
    const h = createHistogram();
    const values = Array.from({ length: 10_000 }, (_, i) => i + 1);
    for (const v of values) record(h, v);
    expect(percentile(h, 50)).toBeGreaterThanOrEqual(5_000);
    expect(percentile(h, 50)).toBeLessThanOrEqual(5_050);
    expect(percentile(h, 99)).toBeGreaterThanOrEqual(9_900);
    expect(percentile(h, 99)).toBeLessThanOrEqual(9_999);
    expect(summarize(h).max).toBe(10_000);
    expect(summarize(h).min).toBe(1);
  });

  it('merges exactly: two halves give the same percentiles as the whole', () => {
    const whole = createHistogram();
    const left = createHistogram();
    const right = createHistogram();
    for (let i = 1; i <= 1000; i++) {
      record(whole, i * 1.7);
      record(i % 2 ? left : right, i * 1.7);
    }
    const merged = merge(left, right);
    expect(summarize(merged)).toEqual(summarize(whole));
  });

  it('is empty-safe', () => {
    expect(Number.isNaN(percentile(createHistogram(), 99))).toBe(true);
  });
});

describe('parseDuration', () => {
  it('reads k6-style durations', async () => {
    const { parseDuration, formatDuration } = await import('../../lib/duration.ts');
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration(250)).toBe(250);
    expect(parseDuration('250')).toBe(250);
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(() => parseDuration('10 parsecs')).toThrow(/invalid duration "10 parsecs"/);
    expect(() => parseDuration('')).toThrow(/invalid duration/);
  });
});
