// Receiver order in detail: what one session's stream of one conversation must look like, how
// resets restart it, which streams are independent of each other, and how each inversion reads.
import { describe, expect, it } from 'vitest';
import { checkOrder } from '../../checks/order.ts';
import type { HistoryEvent } from '../../contracts/history.ts';
import { at, stage } from './fixtures.ts';

function outOfOrder(s: number, user: string, conv: string, seq: number, afterSeq: number): HistoryEvent {
  return { type: 'out_of_order', t: at(s), user, session: `s-${user}`, conv, seq, afterSeq };
}

describe('order: receiver streams', () => {
  it('keeps the highest seq after an inversion, so every later delivery below it counts too', () => {
    const h = stage()
      .message('c1', 'u1', 'm1', 1, 1, [])
      .message('c1', 'u1', 'm3', 3, 1.2, [])
      .message('c1', 'u1', 'm4', 4, 1.3, [])
      .message('c1', 'u1', 'm5', 5, 1.4, [])
      .deliver('u2', 'c1', 'u1', 'm1', 1, 2)
      .deliver('u2', 'c1', 'u1', 'm5', 5, 2.1)
      .deliver('u2', 'c1', 'u1', 'm3', 3, 2.2)
      .deliver('u2', 'c1', 'u1', 'm4', 4, 2.3)
      .end(30);
    const r = checkOrder(h.events);
    expect(r).toMatchObject({ receiverInversions: 2, senderInversions: 0, orderViolations: 2 });
    expect(r.examples.map((e) => [e.cmid, e.t])).toEqual([
      ['m3', 2.2],
      ['m4', 2.3],
    ]);
    expect(r.examples[0]!.message).toBe(
      'User u2 (session s-u2) received m3 from u1 in c1 at seq 3 by push after seq 5 (m5), at +2.2s.',
    );
    // The second explanation still names the message at the highest seq, not the one before it.
    expect(r.examples[1]!.message).toBe(
      'User u2 (session s-u2) received m4 from u1 in c1 at seq 4 by push after seq 5 (m5), at +2.3s.',
    );
  });

  it('counts a delivery at the seq the stream already reached as an inversion', () => {
    // Two messages at one seq is also divergence; the stream did not go strictly up either way.
    const h = stage()
      .message('c1', 'u1', 'm1', 4, 1, ['u2'])
      .deliver('u2', 'c1', 'u3', 'm9', 4, 2, { via: 'sync' })
      .end(30);
    const r = checkOrder(h.events);
    expect(r.receiverInversions).toBe(1);
    expect(r.divergentConversations).toBe(1);
    expect(r.examples[1]).toEqual({
      check: 'order',
      message:
        'User u2 (session s-u2) received m9 from u3 in c1 at seq 4 by sync after seq 4 (m1), at +2.0s.',
      conv: 'c1',
      cmid: 'm9',
      from: 'u3',
      user: 'u2',
      t: 2,
    });
  });

  it('does not treat a repeat of a message the session already had as an inversion', () => {
    const h = stage()
      .message('c1', 'u1', 'm1', 1, 1, ['u2'])
      .message('c1', 'u1', 'm2', 2, 2, ['u2'])
      .deliver('u2', 'c1', 'u1', 'm1', 1, 3, { via: 'sync' })
      .message('c1', 'u1', 'm3', 3, 4, ['u2'])
      .end(30);
    expect(checkOrder(h.events)).toMatchObject({ receiverInversions: 0, orderViolations: 0, examples: [] });
  });

  it('judges each session, and each conversation within it, as its own stream', () => {
    const h = stage()
      .conv('c2', ['u1', 'u2'])
      .up('u2', 'eu-west', 0.2, 's-u2-tab')
      .message('c1', 'u1', 'm5', 5, 1, ['u2'])
      .message('c2', 'u1', 'n1', 1, 1.5, ['u2'])
      .deliver('u2', 'c1', 'u1', 'm5', 5, 1.6, { session: 's-u2-tab' })
      .message('c1', 'u1', 'm6', 6, 2, [])
      .deliver('u2', 'c1', 'u1', 'm6', 6, 2.1, { session: 's-u2-tab' })
      .end(30);
    expect(checkOrder(h.events)).toMatchObject({ receiverInversions: 0, divergentConversations: 0 });
  });

  it('restarts a stream at the reset seq, so a delivery at or below it still counts', () => {
    const h = stage()
      .message('c1', 'u1', 'm1', 1, 1, ['u2'])
      .message('c1', 'u1', 'm2', 2, 2, ['u2'])
      .message('c1', 'u1', 'm3', 3, 2.5, [])
      .reset('u2', 'c1', 3, 3)
      .deliver('u2', 'c1', 'u1', 'm3', 3, 3.1, { via: 'sync' })
      .end(30);
    const r = checkOrder(h.events);
    expect(r.receiverInversions).toBe(1);
    // Nothing was delivered at the reset seq, so the explanation names no message there.
    expect(r.examples[0]!.message).toBe(
      'User u2 (session s-u2) received m3 from u1 in c1 at seq 3 by sync after seq 3, at +3.1s.',
    );
  });

  it('starts a stream at the reset seq when the session had received nothing yet', () => {
    const h = stage()
      .message('c1', 'u1', 'm4', 4, 1, [])
      .message('c1', 'u1', 'm6', 6, 1.5, [])
      .reset('u2', 'c1', 5, 2)
      .deliver('u2', 'c1', 'u1', 'm4', 4, 2.1, { via: 'sync' })
      .deliver('u2', 'c1', 'u1', 'm6', 6, 2.2, { via: 'sync' })
      .end(30);
    const r = checkOrder(h.events);
    expect(r.receiverInversions).toBe(1);
    expect(r.examples.map((e) => e.cmid)).toEqual(['m4']);
  });

  it('lets a reset of one conversation leave the session’s other streams alone', () => {
    const h = stage()
      .conv('c2', ['u1', 'u2'])
      .message('c1', 'u1', 'm1', 1, 1, [])
      .message('c1', 'u1', 'm2', 2, 1.1, ['u2'])
      .message('c2', 'u1', 'n1', 1, 1.2, ['u2'])
      .reset('u2', 'c2', 0, 2)
      .deliver('u2', 'c1', 'u1', 'm1', 1, 2.1, { via: 'sync' })
      .end(30);
    const r = checkOrder(h.events);
    expect(r.receiverInversions).toBe(1);
    expect(r.examples[0]).toMatchObject({ conv: 'c1', cmid: 'm1', t: 2.1 });
  });

  it('counts each push the system sent out of order, with the seqs and fault context', () => {
    const h = stage()
      .faultStart('f1', 'regionOutage', 'eu-west', ['eu-west'], 0.5)
      .message('c1', 'u1', 'm1', 1, 1, ['u2'])
      .message('c1', 'u1', 'm2', 2, 2, ['u2'])
      .faultStop('f1', 4)
      .end(30);
    h.events.splice(-1, 0, outOfOrder(5, 'u3', 'c1', 7, 9), outOfOrder(6, 'u2', 'c1', 1, 2));
    const r = checkOrder(h.events);
    expect(r).toMatchObject({ receiverInversions: 2, orderViolations: 2, divergentConversations: 0 });
    expect(r.examples).toEqual([
      {
        check: 'order',
        message:
          'The system pushed seq 7 of c1 to user u3 (session s-u3) after it had already pushed seq 9 on the same connection, at +5.0s, after regionOutage(eu-west) ended; the client reordered them, but the server applied or sent them out of order.',
        conv: 'c1',
        user: 'u3',
        t: 5,
      },
      expect.objectContaining({ user: 'u2', t: 6 }),
    ]);
  });

  it('keeps counting inversions once the example list is full', () => {
    const h = stage()
      .message('c1', 'u1', 'm1', 1, 1, [])
      .message('c1', 'u1', 'm2', 2, 1.1, [])
      .message('c1', 'u1', 'm3', 3, 1.2, [])
      .deliver('u2', 'c1', 'u1', 'm3', 3, 2)
      .deliver('u2', 'c1', 'u1', 'm2', 2, 2.1)
      .deliver('u2', 'c1', 'u1', 'm1', 1, 2.2)
      .end(30);
    h.events.splice(-1, 0, outOfOrder(5, 'u2', 'c1', 1, 3));
    const one = checkOrder(h.events, { maxExamples: 1 });
    expect(one.receiverInversions).toBe(3);
    expect(one.examples.map((e) => e.cmid)).toEqual(['m2']);
    const none = checkOrder(h.events, { maxExamples: 0 });
    expect(none).toMatchObject({ receiverInversions: 3, orderViolations: 3, examples: [] });
  });
});
