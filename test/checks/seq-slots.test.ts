import { describe, expect, it } from 'vitest';
import { checkOrder } from '../../checks/order.ts';
import { createSeqSlots, getSlot, setSlot, slotSeqs } from '../../checks/seq-slots.ts';
import { createRandom } from '../../lib/random.ts';
import { stage } from './fixtures.ts';

describe('seq slots', () => {
  it('keeps small seqs in an array and far, negative or fractional ones in a map, and finds both', () => {
    const slots = createSeqSlots<string>();
    for (const [seq, v] of [
      [3, 'a'],
      [1, 'b'],
      [1_000_000_000, 'c'],
      [-2, 'd'],
      [2.5, 'e'],
    ] as const) {
      setSlot(slots, seq, v);
    }
    expect(slots.dense.length).toBe(4);
    expect([1, 3, 1_000_000_000, -2, 2.5].map((s) => getSlot(slots, s))).toEqual(['b', 'a', 'c', 'd', 'e']);
    expect(getSlot(slots, 2)).toBeUndefined();
    expect(slotSeqs(slots)).toEqual([-2, 1, 2.5, 3, 1_000_000_000]);
  });

  it('moves a seq from the map to the array once the array reaches it', () => {
    const slots = createSeqSlots<number>();
    setSlot(slots, 5000, 1);
    for (let s = 0; s < 5000; s++) setSlot(slots, s, 0);
    setSlot(slots, 5000, 2);
    expect(getSlot(slots, 5000)).toBe(2);
    expect(slotSeqs(slots).filter((s) => s === 5000)).toHaveLength(1);
  });

  it('finds a value at seq 0 and tells an empty slot from a filled one', () => {
    const slots = createSeqSlots<string>();
    expect(getSlot(slots, 0)).toBeUndefined();
    setSlot(slots, 0, 'zero');
    expect(getSlot(slots, 0)).toBe('zero');
    expect(slots.dense).toStrictEqual(['zero']);
    expect(slots.sparse).toBeUndefined();
    expect(slotSeqs(slots)).toEqual([0]);
  });

  it('fills the gap below a new seq with explicit empty slots, so the array never has holes', () => {
    const slots = createSeqSlots<string>();
    setSlot(slots, 3, 'x');
    expect(slots.dense).toStrictEqual([undefined, undefined, undefined, 'x']);
    setSlot(slots, 1, 'y');
    expect(slots.dense).toStrictEqual([undefined, 'y', undefined, 'x']);
    expect(slotSeqs(slots)).toEqual([1, 3]);
  });

  it('grows the array by less than 1024 past its end and sends a farther seq to the map', () => {
    const slots = createSeqSlots<number>();
    setSlot(slots, 1024, 1);
    expect(slots.dense).toHaveLength(0);
    expect([...slots.sparse!.entries()]).toEqual([[1024, 1]]);
    setSlot(slots, 1023, 2);
    expect(slots.dense).toHaveLength(1024);
    expect(slots.dense[1023]).toBe(2);
    // Now 1024 is within reach: a new value there goes to the array and leaves the map.
    setSlot(slots, 2047, 3);
    expect(slots.dense).toHaveLength(2048);
    expect(slots.sparse!.has(2047)).toBe(false);
    expect(getSlot(slots, 1024)).toBe(1);
    expect(slotSeqs(slots)).toEqual([1023, 1024, 2047]);
  });

  it('reads a seq from the map only when the array has nothing there', () => {
    const slots = createSeqSlots<string>();
    setSlot(slots, -1, 'neg');
    setSlot(slots, 0, 'zero');
    expect(getSlot(slots, 0)).toBe('zero');
    expect(getSlot(slots, -1)).toBe('neg');
    expect(getSlot(slots, 1)).toBeUndefined();
    expect(getSlot(slots, 7)).toBeUndefined();
    expect(slotSeqs(slots)).toEqual([-1, 0]);
  });

  it('overwrites a value in place, in the array and in the map', () => {
    const slots = createSeqSlots<string>();
    setSlot(slots, 2, 'a');
    setSlot(slots, 2, 'b');
    setSlot(slots, -5, 'c');
    setSlot(slots, -5, 'd');
    expect(getSlot(slots, 2)).toBe('b');
    expect(getSlot(slots, -5)).toBe('d');
    expect(slots.dense).toHaveLength(3);
    expect(slots.sparse!.size).toBe(1);
  });

  it('lists every seq ascending, mixing array and map seqs, whatever order they were set in', () => {
    const rnd = createRandom(17);
    for (let round = 0; round < 20; round++) {
      const slots = createSeqSlots<number>();
      const seqs = new Set<number>();
      for (let i = 0; i < 40; i++) {
        const r = rnd.next();
        const seq =
          r < 0.5
            ? rnd.int(0, 199)
            : r < 0.7
              ? -rnd.int(1, 50)
              : r < 0.85
                ? rnd.int(5000, 1_005_000)
                : rnd.int(0, 99) + 0.5;
        setSlot(slots, seq, i);
        seqs.add(seq);
      }
      expect(slotSeqs(slots)).toEqual([...seqs].sort((a, b) => a - b));
      for (const seq of seqs) expect(getSlot(slots, seq)).toBeTypeOf('number');
    }
  });

  it('lets the checkers work with seqs that start at a billion', () => {
    const base = 1_000_000_000;
    const h = stage()
      .message('c1', 'u1', 'm1', base + 1, 1, ['u2', 'u3'])
      .message('c1', 'u1', 'm2', base + 2, 2, ['u2', 'u3'])
      .deliver('u3', 'c1', 'u1', 'm1', base + 1, 3)
      .end(30);
    const r = checkOrder(h.events);
    expect(r.divergentConversations).toBe(0);
    expect(r.receiverInversions).toBe(0);
  });
});
