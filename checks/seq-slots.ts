// Values indexed by seq. Seqs are small dense integers in practice, so an array indexed by seq
// beats a Map by a wide margin on a million-event history. The array only grows a little past
// its end at a time; a seq far beyond it (or negative, or fractional) goes to a Map, so a
// target whose seqs start at a billion costs no memory.

const GROW_LIMIT = 1024;

export interface SeqSlots<T> {
  dense: (T | undefined)[];
  sparse: Map<number, T> | undefined;
}

export function createSeqSlots<T>(): SeqSlots<T> {
  return { dense: [], sparse: undefined };
}

export function getSlot<T>(slots: SeqSlots<T>, seq: number): T | undefined {
  // The bounds keep V8 on its fast in-bounds read: one negative or past-the-end read slows
  // every later read, though it would give undefined as well.
  // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator: a read outside 0..length-1 gives undefined too, so widening the guard changes no result; narrowing it fails the seq-0 and in-range tests
  const v = seq >= 0 && seq < slots.dense.length ? slots.dense[seq] : undefined;
  return v !== undefined || slots.sparse === undefined ? v : slots.sparse.get(seq);
}

export function setSlot<T>(slots: SeqSlots<T>, seq: number, value: T): void {
  const dense = slots.dense;
  if (Number.isInteger(seq) && seq >= 0 && seq < dense.length + GROW_LIMIT) {
    while (dense.length < seq) dense.push(undefined);
    dense[seq] = value;
    slots.sparse?.delete(seq);
  } else {
    slots.sparse ??= new Map();
    slots.sparse.set(seq, value);
  }
}

/** Every seq holding a value, ascending. */
export function slotSeqs<T>(slots: SeqSlots<T>): number[] {
  const seqs: number[] = [];
  const dense = slots.dense;
  for (let seq = 0; seq < dense.length; seq++) if (dense[seq] !== undefined) seqs.push(seq);
  if (slots.sparse !== undefined) {
    seqs.push(...slots.sparse.keys());
    seqs.sort((a, b) => a - b);
  }
  return seqs;
}
