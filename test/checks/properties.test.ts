// Property tests: histories of a correct system give no violations whatever the seed and
// shape; dropping, duplicating or swapping one delivery is always caught; a history cut at any
// point is still checked without false alarms; the fast schema path agrees with zod.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CheckReport, checkHistory } from '../../checks/index.ts';
import { isValidHotEvent } from '../../checks/model.ts';
import { type HistoryEvent, HistoryEvent as HistoryEventSchema } from '../../contracts/history.ts';
import { type SyntheticOptions, syntheticHistory } from '../support/synthetic.ts';
import { fullAck, fullDeliver } from './fixtures.ts';

const shapes: fc.Arbitrary<SyntheticOptions> = fc.record({
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  users: fc.integer({ min: 2, max: 12 }),
  conversations: fc.integer({ min: 1, max: 4 }),
  members: fc.constantFrom<[number, number]>([2, 2], [2, 4], [3, 5]),
  messages: fc.integer({ min: 4, max: 80 }),
  gapMs: fc.constantFrom(5, 40, 200),
  outage: fc.boolean(),
  residencyShare: fc.constantFrom(0, 0.5),
  failShare: fc.constantFrom(0, 0.05),
  indeterminateShare: fc.constantFrom(0, 0.05),
});

function violations(r: CheckReport): Record<string, number> {
  const c = r.consistency;
  return {
    ackedLost: c.ackedLost,
    unexpected: c.unexpected,
    failedButAppeared: c.failedButAppeared,
    duplicates: c.duplicates,
    orderViolations: c.orderViolations,
    divergentConversations: c.divergentConversations,
    readYourWritesViolations: c.readYourWritesViolations,
    monotonicReadViolations: c.monotonicReadViolations,
    silentGaps: c.silentGaps,
    residencyViolations: c.residencyViolations,
    unconvergedConversations: c.unconvergedConversations,
  };
}

const none = {
  ackedLost: 0,
  unexpected: 0,
  failedButAppeared: 0,
  duplicates: 0,
  orderViolations: 0,
  divergentConversations: 0,
  readYourWritesViolations: 0,
  monotonicReadViolations: 0,
  silentGaps: 0,
  residencyViolations: 0,
  unconvergedConversations: 0,
};

type Deliver = Extract<HistoryEvent, { type: 'deliver' }>;

/** Indexes of deliveries of acked messages (the ones loss is judged on). */
function ackedDeliveries(events: HistoryEvent[]): number[] {
  const acked = new Set(events.filter((e) => e.type === 'ack').map((e) => `${e.conv}/${e.user}/${e.cmid}`));
  return events.flatMap((e, i) =>
    e.type === 'deliver' && acked.has(`${e.conv}/${e.from}/${e.cmid}`) ? [i] : [],
  );
}

/** Pairs of indexes of deliveries that follow each other in one session's stream of one conversation. */
function consecutivePairs(events: HistoryEvent[]): [number, number][] {
  const last = new Map<string, number>();
  const pairs: [number, number][] = [];
  events.forEach((e, i) => {
    if (e.type !== 'deliver') return;
    const key = `${e.session}/${e.conv}`;
    const prev = last.get(key);
    if (prev !== undefined) pairs.push([prev, i]);
    last.set(key, i);
  });
  return pairs;
}

describe('valid histories', () => {
  it('give zero violations, whatever the seed and shape', () => {
    fc.assert(
      fc.property(shapes, (shape) => {
        const report = checkHistory(syntheticHistory(shape));
        expect(violations(report)).toEqual(none);
        expect(report.valid.ok).toBe(true);
        expect(report.run.complete).toBe(true);
        for (const f of report.failover.faults) {
          expect(f.failedOver + f.rodeOut + f.neverRecovered + f.unobserved).toBe(f.incidents);
          expect(f.clients).toBeLessThanOrEqual(f.incidents);
        }
      }),
      { numRuns: 40, seed: 4242 },
    );
  });

  it('give the same report streamed event by event as checked whole', () => {
    const events = syntheticHistory({ seed: 9, outage: true, messages: 60 });
    const whole = JSON.stringify(checkHistory(events));
    const streamed = JSON.stringify(
      checkHistory(
        (function* () {
          yield* events;
        })(),
      ),
    );
    expect(streamed).toBe(whole);
  });
});

