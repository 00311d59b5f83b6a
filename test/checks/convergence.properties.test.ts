// Laws of the convergence checker over seeded histories of a correct system, where every
// conversation converges: the order a final log lists its entries in changes nothing, while one
// region's different last digest, or one message missing from one region's final log, leaves
// exactly that conversation unconverged.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkConvergence } from '../../checks/convergence.ts';
import type { HistoryEvent } from '../../contracts/history.ts';
import { createRandom } from '../../lib/random.ts';
import { type SyntheticOptions, syntheticHistory } from '../support/synthetic.ts';

type Digest = Extract<HistoryEvent, { type: 'digest' }>;
type FinalReadEvent = Extract<HistoryEvent, { type: 'final_read' }>;

const shapes: fc.Arbitrary<SyntheticOptions> = fc.record({
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  users: fc.integer({ min: 2, max: 8 }),
  conversations: fc.integer({ min: 1, max: 4 }),
  members: fc.constantFrom<[number, number]>([2, 2], [2, 4]),
  messages: fc.integer({ min: 4, max: 40 }),
  outage: fc.boolean(),
  residencyShare: fc.constantFrom(0, 0.5),
});

const conversationsOf = (events: HistoryEvent[]): number =>
  events.filter((e) => e.type === 'conversation').length;

/**
 * Indexes of the events of `type` about conversations that at least two regions report on: a
 * conversation bound to one region has nothing to disagree with.
 */
function shared(events: HistoryEvent[], type: 'digest' | 'final_read'): number[] {
  const regions = new Map<string, number>();
  for (const e of events) if (e.type === type) regions.set(e.conv, (regions.get(e.conv) ?? 0) + 1);
  return events.flatMap((e, i) =>
    e.type === type && (regions.get(e.conv) ?? 0) >= 2 && (e.type === 'digest' || e.messages.length > 0)
      ? [i]
      : [],
  );
}

describe('convergence laws', () => {
  it('a correct history converges everywhere, within the poll after the heal', () => {
    fc.assert(
      fc.property(shapes, (shape) => {
        const events = syntheticHistory(shape);
        const n = conversationsOf(events);
        const r = checkConvergence(events);
        expect(r).toMatchObject({ judged: n, converged: n, unconverged: 0, unjudged: 0, examples: [] });
        expect(r.seconds).toMatchObject({ count: n, max: 0.2 });
        expect(r.allConvergedSeconds).toBe(0.2);
      }),
      { numRuns: 25, seed: 3030 },
    );
  });

  it('the order final logs list their entries in never changes the verdict', () => {
    fc.assert(
      fc.property(shapes, fc.nat(), fc.boolean(), (shape, seed, breakOne) => {
        const events = syntheticHistory(shape);
        // Optionally make one log differ, so unconverged verdicts are compared too.
        let broken = !breakOne;
        const base = events.map((e) => {
          if (broken || e.type !== 'final_read' || e.messages.length < 2) return e;
          broken = true;
          return { ...e, messages: e.messages.slice(1) };
        });
        const rnd = createRandom(seed);
        const shuffled = base.map((e) =>
          e.type === 'final_read' ? { ...e, messages: rnd.shuffle(e.messages) } : e,
        );
        expect(checkConvergence(shuffled)).toEqual(checkConvergence(base));
      }),
      { numRuns: 25, seed: 3131 },
    );
  });

  it('one region reporting a different last digest leaves exactly that conversation unconverged', () => {
    fc.assert(
      fc.property(shapes, fc.nat(), (shape, pick) => {
        const events = syntheticHistory(shape);
        const digests = shared(events, 'digest');
        fc.pre(digests.length > 0);
        const index = digests[pick % digests.length]!;
        const d = events[index] as Digest;
        const changed = events.map((e, i) => (i === index ? { ...d, hash: `${d.hash}-other` } : e));
        const n = conversationsOf(events);
        const r = checkConvergence(changed);
        expect(r).toMatchObject({ judged: n, converged: n - 1, unconverged: 1 });
        expect(r.examples.map((ex) => ex.conv)).toEqual([d.conv]);
        expect(r.examples[0]!.message).toContain(`${d.region} held`);
        expect(r.allConvergedSeconds).toBeNull();
      }),
      { numRuns: 25, seed: 3232 },
    );
  });

  it('one message missing from one region’s final log leaves exactly that conversation unconverged', () => {
    fc.assert(
      fc.property(shapes, fc.nat(), fc.nat(), (shape, pickRead, pickEntry) => {
        const events = syntheticHistory(shape);
        const reads = shared(events, 'final_read');
        fc.pre(reads.length > 0);
        const index = reads[pickRead % reads.length]!;
        const read = events[index] as FinalReadEvent;
        const drop = pickEntry % read.messages.length;
        const short = { ...read, messages: read.messages.filter((_, i) => i !== drop) };
        const n = conversationsOf(events);
        const r = checkConvergence(events.map((e, i) => (i === index ? short : e)));
        expect(r).toMatchObject({ judged: n, converged: n - 1, unconverged: 1 });
        expect(r.examples.map((ex) => ex.conv)).toEqual([read.conv]);
        expect(r.examples[0]!.message).toContain('the final logs differ');
      }),
      { numRuns: 25, seed: 3333 },
    );
  });
});
