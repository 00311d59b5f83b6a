import { describe, expect, it } from 'vitest';
import { checkOrder } from '../../checks/order.ts';
import { sorted, stage } from './fixtures.ts';

describe('order', () => {
  it('finds nothing when every log and stream follows one seq order', () => {
    const h = stage()
      .message('c1', 'u1', 'm1', 1, 1, ['u2', 'u3'])
      .message('c1', 'u2', 'm2', 2, 2, ['u1', 'u3'])
      .message('c1', 'u1', 'm3', 3, 3, ['u2', 'u3'])
      .finalRead('eu-west', 'c1', 29, [1, 'u1', 'm1'], [2, 'u2', 'm2'], [3, 'u1', 'm3'])
      .end(30);
    expect(checkOrder(h.events)).toMatchObject({
      orderViolations: 0,
      divergentConversations: 0,
      seqConflicts: 0,
    });
  });

  it('reports a receiver whose stream goes backwards', () => {
    const h = stage()
      .acked('u1', 'c1', 'm1', 1, 1, 1.02)
      .acked('u1', 'c1', 'm2', 1.5, 2, 1.52)
      .deliver('u2', 'c1', 'u1', 'm2', 2, 1.6)
      .deliver('u2', 'c1', 'u1', 'm1', 1, 1.7)
      .end(30);
    const r = checkOrder(h.events);
    expect(r.receiverInversions).toBe(1);
    expect(r.orderViolations).toBe(1);
    expect(r.divergentConversations).toBe(0);
    expect(r.examples[0]).toMatchObject({ check: 'order', user: 'u2', cmid: 'm1', conv: 'c1', t: 1.7 });
    expect(r.examples[0]!.message).toBe(
      'User u2 (session s-u2) received m1 from u1 in c1 at seq 1 by push after seq 2 (m2), at +1.7s.',
    );
  });

  it('reports a push the system sent below a seq it had already pushed on the connection', () => {
    const h = stage().message('c1', 'u1', 'm1', 1, 1, ['u2']).message('c1', 'u1', 'm2', 2, 2, ['u2']).end(30);
    // The client reordered the pushes before delivering, so the deliveries above are in order.
    h.events.splice(h.events.length - 1, 0, {
      type: 'out_of_order',
      t: h.events[h.events.length - 1]!.t - 27_000,
      user: 'u2',
      session: 's-u2',
      conv: 'c1',
      seq: 1,
      afterSeq: 2,
    });
    const r = checkOrder(sorted(h.events));
    expect(r.orderViolations).toBe(1);
    expect(r.receiverInversions).toBe(1);
    expect(r.examples[0]).toMatchObject({ check: 'order', user: 'u2', conv: 'c1' });
    expect(r.examples[0]!.message).toBe(
      'The system pushed seq 1 of c1 to user u2 (session s-u2) after it had already pushed seq 2 on the same connection, at +3.0s; the client reordered them, but the server applied or sent them out of order.',
    );
  });

  it('lets a reset restart a stream', () => {
    const h = stage()
      .message('c1', 'u1', 'm1', 1, 1, ['u2'])
      .message('c1', 'u1', 'm2', 2, 2, ['u2'])
      .reset('u2', 'c1', 0, 3)
      .deliver('u2', 'c1', 'u1', 'm1', 1, 3.1, { via: 'sync' })
      .deliver('u2', 'c1', 'u1', 'm2', 2, 3.2, { via: 'sync' })
      .end(30);
    expect(checkOrder(h.events).orderViolations).toBe(0);
  });

  it('reports a sender whose later message got a lower seq than an earlier acked one', () => {
    const h = stage().acked('u1', 'c1', 'm1', 1, 5, 1.02).acked('u1', 'c1', 'm2', 2, 4, 2.02).end(30);
    const r = checkOrder(h.events);
    expect(r.senderInversions).toBe(1);
    expect(r.examples[0]!.message).toBe(
      'User u1 sent m2 in c1 at +2.0s, after m1 was acked with seq 5 at 1.0s, yet m2 got the lower seq 4.',
    );
  });

  it('allows overlapping sends of one sender to be ordered either way', () => {
    const h = stage()
      .send('u1', 'c1', 'm1', 1)
      .acked('u1', 'c1', 'm2', 1.01, 1, 1.03)
      .ack('u1', 'c1', 'm1', 2, 1.04)
      .end(30);
    expect(checkOrder(h.events).senderInversions).toBe(0);
  });

  it('reports one message holding two seqs as divergence', () => {
    const h = stage().acked('u1', 'c1', 'm1', 1, 1, 1.02).deliver('u2', 'c1', 'u1', 'm1', 3, 1.05).end(30);
    const r = checkOrder(h.events);
    expect(r.divergentConversations).toBe(1);
    expect(r.seqConflicts).toBe(1);
    expect(r.examples[0]).toMatchObject({ check: 'divergence', conv: 'c1', cmid: 'm1', user: 'u2' });
    expect(r.examples[0]!.message).toBe(
      'Message m1 from u1 in c1 holds two seqs: acked to u1 at seq 1 at +1.0s, and delivered to u2 at seq 3 at +1.1s.',
    );
  });

  it('reports one seq holding two messages as divergence, once per conflict', () => {
    const h = stage()
      .faultStart('f1', 'partition', 'eu-west', ['eu-west'], 0.5)
      .acked('u1', 'c1', 'm1', 1, 1, 1.02)
      .acked('u3', 'c1', 'm2', 1, 1, 1.03)
      .deliver('u2', 'c1', 'u1', 'm1', 1, 1.05)
      .deliver('u1', 'c1', 'u3', 'm2', 1, 1.06)
      .deliver('u2', 'c1', 'u3', 'm2', 1, 1.07)
      .faultStop('f1', 10)
      .end(30);
    const r = checkOrder(sorted(h.events));
    expect(r.divergentConversations).toBe(1);
    expect(r.seqConflicts).toBe(1);
    expect(r.examples[0]!.message).toBe(
      'Conversation c1 has two messages at seq 1: m1 from u1 (acked to u1 at seq 1 at +1.0s, during partition(eu-west)), and m2 from u3 (acked to u3 at seq 1 at +1.0s, during partition(eu-west)).',
    );
    // u2 got m2 at the seq it already had m1 at: a stream that does not go up.
    expect(r.receiverInversions).toBe(1);
  });

  it('explains divergent final logs with the cycle they form', () => {
    const h = stage()
      .message('c1', 'u1', 'm1', 1, 1, [])
      .acked('u3', 'c1', 'm2', 1.5, 2, 1.6)
      .finalRead('eu-west', 'c1', 29, [1, 'u1', 'm1'], [2, 'u3', 'm2'])
      .finalRead('us-east', 'c1', 29, [1, 'u3', 'm2'], [2, 'u1', 'm1'])
      .end(30);
    const r = checkOrder(h.events);
    expect(r.divergentConversations).toBe(1);
    expect(r.seqConflicts).toBe(4);
    expect(r.examples[0]!.message).toBe(
      'Conversation c1 has no single order: the final log of eu-west puts m1 before m2 and the final log of us-east puts m2 before m1.',
    );
  });
});