describe('a broken delivery is always caught', () => {
  it('dropping one delivery of an acked message is a loss', () => {
    fc.assert(
      fc.property(shapes, fc.nat(), (shape, pick) => {
        const events = syntheticHistory(shape);
        const candidates = ackedDeliveries(events);
        fc.pre(candidates.length > 0);
        const drop = candidates[pick % candidates.length]!;
        const dropped = events[drop] as Deliver;
        const report = checkHistory(events.filter((_, i) => i !== drop));
        expect(report.consistency.ackedLost).toBeGreaterThanOrEqual(1);
        const loss = report.consistency.examples.find(
          (e) => e.check === 'acked-lost' && e.cmid === dropped.cmid,
        );
        expect(loss?.message).toContain(`never delivered to ${dropped.user}`);
      }),
      { numRuns: 40, seed: 4343 },
    );
  });

  it('duplicating one delivery is a duplicate', () => {
    fc.assert(
      fc.property(shapes, fc.nat(), (shape, pick) => {
        const events = syntheticHistory(shape);
        const candidates = events.flatMap((e, i) => (e.type === 'deliver' ? [i] : []));
        fc.pre(candidates.length > 0);
        const at = candidates[pick % candidates.length]!;
        const copy = { ...(events[at] as Deliver), t: (events[at] as Deliver).t + 0.001 };
        const report = checkHistory([...events.slice(0, at + 1), copy, ...events.slice(at + 1)]);
        expect(report.consistency.duplicates).toBe(1);
        expect(report.checks.duplicates.examples[0]!.user).toBe(copy.user);
      }),
      { numRuns: 40, seed: 4444 },
    );
  });

  it('swapping two deliveries of one stream is an order violation', () => {
    fc.assert(
      fc.property(shapes, fc.nat(), (shape, pick) => {
        const events = syntheticHistory(shape);
        const pairs = consecutivePairs(events);
        fc.pre(pairs.length > 0);
        const [i, j] = pairs[pick % pairs.length]!;
        const swapped = events.slice();
        swapped[i] = events[j]!;
        swapped[j] = events[i]!;
        const report = checkHistory(swapped);
        expect(report.consistency.orderViolations).toBeGreaterThanOrEqual(1);
        expect(report.checks.order.receiverInversions).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 40, seed: 4545 },
    );
  });
});

describe('a history cut short (a killed run)', () => {
  it('is still checked, raises no false alarm, and says what it could not judge', () => {
    fc.assert(
      fc.property(shapes, fc.double({ min: 0, max: 1, noNaN: true }), (shape, where) => {
        const events = syntheticHistory(shape);
        const cut = Math.floor(where * (events.length - 1));
        const report = checkHistory(events.slice(0, cut));
        expect(violations(report)).toEqual(none);
        expect(report.run.complete).toBe(false);
        expect(report.notes.join('\n')).toMatch(cut === 0 ? /no valid events/ : /no run_end/);
        expect(() => JSON.stringify(report)).not.toThrow();
      }),
      { numRuns: 40, seed: 4646 },
    );
  });

  it('skips a half-written last event and counts it', () => {
    const events = syntheticHistory({ seed: 3, messages: 20 });
    const cut = events.slice(0, 60) as unknown[];
    cut.push({ type: 'deliver', t: 1, user: 'u1' });
    const report = checkHistory(cut as HistoryEvent[]);
    expect(report.run.invalidEvents).toBe(1);
    expect(report.notes.join('\n')).toContain('1 events did not match the history schema');
    expect(report.notes.join('\n')).toContain('session');
  });
});

describe('the fast schema path', () => {
  const value = fc.oneof(
    fc.string(),
    fc.constantFrom('', 'push', 'sync', 'x'),
    fc.integer(),
    fc.double(),
    fc.constantFrom(1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60, -3),
    fc.constant(undefined),
    fc.constant(null),
    fc.boolean(),
  );
  const good = {
    send: { t: 1, intendedAt: 1, user: 'u', conv: 'c', cmid: 'm', region: 'r' },
    ack: fullAck,
    deliver: fullDeliver,
  };

  it('accepts exactly what the zod schema accepts', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('send', 'ack', 'deliver'),
        fc.dictionary(
          fc.constantFrom(
            't',
            'intendedAt',
            'user',
            'session',
            'conv',
            'cmid',
            'from',
            'seq',
            'epoch',
            'via',
            'level',
            'region',
          ),
          value,
        ),
        fc.boolean(),
        (type, overrides, drop) => {
          const base: Record<string, unknown> = { type, ...good[type] };
          for (const [k, v] of Object.entries(overrides)) {
            if (drop && v === undefined) delete base[k];
            else base[k] = v;
          }
          expect(isValidHotEvent(base)).toBe(HistoryEventSchema.safeParse(base).success);
        },
      ),
      { numRuns: 2000, seed: 4747 },
    );
  });
});
