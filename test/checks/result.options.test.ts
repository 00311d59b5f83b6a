// The options every checker reads and the bounded example lists they explain anomalies with
// (checks/result.ts). A bad option must be refused with its name and value, not silently turned
// into a check that judges nothing; an example list keeps exactly the first `max` examples.
import { describe, expect, it } from 'vitest';
import { createExampleList, DEFAULT_CHECK_OPTIONS, resolveCheckOptions } from '../../checks/result.ts';

describe('resolveCheckOptions', () => {
  it('defaults to 10 examples and a 5 s delivery grace', () => {
    expect(DEFAULT_CHECK_OPTIONS).toEqual({ maxExamples: 10, deliveryGraceMs: 5000 });
    expect(resolveCheckOptions()).toEqual({ maxExamples: 10, deliveryGraceMs: 5000 });
    expect(resolveCheckOptions({})).toEqual({ maxExamples: 10, deliveryGraceMs: 5000 });
  });

  it('takes each option on its own and keeps the other default', () => {
    expect(resolveCheckOptions({ maxExamples: 3 })).toEqual({ maxExamples: 3, deliveryGraceMs: 5000 });
    expect(resolveCheckOptions({ deliveryGraceMs: 250.5 })).toEqual({
      maxExamples: 10,
      deliveryGraceMs: 250.5,
    });
  });

  it('accepts zero for both: no examples, no grace', () => {
    expect(resolveCheckOptions({ maxExamples: 0, deliveryGraceMs: 0 })).toEqual({
      maxExamples: 0,
      deliveryGraceMs: 0,
    });
  });

  it('refuses a negative or fractional example count, naming the value', () => {
    expect(() => resolveCheckOptions({ maxExamples: -1 })).toThrow(
      'checks: maxExamples must be a non-negative integer, got -1',
    );
    expect(() => resolveCheckOptions({ maxExamples: 1.5 })).toThrow(
      'checks: maxExamples must be a non-negative integer, got 1.5',
    );
    expect(() => resolveCheckOptions({ maxExamples: Number.POSITIVE_INFINITY })).toThrow('got Infinity');
  });

  it('refuses a negative, infinite or NaN grace, naming the value', () => {
    expect(() => resolveCheckOptions({ deliveryGraceMs: -0.5 })).toThrow(
      'checks: deliveryGraceMs must be a non-negative number of ms, got -0.5',
    );
    expect(() => resolveCheckOptions({ deliveryGraceMs: Number.POSITIVE_INFINITY })).toThrow(
      'checks: deliveryGraceMs must be a non-negative number of ms, got Infinity',
    );
    expect(() => resolveCheckOptions({ deliveryGraceMs: Number.NaN })).toThrow('got NaN');
  });

  it('checks the example count before the grace', () => {
    expect(() => resolveCheckOptions({ maxExamples: -1, deliveryGraceMs: -1 })).toThrow('maxExamples');
  });
});

describe('createExampleList', () => {
  const example = (n: number) => ({ check: 'acked-lost', message: `example ${n}` });

  it('keeps the first max examples in order and refuses the rest', () => {
    const list = createExampleList(2);
    expect(list.wanted).toBe(true);
    expect(list.add(example(1))).toBe(true);
    expect(list.wanted).toBe(true);
    expect(list.add(example(2))).toBe(true);
    expect(list.wanted).toBe(false);
    expect(list.add(example(3))).toBe(false);
    expect(list.wanted).toBe(false);
    expect(list.items).toEqual([example(1), example(2)]);
  });

  it('keeps nothing and wants nothing when max is zero', () => {
    const list = createExampleList(0);
    expect(list.wanted).toBe(false);
    expect(list.add(example(1))).toBe(false);
    expect(list.items).toEqual([]);
  });

  it('keeps a long run of examples up to a larger max', () => {
    const list = createExampleList(10);
    const kept = Array.from({ length: 25 }, (_, i) => list.add(example(i)));
    expect(kept.filter(Boolean)).toHaveLength(10);
    expect(kept.indexOf(false)).toBe(10);
    expect(list.items.map((e) => e.message)).toEqual(Array.from({ length: 10 }, (_, i) => `example ${i}`));
  });
});
