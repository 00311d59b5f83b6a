// Laws of the order checker over seeded random histories full of anomalies (wrong seqs, late and
// reordered deliveries, resets, disagreeing final logs): conversations are judged independently,
// only the order of seqs matters, never their values, and a faithful extra receiver adds nothing.
import { describe, expect, it } from 'vitest';
import { checkOrder, type OrderResult } from '../../checks/order.ts';
import type { HistoryEvent } from '../../contracts/history.ts';
import { createRandom, type Random } from '../../lib/random.ts';

const T0 = 1_700_000_000_000;
const USERS = ['u1', 'u2', 'u3', 'u4'];
const REGIONS = ['eu-west', 'us-east'];

function prelude(convs: string[]): HistoryEvent[] {
  return [
    { type: 'run_start', t: T0, runId: 'prop', scenario: 'prop', seed: 1, regions: REGIONS },
    ...convs.map((conv): HistoryEvent => ({ type: 'conversation', t: T0 + 1, conv, members: USERS })),
  ];
}

/** One conversation's events, in time order, with anomalies at random. */
function conversation(rnd: Random, conv: string): HistoryEvent[] {
  const out: HistoryEvent[] = [];
  const n = rnd.int(2, 9);
  const acked: { seq: number; from: string; cmid: string }[] = [];
  for (let k = 1; k <= n; k++) {
    const from = rnd.pick(USERS);
    const cmid = `${conv}-m${k}`;
    const sendT = T0 + 1000 + rnd.int(0, 4000);
    out.push({ type: 'send', t: sendT, intendedAt: sendT, user: from, conv, cmid });
    if (rnd.chance(0.15)) continue;
    const seq = rnd.chance(0.8) ? k : rnd.int(1, n);
    out.push({ type: 'ack', t: sendT + rnd.int(5, 1500), user: from, conv, cmid, seq });
    acked.push({ seq, from, cmid });
    for (const user of USERS) {
      if (user === from || rnd.chance(0.3)) continue;
      const session = rnd.chance(0.8) ? `s-${user}` : `s-${user}-b`;
      const dseq = rnd.chance(0.9) ? seq : rnd.int(1, n);
      const t = sendT + rnd.int(10, 3000);
      out.push({ type: 'deliver', t, user, session, conv, cmid, from, seq: dseq, via: 'push' });
      if (rnd.chance(0.1)) {
        out.push({
          type: 'reset',
          t: t + 1,
          user,
          session,
          conv,
          seq: rnd.int(0, n),
          reason: 'epoch changed',
        });
      }
      if (rnd.chance(0.05)) {
        out.push({ type: 'out_of_order', t: t + 2, user, session, conv, seq: dseq, afterSeq: dseq + 1 });
      }
    }
  }
  for (const region of REGIONS) {
    const log = acked.filter(() => rnd.chance(0.9)).map((m) => ({ ...m }));
    if (log.length >= 2 && rnd.chance(0.3)) {
      const i = rnd.int(0, log.length - 2);
      [log[i]!.seq, log[i + 1]!.seq] = [log[i + 1]!.seq, log[i]!.seq];
    }
    out.push({ type: 'final_read', t: T0 + 20_000, region, conv, ok: true, messages: log });
  }
  return out
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.t - b.e.t || a.i - b.i)
    .map((x) => x.e);
}

/** A random merge of two event lists that keeps each list's own order. */
function interleave(rnd: Random, a: HistoryEvent[], b: HistoryEvent[]): HistoryEvent[] {
  const out: HistoryEvent[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && rnd.chance(0.5))) out.push(a[i++]!);
    else out.push(b[j++]!);
  }
  return out;
}

function counts(r: OrderResult): Omit<OrderResult, 'examples'> {
  const { examples: _examples, ...rest } = r;
  return rest;
}

