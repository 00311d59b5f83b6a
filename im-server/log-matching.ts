// Comparing two logs by their epoch boundaries. One home sequences each epoch and assigns each
// seq once, so two entries with the same (seq, epoch) are the same message, and two logs that
// agree at a seq agree on everything before it. That makes the agreeing part a prefix, found by
// binary search over epoch boundaries alone, without shipping the entries.
import type { EpochStarts } from './internal-protocol.ts';

/** The epoch of the entry at `seq` in a log described by `starts` (undefined outside 1..lastSeq). */
export function epochAt(starts: EpochStarts, lastSeq: number, seq: number): number | undefined {
  if (seq < 1 || seq > lastSeq) return undefined;
  let found: number | undefined;
  for (const [epoch, first] of starts) {
    if (first > seq) break;
    found = epoch;
  }
  return found;
}

/** The largest seq up to which both logs hold the same entries (0 when they share nothing). */
export function agreementPoint(a: EpochStarts, aLast: number, b: EpochStarts, bLast: number): number {
  let lo = 0;
  let hi = Math.min(aLast, bLast);
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    const ea = epochAt(a, aLast, mid);
    if (ea !== undefined && ea === epochAt(b, bLast, mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The boundaries after dropping every entry above `lastSeq`. */
export function truncateStarts(starts: EpochStarts, lastSeq: number): EpochStarts {
  return starts.filter(([, first]) => first <= lastSeq);
}

/** Records that an entry of `epoch` was appended at `seq` (entries arrive in seq order). */
export function noteAppend(starts: EpochStarts, epoch: number, seq: number): void {
  const last = starts[starts.length - 1];
  if (last === undefined || last[0] !== epoch) starts.push([epoch, seq]);
}
