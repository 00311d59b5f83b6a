import { describe, expect, it } from 'vitest';
import { checkSessionGuarantees } from '../../checks/session-guarantees.ts';
import { type Builder, sorted, stage } from './fixtures.ts';

/** u1 in eu-west writes m1 (seq 5), then eu-west goes down and u1 fails over to us-east. */
function failedOver(): Builder {
  return stage()
    .send('u1', 'c1', 'm1', 2)
    .ack('u1', 'c1', 'm1', 5, 2.02)
    .faultStart('f1', 'regionOutage', 'eu-west', ['eu-west'], 3)
    .down('u1', 'eu-west', 3.1)
    .failover('u1', 'eu-west', 'us-east', 3.9)
    .up('u1', 'us-east', 4)
    .faultStop('f1', 20);
}

describe('read-your-writes', () => {
  it('reports a sync after failover that does not reach the user’s own acked message', () => {
    const h = failedOver().synced('u1', 'c1', 4, 3, 4.5).end(30);
    const r = checkSessionGuarantees(sorted(h.events));
    expect(r.readYourWritesViolations).toBe(1);
    expect(r.examples[0]).toMatchObject({
      check: 'read-your-writes',
      user: 'u1',
      cmid: 'm1',
      region: 'us-east',
      t: 4.5,
    });
    expect(r.examples[0]!.message).toBe(
      "User u1's sync of c1 on a connection to us-east (opened at +4.0s) said the log ends at seq 3, below its own message m1 acked with seq 5 at +2.0s; the sync finished at +4.5s, during regionOutage(eu-west).",
    );
  });

  it('passes a sync that reaches the own message', () => {
    const h = failedOver().synced('u1', 'c1', 4, 5, 4.5).end(30);
    expect(checkSessionGuarantees(sorted(h.events)).readYourWritesViolations).toBe(0);
  });

  it('does not judge a sync on a connection that was already up when the ack came', () => {
    const h = stage()
      .send('u1', 'c1', 'm1', 2)
      .ack('u1', 'c1', 'm1', 5, 2.02)
      .synced('u1', 'c1', 0, 3, 2.03)
      .end(30);
    expect(checkSessionGuarantees(h.events).readYourWritesViolations).toBe(0);
  });

  it('excuses a sync after a reset on that connection said history was cut', () => {
    const h = failedOver().reset('u1', 'c1', 3, 4.2).synced('u1', 'c1', 3, 3, 4.5).end(30);
    expect(checkSessionGuarantees(sorted(h.events)).readYourWritesViolations).toBe(0);
  });

  it('when the target echoes senders, requires the covering sync to deliver the own message', () => {
    const h = failedOver()
      // u3 received its own message once: this target echoes senders.
      .send('u3', 'c1', 'm0', 1)
      .ack('u3', 'c1', 'm0', 4, 1.02)
      .deliver('u3', 'c1', 'u3', 'm0', 4, 1.05)
      .synced('u1', 'c1', 4, 6, 4.5)
      .end(30);
    const r = checkSessionGuarantees(sorted(h.events));
    expect(r.readYourWritesViolations).toBe(1);
    expect(r.examples[0]!.message).toContain('never delivered its own message m1 (seq 5');
  });

  it('does not require the own message when no user ever got its own message back', () => {
    const h = failedOver().synced('u1', 'c1', 4, 6, 4.5).end(30);
    const r = checkSessionGuarantees(sorted(h.events));
    expect(r.readYourWritesViolations).toBe(0);
    expect(r.notes.join(' ')).toContain('own message');
  });
});

describe('monotonic reads', () => {
  const seen3 = (): Builder =>
    stage()
      .message('c1', 'u1', 'm1', 1, 1, ['u2'])
      .message('c1', 'u1', 'm2', 2, 2, ['u2'])
      .message('c1', 'u3', 'm3', 3, 3, ['u2'])
      .down('u2', 'eu-west', 4)
      .up('u2', 'us-east', 4.5);

  it('reports a sync that reports less than the user already saw', () => {
    const h = seen3().synced('u2', 'c1', 3, 2, 5).end(30);
    const r = checkSessionGuarantees(h.events);
    expect(r.monotonicReadViolations).toBe(1);
    expect(r.examples[0]).toMatchObject({
      check: 'monotonic-reads',
      user: 'u2',
      conv: 'c1',
      region: 'us-east',
      t: 5,
    });
    expect(r.examples[0]!.message).toBe(
      "User u2's sync of c1 reported seq 2, but u2 had already received seq 3 at +3.1s, with no reset in between; the sync finished at +5.0s.",
    );
  });

  it('accepts a lower seq after a reset', () => {
    const h = seen3().reset('u2', 'c1', 2, 4.8).synced('u2', 'c1', 2, 2, 5).end(30);
    expect(checkSessionGuarantees(h.events).monotonicReadViolations).toBe(0);
  });

  it('reports a sync going backwards from an earlier sync', () => {
    const h = stage().synced('u2', 'c1', 0, 7, 1).synced('u2', 'c1', 7, 6, 2).end(30);
    const r = checkSessionGuarantees(h.events);
    expect(r.monotonicReadViolations).toBe(1);
    expect(r.examples[0]!.message).toContain('had already synced to seq 7 at +1.0s');
  });
});

describe('silent gaps', () => {
  const gapped = (): Builder =>
    stage()
      .message('c1', 'u1', 'm1', 1, 1, ['u2', 'u3'])
      .message('c1', 'u1', 'm2', 2, 2, ['u3'])
      .message('c1', 'u3', 'm3', 3, 3, ['u1'])
      .down('u2', 'eu-west', 1.5)
      .up('u2', 'us-east', 10);

  it('reports seqs a user skipped after reconnecting, as one gap with its size', () => {
    const h = gapped().message('c1', 'u1', 'm4', 4, 10.95, ['u2', 'u3']).end(30);
    const r = checkSessionGuarantees(sorted(h.events));
    expect(r.silentGaps).toBe(1);
    expect(r.silentGapMessages).toBe(2);
    expect(r.examples[0]).toMatchObject({ check: 'silent-gaps', user: 'u2', conv: 'c1', t: 11 });
    expect(r.examples[0]!.message).toBe(
      'User u2 never received seqs 2–3 of c1 (2 messages), though it received seq 4 at +11.0s, after reconnecting at +10.0s; no reset covered them.',
    );
  });

  it('does not count a gap a reset announced', () => {
    const h = gapped().reset('u2', 'c1', 3, 10.5).message('c1', 'u1', 'm4', 4, 10.95, ['u2', 'u3']).end(30);
    expect(checkSessionGuarantees(sorted(h.events)).silentGaps).toBe(0);
  });

  it('does not count the user’s own messages as gaps', () => {
    const h = stage()
      .message('c1', 'u1', 'm1', 1, 1, ['u2', 'u3'])
      .message('c1', 'u2', 'm2', 2, 2, ['u1', 'u3'])
      .message('c1', 'u1', 'm3', 3, 3, ['u2', 'u3'])
      .end(30);
    expect(checkSessionGuarantees(h.events).silentGaps).toBe(0);
  });

  it('does not count seqs above the highest one the user received (that is loss, not a gap)', () => {
    const h = stage()
      .message('c1', 'u1', 'm1', 1, 1, ['u2', 'u3'])
      .message('c1', 'u1', 'm2', 2, 2, ['u3'])
      .end(30);
    expect(checkSessionGuarantees(h.events).silentGaps).toBe(0);
  });
});
