// Laws of the duplicates checker over seeded histories of a correct system: each extra copy of
// a message in a final log, and each extra message at a used seq, counts exactly once (and once
// in its region's metric), and the order a log lists its entries in changes nothing.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDuplicatesChecker, type DuplicatesResult } from '../../checks/duplicates.ts';
import { aggregate, selectSink } from '../../checks/metrics.ts';
import type { HistoryEvent } from '../../contracts/history.ts';
import { createRandom } from '../../lib/random.ts';
import { type SyntheticOptions, syntheticHistory } from '../support/synthetic.ts';
import { check } from './fixtures.ts';

type FinalReadEvent = Extract<HistoryEvent, { type: 'final_read' }>;

const shapes: fc.Arbitrary<SyntheticOptions> = fc.record({
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  users: fc.integer({ min: 2, max: 8 }),
  conversations: fc.integer({ min: 1, max: 3 }),
  members: fc.constantFrom<[number, number]>([2, 2], [2, 4]),
  messages: fc.integer({ min: 4, max: 40 }),
  outage: fc.boolean(),
  residencyShare: fc.constantFrom(0, 0.5),
});

/** The verdict and the `duplicates` metric: its total and its count in `region`. */
function judge(
  events: HistoryEvent[],
  region = '',
): { r: DuplicatesResult; metric: number; inRegion: number } {
  const { r, metrics } = check(createDuplicatesChecker, events);
  return {
    r,
    metric: aggregate(selectSink(metrics, 'duplicates'), 'count', 0),
    inRegion: aggregate(selectSink(metrics, 'duplicates', { region }), 'count', 0),
  };
}

/** The history with the final read at `index` replaced by `read`. */
function withRead(events: HistoryEvent[], index: number, read: FinalReadEvent): HistoryEvent[] {
  return events.map((e, i) => (i === index ? read : e));
}

/** Indexes of the final reads that list at least one entry. */
function nonEmptyReads(events: HistoryEvent[]): number[] {
  return events.flatMap((e, i) => (e.type === 'final_read' && e.messages.length > 0 ? [i] : []));
}

/** A history of `shape` and the non-empty final read `pick` chooses (a shape with none is skipped). */
function someRead(
  shape: SyntheticOptions,
  pick: number,
): { events: HistoryEvent[]; index: number; read: FinalReadEvent } {
  const events = syntheticHistory(shape);
  const reads = nonEmptyReads(events);
  fc.pre(reads.length > 0);
  const index = reads[pick % reads.length]!;
  return { events, index, read: events[index] as FinalReadEvent };
}

describe('duplicates laws', () => {
  it('a correct history has no duplicates and records no metric', () => {
    fc.assert(
      fc.property(shapes, (shape) => {
        const { r, metric } = judge(syntheticHistory(shape));
        expect(r).toMatchObject({ duplicates: 0, examples: [] });
        expect(metric).toBe(0);
      }),
      { numRuns: 25, seed: 2020 },
    );
  });

  it('copying one entry of a final log to a fresh seq adds exactly one log duplicate in that region', () => {
    fc.assert(
      fc.property(shapes, fc.nat(), fc.nat(), (shape, pickRead, pickEntry) => {
        const { events, index, read } = someRead(shape, pickRead);
        const entry = read.messages[pickEntry % read.messages.length]!;
        const fresh = Math.max(...read.messages.map((m) => m.seq)) + 1;
        const copied = { ...read, messages: [...read.messages, { ...entry, seq: fresh }] };
        const { r, metric, inRegion } = judge(withRead(events, index, copied), read.region);
        expect(r).toMatchObject({
          duplicates: 1,
          logDuplicates: 1,
          logSeqCollisions: 0,
          sessionDuplicates: 0,
        });
        expect(r.examples[0]).toMatchObject({ conv: read.conv, region: read.region, cmid: entry.cmid });
        expect(metric).toBe(1);
        expect(inRegion).toBe(1);
      }),
      { numRuns: 25, seed: 2121 },
    );
  });

  it('a new message at a seq a final log already uses adds exactly one collision in that region', () => {
    fc.assert(
      fc.property(shapes, fc.nat(), fc.nat(), (shape, pickRead, pickEntry) => {
        const { events, index, read } = someRead(shape, pickRead);
        const entry = read.messages[pickEntry % read.messages.length]!;
        const intruder = { seq: entry.seq, from: entry.from, cmid: `${entry.cmid}-intruder` };
        const crowded = { ...read, messages: [...read.messages, intruder] };
        const { r, metric, inRegion } = judge(withRead(events, index, crowded), read.region);
        expect(r).toMatchObject({
          duplicates: 1,
          logDuplicates: 0,
          logSeqCollisions: 1,
          sessionDuplicates: 0,
        });
        expect(r.examples[0]!.message).toContain(`at seq ${entry.seq}:`);
        expect(metric).toBe(1);
        expect(inRegion).toBe(1);
      }),
      { numRuns: 25, seed: 2222 },
    );
  });

  it('the order a final log lists its entries in changes no count and no metric', () => {
    fc.assert(
      fc.property(shapes, fc.nat(), fc.nat(), (shape, pickRead, seed) => {
        const { events, index, read } = someRead(shape, pickRead);
        // Make the log faulty first (one copy, one collision), so there is something to count.
        const first = read.messages[0]!;
        const faulty = {
          ...read,
          messages: [...read.messages, { ...first, seq: 10_000 }, { seq: first.seq, from: 'x', cmid: 'y' }],
        };
        const shuffled = { ...faulty, messages: createRandom(seed).shuffle(faulty.messages) };
        const a = judge(withRead(events, index, faulty), read.region);
        const b = judge(withRead(events, index, shuffled), read.region);
        const counts = ({ r, metric, inRegion }: ReturnType<typeof judge>) => ({
          duplicates: r.duplicates,
          logDuplicates: r.logDuplicates,
          logSeqCollisions: r.logSeqCollisions,
          metric,
          inRegion,
        });
        expect(counts(b)).toEqual(counts(a));
        expect(counts(a)).toEqual({
          duplicates: 2,
          logDuplicates: 1,
          logSeqCollisions: 1,
          metric: 2,
          inRegion: 2,
        });
      }),
      { numRuns: 25, seed: 2323 },
    );
  });
});
