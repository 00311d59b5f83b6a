import { describe, expect, it } from 'vitest';
import { checkOrder } from '../../checks/order.ts';
import { createSeqSlots, getSlot, setSlot, slotSeqs } from '../../checks/seq-slots.ts';
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