function sum(
  a: Omit<OrderResult, 'examples'>,
  b: Omit<OrderResult, 'examples'>,
): Omit<OrderResult, 'examples'> {
  return {
    orderViolations: a.orderViolations + b.orderViolations,
    receiverInversions: a.receiverInversions + b.receiverInversions,
    senderInversions: a.senderInversions + b.senderInversions,
    divergentConversations: a.divergentConversations + b.divergentConversations,
    seqConflicts: a.seqConflicts + b.seqConflicts,
  };
}

/** The same history with every seq mapped through a strictly increasing function. */
function relabel(events: HistoryEvent[], f: (seq: number) => number): HistoryEvent[] {
  return events.map((e): HistoryEvent => {
    switch (e.type) {
      case 'ack':
      case 'deliver':
      case 'reset':
        return { ...e, seq: f(e.seq) };
      case 'out_of_order':
        return { ...e, seq: f(e.seq), afterSeq: f(e.afterSeq) };
      case 'final_read':
        return { ...e, messages: e.messages.map((m) => ({ ...m, seq: f(m.seq) })) };
      default:
        return e;
    }
  });
}

const SEEDS = Array.from({ length: 40 }, (_, i) => i + 1);

describe('order: properties', () => {
  it('judges conversations independently: any interleaving of two adds up their verdicts', () => {
    let anomalous = 0;
    for (const seed of SEEDS) {
      const rnd = createRandom(`order-interleave-${seed}`);
      const a = conversation(rnd, 'ca');
      const b = conversation(rnd, 'cb');
      const alone = sum(
        counts(checkOrder([...prelude(['ca']), ...a])),
        counts(checkOrder([...prelude(['cb']), ...b])),
      );
      const together = checkOrder([...prelude(['ca', 'cb']), ...interleave(rnd, a, b)]);
      expect(counts(together), `seed ${seed}`).toEqual(alone);
      if (together.orderViolations > 0 && together.divergentConversations > 0) anomalous++;
    }
    // The generator must actually produce both kinds of anomaly for the law to mean anything.
    expect(anomalous).toBeGreaterThan(SEEDS.length / 4);
  });

  it('depends only on the order of seqs, not their values', () => {
    for (const seed of SEEDS) {
      const rnd = createRandom(`order-relabel-${seed}`);
      const events = [...prelude(['c1']), ...conversation(rnd, 'c1')];
      const base = checkOrder(events);
      // Far past the dense range: the seqs land in sparse slots.
      const spread = checkOrder(relabel(events, (s) => 5000 * s + 1_000_000));
      expect(counts(spread), `seed ${seed}`).toEqual(counts(base));
      expect(
        spread.examples.map((e) => [e.check, e.cmid]),
        `seed ${seed}`,
      ).toEqual(base.examples.map((e) => [e.check, e.cmid]));
    }
  });

  it('never changes a count when a new session receives every acked seq once, in order', () => {
    let checked = 0;
    for (const seed of SEEDS) {
      const rnd = createRandom(`order-faithful-${seed}`);
      const events = [...prelude(['c1']), ...conversation(rnd, 'c1')];
      const base = checkOrder(events);
      const bySeq = new Map<number, Extract<HistoryEvent, { type: 'ack' }>>();
      for (const e of events) if (e.type === 'ack' && !bySeq.has(e.seq)) bySeq.set(e.seq, e);
      const t = T0 + 30_000;
      const extra = [...bySeq.values()]
        .sort((x, y) => x.seq - y.seq)
        .map(
          (ack, i): HistoryEvent => ({
            type: 'deliver',
            t: t + i,
            user: 'u5',
            session: 's-u5',
            conv: 'c1',
            cmid: ack.cmid,
            from: ack.user,
            seq: ack.seq,
            via: 'sync',
          }),
        );
      checked += extra.length;
      expect(counts(checkOrder([...events, ...extra])), `seed ${seed}`).toEqual(counts(base));
    }
    expect(checked).toBeGreaterThan(SEEDS.length);
  });
});
