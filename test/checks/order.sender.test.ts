// Sender order in detail: a send that starts after an earlier message of the same sender and
// conversation was acked must get a higher seq. Which messages take part, which ack counts as
// "before", and which earlier message an explanation names.
import { describe, expect, it } from 'vitest';
import { checkOrder } from '../../checks/order.ts';
import { named } from '../support/named.ts';
import { type Builder, stage } from './fixtures.ts';

/** u1's sends in c1 on the usual stage, each [cmid, sent at, seq, acked at], written send then ack. */
function sends(...acks: [cmid: string, s: number, seq: number, ackS: number][]): Builder {
  const b = stage();
  for (const [cmid, s, seq, ackS] of acks) b.acked('u1', 'c1', cmid, s, seq, ackS);
  return b;
}

describe('order: sender order', () => {
  it('counts an ack at the very moment of the next send as before it', () => {
    const h = sends(['m1', 1, 5, 2], ['m2', 2, 4, 2.5]).end(30);
    const r = checkOrder(h.events);
    expect(r).toMatchObject({ senderInversions: 1, receiverInversions: 0, orderViolations: 1 });
    expect(r.examples).toEqual([
      {
        check: 'order',
        message:
          'User u1 sent m2 in c1 at +2.0s, after m1 was acked with seq 5 at 2.0s, yet m2 got the lower seq 4.',
        conv: 'c1',
        cmid: 'm2',
        from: 'u1',
        t: 2,
      },
    ]);
  });

  // Each history holds one sender inversion; `example` is where its explanation stands (0 unless said).
  it.each(
    named([
      {
        name: 'bounds later sends by a message acked the instant it was sent',
        history: sends(['m1', 1, 5, 1], ['m2', 2, 4, 2.02]),
        counts: { senderInversions: 1, orderViolations: 1 },
        message:
          'User u1 sent m2 in c1 at +2.0s, after m1 was acked with seq 5 at 1.0s, yet m2 got the lower seq 4.',
      },
      {
        name: 'raises the bar as higher seqs are acked',
        history: sends(['m1', 1, 1, 1.1], ['m2', 2, 6, 2.1], ['m3', 3, 4, 3.1]),
        counts: { senderInversions: 1 },
        message:
          'User u1 sent m3 in c1 at +3.0s, after m2 was acked with seq 6 at 2.1s, yet m3 got the lower seq 4.',
      },
      {
        // The divergence at seq 7 is explained first.
        name: 'names the first message acked at the highest seq when two share it',
        history: sends(['m1', 1, 7, 1.1], ['m2', 1.05, 7, 1.2], ['m3', 2, 5, 2.1]),
        counts: { senderInversions: 1, divergentConversations: 1 },
        example: 1,
        message:
          'User u1 sent m3 in c1 at +2.0s, after m1 was acked with seq 7 at 1.1s, yet m3 got the lower seq 5.',
      },
      {
        // Only m2 against m1 counts: mx has no send to order it by, m0 has no seq.
        name: 'leaves out messages never acked and acks whose send the history does not hold',
        history: stage()
          .send('u1', 'c1', 'm0', 0.5)
          .failed('u1', 'c1', 'm0', 0.6)
          .ack('u1', 'c1', 'mx', 9, 0.7)
          .acked('u1', 'c1', 'm1', 1, 5, 1.1)
          .acked('u1', 'c1', 'm2', 2, 4, 2.1),
        counts: { senderInversions: 1 },
        message:
          'User u1 sent m2 in c1 at +2.0s, after m1 was acked with seq 5 at 1.1s, yet m2 got the lower seq 4.',
      },
    ]),
  )('%s', (_name, { history, counts, example = 0, message }) => {
    const r = checkOrder(history.end(30).events);
    expect(r).toMatchObject(counts);
    expect(r.examples[example]!.message).toBe(message);
  });

  it('compares a send with the highest seq acked before it, not the latest ack', () => {
    const h = sends(['m1', 1, 7, 1.1], ['m2', 1.05, 3, 1.2], ['m3', 2.5, 5, 2.6]).end(30);
    const r = checkOrder(h.events);
    expect(r.senderInversions).toBe(1);
    expect(r.examples.map((e) => e.message)).toEqual([
      'User u1 sent m3 in c1 at +2.5s, after m1 was acked with seq 7 at 1.1s, yet m3 got the lower seq 5.',
    ]);
  });

  // None of these histories holds a sender inversion.
  it.each(
    named([
      {
        name: 'accepts sends acked at the very moment they were sent, in seq order',
        history: sends(['m1', 1, 1, 1.1], ['m2', 2, 2, 2]),
        expected: { senderInversions: 0, orderViolations: 0, examples: [] },
      },
      {
        name: 'leaves a later message at the same seq to divergence, not sender order',
        history: sends(['m1', 1, 5, 1.1], ['m2', 2, 5, 2.1]),
        expected: { senderInversions: 0, orderViolations: 0, divergentConversations: 1 },
      },
      {
        // mB overlapped mA, so its lower seq is fine; mC came after both acks and is above both.
        name: 'judges sends by their time even when the history lists them out of order',
        history: sends(['mA', 1, 10, 2], ['mC', 3, 11, 3.1], ['mB', 1.5, 3, 2.5]),
        expected: { senderInversions: 0, orderViolations: 0 },
      },
      {
        name: 'compares only messages of the same sender in the same conversation',
        history: stage()
          .conv('c2', ['u1', 'u3'])
          .acked('u1', 'c1', 'm1', 1, 5, 1.1)
          .acked('u3', 'c1', 'm2', 2, 4, 2.1)
          .acked('u1', 'c2', 'n1', 3, 1, 3.1),
        expected: { senderInversions: 0, orderViolations: 0 },
      },
      {
        name: 'ignores an ack without a send even when it is the highest seq',
        history: stage().ack('u1', 'c1', 'mx', 9, 0.7).acked('u1', 'c1', 'm1', 1, 2, 1.1),
        expected: { senderInversions: 0 },
      },
    ]),
  )('%s', (_name, { history, expected }) => {
    expect(checkOrder(history.end(30).events)).toMatchObject(expected);
  });

  it('admits acks in ack order, so a send between two acks sees only the first', () => {
    // m1 and m2 overlap and are acked out of send order; m3 is sent between the two acks.
    const h = stage()
      .send('u1', 'c1', 'm1', 1)
      .acked('u1', 'c1', 'm2', 1.1, 6, 1.3)
      .send('u1', 'c1', 'm3', 1.4)
      .ack('u1', 'c1', 'm1', 8, 1.5)
      .ack('u1', 'c1', 'm3', 5, 1.6)
      .end(30);
    const r = checkOrder(h.events);
    expect(r.senderInversions).toBe(1);
    expect(r.examples[0]).toMatchObject({ cmid: 'm3', t: 1.4 });
    expect(r.examples[0]!.message).toContain('after m2 was acked with seq 6 at 1.3s');
  });

  it('counts every later send below an earlier ack, each once', () => {
    const h = sends(['m1', 1, 9, 1.1], ['m2', 2, 4, 2.1], ['m3', 3, 6, 3.1], ['m4', 4, 10, 4.1]).end(30);
    const r = checkOrder(h.events);
    expect(r).toMatchObject({ senderInversions: 2, orderViolations: 2 });
    expect(r.examples.map((e) => [e.cmid, e.t])).toEqual([
      ['m2', 2],
      ['m3', 3],
    ]);
  });

  it('keeps receiver examples first and drops sender examples past the limit, still counting them', () => {
    const h = sends(['m1', 1, 5, 1.1], ['m2', 2, 4, 2.1])
      .deliver('u2', 'c1', 'u1', 'm1', 5, 2.2)
      .deliver('u2', 'c1', 'u1', 'm2', 4, 2.3)
      .end(30);
    const r = checkOrder(h.events, { maxExamples: 1 });
    expect(r).toMatchObject({ receiverInversions: 1, senderInversions: 1, orderViolations: 2 });
    expect(r.examples).toHaveLength(1);
    expect(r.examples[0]!.message).toMatch(/^User u2 \(session s-u2\) received m2/);
    expect(checkOrder(h.events).examples).toEqual([
      expect.objectContaining({ user: 'u2', cmid: 'm2', t: 2.3 }),
      expect.objectContaining({ from: 'u1', cmid: 'm2', t: 2 }),
    ]);
  });
});
