// The session-guarantees checker on hand-built histories with exact expected verdicts:
// read-your-writes after reconnects (with and without an echoing target), monotonic reads and
// silent gaps, with the counts, the metrics they record and the examples that explain them.
import { describe, expect, it } from 'vitest';
import { aggregate, selectSink } from '../../checks/metrics.ts';
import { type CheckOptions, resolveCheckOptions } from '../../checks/result.ts';
import {
  checkSessionGuarantees,
  createSessionGuaranteesChecker,
  type SessionGuaranteesResult,
} from '../../checks/session-guarantees.ts';
import type { HistoryEvent } from '../../contracts/history.ts';
import { type Builder, check, sorted, stage } from './fixtures.ts';

/** What the checker recorded in the metric store: one counter per guarantee. */
interface Recorded {
  readYourWrites: number;
  monotonicReads: number;
  silentGaps: number;
}

/** The checker's result over a time-sorted history, and the counters it recorded. */
function run(
  events: HistoryEvent[],
  options: Partial<CheckOptions> = {},
): { r: SessionGuaranteesResult; m: Recorded } {
  const { r, metrics, rejected } = check(createSessionGuaranteesChecker, sorted(events), options);
  if (rejected > 0) throw new Error(`${rejected} fixture event(s) rejected`);
  const count = (name: 'read_your_writes_violations' | 'monotonic_read_violations' | 'silent_gaps'): number =>
    aggregate(selectSink(metrics, name), 'count', 0);
  return {
    r,
    m: {
      readYourWrites: count('read_your_writes_violations'),
      monotonicReads: count('monotonic_read_violations'),
      silentGaps: count('silent_gaps'),
    },
  };
}

/** The three verdicts, as the result reports them. */
const verdict = (r: SessionGuaranteesResult): Recorded => ({
  readYourWrites: r.readYourWritesViolations,
  monotonicReads: r.monotonicReadViolations,
  silentGaps: r.silentGaps,
});

/** u1 in eu-west writes m1 (seq 5), then eu-west goes down and u1 fails over to us-east. */
function failedOver(): Builder {
  return stage()
    .acked('u1', 'c1', 'm1', 2, 5, 2.02)
    .faultStart('f1', 'regionOutage', 'eu-west', ['eu-west'], 3)
    .down('u1', 'eu-west', 3.1)
    .failover('u1', 'eu-west', 'us-east', 3.9)
    .up('u1', 'us-east', 4)
    .faultStop('f1', 20);
}

/** u3 sends m0 (seq 4) and gets it back: the target echoes senders' own messages. */
const echoes = (b: Builder): Builder =>
  b.acked('u3', 'c1', 'm0', 1, 4, 1.02).deliver('u3', 'c1', 'u3', 'm0', 4, 1.05);

/** u2 received seqs 1–3 of c1 (the last at +3.1 s), then moved from eu-west to us-east at +4.5 s. */
const seen3 = (): Builder =>
  stage()
    .message('c1', 'u1', 'm1', 1, 1, ['u2'])
    .message('c1', 'u1', 'm2', 2, 2, ['u2'])
    .message('c1', 'u3', 'm3', 3, 3, ['u2'])
    .down('u2', 'eu-west', 4)
    .up('u2', 'us-east', 4.5);

/** u2 received seq 1 of c1, then was away from +1.5 s to +10 s while seqs 2 and 3 were written. */
const gapped = (): Builder =>
  stage()
    .message('c1', 'u1', 'm1', 1, 1, ['u2', 'u3'])
    .message('c1', 'u1', 'm2', 2, 2, ['u3'])
    .message('c1', 'u3', 'm3', 3, 3, ['u1'])
    .down('u2', 'eu-west', 1.5)
    .up('u2', 'us-east', 10);

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
    const h = stage().acked('u1', 'c1', 'm1', 2, 5, 2.02).synced('u1', 'c1', 0, 3, 2.03).end(30);
    expect(checkSessionGuarantees(h.events).readYourWritesViolations).toBe(0);
  });

  it('excuses a sync after a reset on that connection said history was cut', () => {
    const h = failedOver().reset('u1', 'c1', 3, 4.2).synced('u1', 'c1', 3, 3, 4.5).end(30);
    expect(checkSessionGuarantees(sorted(h.events)).readYourWritesViolations).toBe(0);
  });

  it('when the target echoes senders, requires the covering sync to deliver the own message', () => {
    const h = echoes(failedOver()).synced('u1', 'c1', 4, 6, 4.5).end(30);
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

  it('does not count the seq of a message acked, then refused, that nobody received (an XMPP bounce)', () => {
    const h = stage()
      .message('c1', 'u1', 'm1', 1, 1, ['u2', 'u3'])
      .acked('u1', 'c1', 'm2', 2, 2, 2.1)
      .failed('u1', 'c1', 'm2', 4)
      .message('c1', 'u1', 'm3', 3, 5, ['u2', 'u3'])
      .end(30);
    expect(checkSessionGuarantees(sorted(h.events)).silentGaps).toBe(0);
  });

  it('still counts the gap when the refused message reached someone else', () => {
    const h = stage()
      .message('c1', 'u1', 'm1', 1, 1, ['u2', 'u3'])
      .message('c1', 'u1', 'm2', 2, 2, ['u3'])
      .failed('u1', 'c1', 'm2', 4)
      .message('c1', 'u1', 'm3', 3, 5, ['u2', 'u3'])
      .end(30);
    expect(checkSessionGuarantees(sorted(h.events)).silentGaps).toBe(1);
  });

  it('does not count seqs above the highest one the user received (that is loss, not a gap)', () => {
    const h = stage()
      .message('c1', 'u1', 'm1', 1, 1, ['u2', 'u3'])
      .message('c1', 'u1', 'm2', 2, 2, ['u3'])
      .end(30);
    expect(checkSessionGuarantees(h.events).silentGaps).toBe(0);
  });
});

describe('read-your-writes: which acks a sync must reflect', () => {
  it('records one violation in the result, the metric and a full example, with no notes', () => {
    const { r, m } = run(failedOver().synced('u1', 'c1', 4, 3, 4.5).end(30).events);
    expect(verdict(r)).toEqual({ readYourWrites: 1, monotonicReads: 0, silentGaps: 0 });
    expect(m).toEqual({ readYourWrites: 1, monotonicReads: 0, silentGaps: 0 });
    expect(r.silentGapMessages).toBe(0);
    expect(r.notes).toEqual([]);
    expect(r.examples).toStrictEqual([
      {
        check: 'read-your-writes',
        message:
          "User u1's sync of c1 on a connection to us-east (opened at +4.0s) said the log ends at seq 3, below its own message m1 acked with seq 5 at +2.0s; the sync finished at +4.5s, during regionOutage(eu-west).",
        conv: 'c1',
        cmid: 'm1',
        from: 'u1',
        user: 'u1',
        region: 'us-east',
        t: 4.5,
      },
    ]);
  });

  it('holds the sync to the highest seq acked before the reconnect, even when a later ack got a lower seq', () => {
    const h = stage()
      .acked('u1', 'c1', 'm1', 2, 5, 2.02)
      .acked('u1', 'c1', 'm2', 2.1, 3, 2.12)
      .down('u1', 'eu-west', 3)
      .up('u1', 'us-east', 4)
      .synced('u1', 'c1', 0, 4, 4.5)
      .end(30);
    const { r, m } = run(h.events);
    expect(m.readYourWrites).toBe(1);
    expect(r.examples[0]).toMatchObject({ cmid: 'm1', t: 4.5 });
    expect(r.examples[0]!.message).toBe(
      "User u1's sync of c1 on a connection to us-east (opened at +4.0s) said the log ends at seq 4, below its own message m1 acked with seq 5 at +2.0s; the sync finished at +4.5s.",
    );
  });

  it('names the first message acked at the highest seq when two acks share it', () => {
    const h = stage()
      .acked('u1', 'c1', 'm1', 2, 5, 2.02)
      .acked('u1', 'c1', 'm2', 2.5, 5, 2.52)
      .down('u1', 'eu-west', 3)
      .up('u1', 'us-east', 4)
      .synced('u1', 'c1', 0, 4, 4.5)
      .end(30);
    const { r } = run(h.events);
    expect(r.readYourWritesViolations).toBe(1);
    expect(r.examples[0]).toMatchObject({ cmid: 'm1' });
    expect(r.examples[0]!.message).toContain('below its own message m1 acked with seq 5 at +2.0s');
  });

  /** u1 acks m1 (seq 5), reconnects to us-east at +4 s, then acks m2 (seq 9) on the new connection. */
  const ackAfterReconnect = (): Builder =>
    stage()
      .acked('u1', 'c1', 'm1', 2, 5, 2.02)
      .down('u1', 'eu-west', 3)
      .up('u1', 'us-east', 4)
      .acked('u1', 'c1', 'm2', 5, 9, 5.02);

  it('does not require an ack that came after the connection opened', () => {
    const { r, m } = run(ackAfterReconnect().synced('u1', 'c1', 0, 6, 5.5).end(30).events);
    expect(verdict(r)).toEqual({ readYourWrites: 0, monotonicReads: 0, silentGaps: 0 });
    expect(m.readYourWrites).toBe(0);
  });

  it('still requires the ack from before the connection when a later ack exists', () => {
    const { r } = run(ackAfterReconnect().synced('u1', 'c1', 0, 4, 5.5).end(30).events);
    expect(r.readYourWritesViolations).toBe(1);
    expect(r.examples[0]!.message).toContain('below its own message m1 acked with seq 5 at +2.0s');
  });

  it('counts acks in other conversations when ordering a conversation’s acks against reconnects', () => {
    // u1's ack in c2 comes after the reconnect; the c1 ack before it is still required.
    const h = stage()
      .acked('u1', 'c1', 'm1', 2, 5, 2.02)
      .down('u1', 'eu-west', 3)
      .up('u1', 'us-east', 4)
      .acked('u1', 'c2', 'n1', 4.2, 1, 4.22)
      .synced('u1', 'c1', 0, 4, 4.5)
      .synced('u1', 'c2', 0, 0, 4.6)
      .end(30);
    const { r } = run(h.events);
    expect(r.readYourWritesViolations).toBe(1);
    expect(r.examples.map((x) => x.conv)).toEqual(['c1']);
  });

  it('lets a reset excuse only the connection it came on: after another reconnect the sync is judged again', () => {
    const h = failedOver()
      .reset('u1', 'c1', 3, 4.2)
      .down('u1', 'us-east', 5)
      .up('u1', 'us-east', 6)
      .synced('u1', 'c1', 3, 3, 6.5)
      .end(30);
    const { r, m } = run(h.events);
    expect(m).toEqual({ readYourWrites: 1, monotonicReads: 0, silentGaps: 0 });
    expect(r.examples[0]!.message).toContain('on a connection to us-east (opened at +6.0s)');
  });

  it('keeps a reset’s excuse when some other session reconnects', () => {
    const h = failedOver()
      .reset('u1', 'c1', 3, 4.2)
      .down('u2', 'eu-west', 4.3)
      .up('u2', 'us-east', 4.4)
      .synced('u1', 'c1', 3, 3, 4.5)
      .end(30);
    expect(verdict(run(h.events).r)).toEqual({ readYourWrites: 0, monotonicReads: 0, silentGaps: 0 });
  });

  it('does not let a reset of another conversation excuse the sync', () => {
    const h = failedOver().reset('u1', 'c2', 0, 4.2).synced('u1', 'c1', 4, 3, 4.5).end(30);
    expect(verdict(run(h.events).r)).toEqual({ readYourWrites: 1, monotonicReads: 0, silentGaps: 0 });
  });

  it('does not judge a sync on a session that never reported a connection', () => {
    const h = stage().acked('u1', 'c1', 'm1', 2, 5, 2.02).synced('u1', 'c1', 0, 3, 3, 'phone').end(30);
    expect(verdict(run(h.events).r)).toEqual({ readYourWrites: 0, monotonicReads: 0, silentGaps: 0 });
  });

  it('counts every violating sync while keeping only maxExamples examples', () => {
    const h = failedOver()
      .synced('u1', 'c1', 0, 3, 4.5)
      .synced('u1', 'c1', 0, 4, 5)
      .synced('u1', 'c1', 0, 4, 5.5)
      .end(30);
    const { r, m } = run(h.events, { maxExamples: 2 });
    expect(r.readYourWritesViolations).toBe(3);
    expect(m.readYourWrites).toBe(3);
    expect(r.examples.map((x) => x.t)).toEqual([4.5, 5]);
    expect(run(h.events, { maxExamples: 0 }).r.examples).toEqual([]);
  });
});

describe('read-your-writes on a target that echoes senders', () => {
  /** u3 got its own m0 back (the target echoes); u1, connected since +0.1 s, acks m1 with seq 5. */
  const echoing = (): Builder => echoes(stage()).acked('u1', 'c1', 'm1', 2, 5, 2.02);

  /** What a sync by u1 after seq 4, up to seq 6 at +3 s, that never delivered m1 is reported as. */
  const skippedOwn = {
    check: 'read-your-writes',
    message:
      "User u1's sync of c1 after seq 4 reported seq 6 but never delivered its own message m1 (seq 5, acked at +2.0s), though the target echoes senders' messages; the sync finished at +3.0s.",
    conv: 'c1',
    cmid: 'm1',
    from: 'u1',
    user: 'u1',
    t: 3,
  };

  it('reports a sync whose range covers the own message but that never delivered it', () => {
    const { r, m } = run(echoing().synced('u1', 'c1', 4, 6, 3).end(30).events);
    expect(verdict(r)).toEqual({ readYourWrites: 1, monotonicReads: 0, silentGaps: 0 });
    expect(m.readYourWrites).toBe(1);
    expect(r.notes).toEqual([]);
    expect(r.examples).toStrictEqual([{ ...skippedOwn, region: 'eu-west' }]);
  });

  it('requires the own message when the sync ends exactly at its seq', () => {
    expect(run(echoing().synced('u1', 'c1', 4, 5, 3).end(30).events).r.readYourWritesViolations).toBe(1);
  });

  it('does not require the own message from a sync that starts at or after its seq', () => {
    expect(run(echoing().synced('u1', 'c1', 5, 6, 3).end(30).events).r.readYourWritesViolations).toBe(0);
  });

  it('does not require the own message from a sync that ends below its seq on a connection older than the ack', () => {
    expect(run(echoing().synced('u1', 'c1', 3, 4, 3).end(30).events).r.readYourWritesViolations).toBe(0);
  });

  it('accepts a covering sync when the own message was delivered', () => {
    const h = echoing().deliver('u1', 'c1', 'u1', 'm1', 5, 2.5).synced('u1', 'c1', 4, 6, 3).end(30);
    expect(run(h.events).r.readYourWritesViolations).toBe(0);
  });

  it('judges against the highest own seq, even when the latest ack got a lower one', () => {
    const h = echoing()
      .acked('u1', 'c1', 'm2', 2.1, 3, 2.12)
      .deliver('u1', 'c1', 'u1', 'm2', 3, 2.15)
      .synced('u1', 'c1', 2, 6, 3)
      .end(30);
    const { r } = run(h.events);
    expect(r.readYourWritesViolations).toBe(1);
    expect(r.examples[0]).toMatchObject({ cmid: 'm1' });
  });

  it('leaves the region out of the example when the session never reported a connection', () => {
    const { r } = run(echoing().synced('u1', 'c1', 4, 6, 3, 'phone').end(30).events);
    expect(r.readYourWritesViolations).toBe(1);
    expect(r.examples).toStrictEqual([skippedOwn]);
  });

  it('without an echoing target, counts nothing, keeps no example and says why in a note', () => {
    const { r, m } = run(failedOver().synced('u1', 'c1', 4, 6, 4.5).end(30).events);
    expect(verdict(r)).toEqual({ readYourWrites: 0, monotonicReads: 0, silentGaps: 0 });
    expect(m.readYourWrites).toBe(0);
    expect(r.examples).toStrictEqual([]);
    expect(r.notes).toEqual([
      'no user ever received its own message, so syncs were not required to deliver the sender’s own messages',
    ]);
  });

  it('adds no note when no sync skipped an own message', () => {
    const { r } = run(failedOver().synced('u1', 'c1', 5, 6, 4.5).end(30).events);
    expect(r.readYourWritesViolations).toBe(0);
    expect(r.notes).toEqual([]);
  });
});

describe('monotonic reads: what counts as already seen', () => {
  it('records the violation in the metric and a full example', () => {
    const { r, m } = run(seen3().synced('u2', 'c1', 3, 2, 5).end(30).events);
    expect(m).toEqual({ readYourWrites: 0, monotonicReads: 1, silentGaps: 0 });
    expect(r.examples).toStrictEqual([
      {
        check: 'monotonic-reads',
        message:
          "User u2's sync of c1 reported seq 2, but u2 had already received seq 3 at +3.1s, with no reset in between; the sync finished at +5.0s.",
        conv: 'c1',
        user: 'u2',
        region: 'us-east',
        t: 5,
      },
    ]);
  });

  it('accepts a sync reporting exactly the seq already seen, and keeps naming the delivery that set it', () => {
    const { r, m } = run(seen3().synced('u2', 'c1', 3, 3, 5).synced('u2', 'c1', 3, 2, 6).end(30).events);
    expect(m.monotonicReads).toBe(1);
    expect(r.examples[0]!.message).toContain('had already received seq 3 at +3.1s');
    expect(r.examples[0]!.t).toBe(6);
  });

  it('names the first delivery of the highest seq, not a later repeat of it', () => {
    const h = seen3().deliver('u2', 'c1', 'u3', 'm3', 3, 4.7).synced('u2', 'c1', 3, 2, 5).end(30);
    const { r } = run(h.events);
    expect(r.monotonicReadViolations).toBe(1);
    expect(r.examples[0]!.message).toContain('had already received seq 3 at +3.1s');
  });

  it('judges a sync against the seq a reset moved the user to', () => {
    const { r, m } = run(seen3().reset('u2', 'c1', 2, 4.8).synced('u2', 'c1', 0, 1, 5).end(30).events);
    expect(m.monotonicReads).toBe(1);
    expect(r.examples[0]!.message).toContain(
      'but u2 had already been reset to seq 2 at +4.8s, with no reset in between',
    );
    expect(r.examples[0]!.t).toBe(5);
  });

  it('keeps the highest seq seen when a later sync goes backwards, so each lower sync counts', () => {
    const h = stage()
      .synced('u2', 'c1', 0, 7, 1)
      .synced('u2', 'c1', 7, 6, 2)
      .synced('u2', 'c1', 6, 6, 3)
      .end(30);
    const { r, m } = run(h.events);
    expect(m.monotonicReads).toBe(2);
    expect(r.examples.map((x) => x.message)).toEqual([
      "User u2's sync of c1 reported seq 6, but u2 had already synced to seq 7 at +1.0s, with no reset in between; the sync finished at +2.0s.",
      "User u2's sync of c1 reported seq 6, but u2 had already synced to seq 7 at +1.0s, with no reset in between; the sync finished at +3.0s.",
    ]);
  });

  it('judges each conversation on its own', () => {
    const h = stage().synced('u2', 'c1', 0, 7, 1).synced('u2', 'c2', 0, 2, 2).end(30);
    expect(run(h.events).r.monotonicReadViolations).toBe(0);
  });

  it('leaves the region out of the example when the session never reported a connection', () => {
    const h = stage().synced('u2', 'c1', 0, 7, 1, 'phone').synced('u2', 'c1', 7, 6, 2, 'phone').end(30);
    const { r } = run(h.events);
    expect(r.examples).toStrictEqual([
      {
        check: 'monotonic-reads',
        message:
          "User u2's sync of c1 reported seq 6, but u2 had already synced to seq 7 at +1.0s, with no reset in between; the sync finished at +2.0s.",
        conv: 'c1',
        user: 'u2',
        t: 2,
      },
    ]);
  });
});

describe('silent gaps: runs, resets and who wrote a seq', () => {
  it('records a gap in the metric with its size', () => {
    const h = gapped().message('c1', 'u1', 'm4', 4, 10.95, ['u2', 'u3']).end(30);
    const { r, m } = run(h.events);
    expect(m).toEqual({ readYourWrites: 0, monotonicReads: 0, silentGaps: 1 });
    expect(r.silentGapMessages).toBe(2);
  });

  it('reports two gaps separated by a received seq, each with its own example', () => {
    const h = stage()
      .message('c1', 'u1', 'm1', 1, 1, ['u2', 'u3'])
      .message('c1', 'u1', 'm2', 2, 2, ['u3'])
      .message('c1', 'u1', 'm3', 3, 3, ['u2', 'u3'])
      .message('c1', 'u1', 'm4', 4, 4, ['u3'])
      .message('c1', 'u1', 'm5', 5, 5, ['u2', 'u3'])
      .end(30);
    const { r, m } = run(h.events);
    expect(m.silentGaps).toBe(2);
    expect(r.silentGapMessages).toBe(2);
    expect(r.examples).toStrictEqual([
      {
        check: 'silent-gaps',
        message:
          'User u2 never received seq 2 of c1 (1 message), though it received seq 3 at +3.1s; no reset covered them.',
        conv: 'c1',
        user: 'u2',
        t: 3.1,
      },
      {
        check: 'silent-gaps',
        message:
          'User u2 never received seq 4 of c1 (1 message), though it received seq 5 at +5.1s; no reset covered them.',
        conv: 'c1',
        user: 'u2',
        t: 5.1,
      },
    ]);
  });

  it('does not split a gap at the user’s own undelivered message, nor count it', () => {
    const h = stage()
      .message('c1', 'u1', 'm1', 1, 1, ['u2', 'u3'])
      .message('c1', 'u1', 'm2', 2, 2, ['u3'])
      .message('c1', 'u2', 'm3', 3, 3, ['u1', 'u3'])
      .message('c1', 'u3', 'm4', 4, 4, ['u1'])
      .message('c1', 'u1', 'm5', 5, 5, ['u2', 'u3'])
      .end(30);
    const { r } = run(h.events);
    expect(r.silentGaps).toBe(1);
    expect(r.silentGapMessages).toBe(2);
    expect(r.examples[0]!.message).toBe(
      'User u2 never received seqs 2–4 of c1 (2 messages), though it received seq 5 at +5.1s; no reset covered them.',
    );
  });

  /** u1 writes seqs 1–6; u2 receives 1, 2, 5 and 6 only. */
  const missing34 = (): Builder =>
    stage()
      .message('c1', 'u1', 'm1', 1, 1, ['u2'])
      .message('c1', 'u1', 'm2', 2, 2, ['u2'])
      .message('c1', 'u1', 'm3', 3, 3, [])
      .message('c1', 'u1', 'm4', 4, 4, [])
      .message('c1', 'u1', 'm5', 5, 8, ['u2'])
      .message('c1', 'u1', 'm6', 6, 9, ['u2']);

  it('keeps the highest seq any reset announced, even after a later reset to a lower seq', () => {
    const h = missing34().reset('u2', 'c1', 4, 6).reset('u2', 'c1', 2, 7).end(30);
    const { r } = run(h.events);
    expect(r.silentGaps).toBe(0);
    expect(r.silentGapMessages).toBe(0);
  });

  it('counts a reset seq itself as announced but not the seqs above it', () => {
    const { r } = run(missing34().reset('u2', 'c1', 3, 6).end(30).events);
    expect(r.silentGaps).toBe(1);
    expect(r.silentGapMessages).toBe(1);
    expect(r.examples[0]!.message).toBe(
      'User u2 never received seq 4 of c1 (1 message), though it received seq 5 at +8.1s; no reset covered them.',
    );
  });

  it('times a gap by the first delivery of the seq after it, not a repeat', () => {
    const { r } = run(missing34().deliver('u2', 'c1', 'u1', 'm5', 5, 8.5).end(30).events);
    expect(r.silentGaps).toBe(1);
    expect(r.examples[0]).toMatchObject({ t: 8.1 });
  });

  it('measures gaps up to the highest seq received, whatever the delivery order', () => {
    const { r } = run(missing34().deliver('u2', 'c1', 'u1', 'm2', 2, 9.5).end(30).events);
    expect(r.silentGaps).toBe(1);
    expect(r.silentGapMessages).toBe(2);
  });

  it('treats each conversation of a user on its own', () => {
    const h = missing34()
      .message('c2', 'u1', 'n1', 1, 1.5, ['u2'])
      .message('c2', 'u1', 'n2', 2, 2.5, ['u2'])
      .end(30);
    const { r } = run(h.events);
    expect(r.silentGaps).toBe(1);
    expect(r.examples.map((x) => x.conv)).toEqual(['c1']);
  });

  /** u2 receives seqs 1 and 3 of c1; nothing but a final log names seq 2. */
  const strangerAt2 = (): Builder =>
    stage().message('c1', 'u1', 'm1', 1, 1, ['u2']).message('c1', 'u1', 'm3', 3, 3, ['u2']);

  it('counts a seq that only a final log names as a message the user skipped', () => {
    expect(run(strangerAt2().end(30).events).r.silentGaps).toBe(0);
    const h = strangerAt2()
      .finalRead('eu-west', 'c1', 20, [1, 'u1', 'm1'], [2, 'u3', 'x'], [3, 'u1', 'm3'])
      .end(30);
    const { r } = run(h.events);
    expect(r.silentGaps).toBe(1);
    expect(r.examples[0]!.message).toBe(
      'User u2 never received seq 2 of c1 (1 message), though it received seq 3 at +3.1s; no reset covered them.',
    );
  });

  it('ignores the entries of a final read that failed', () => {
    const { r } = run(
      strangerAt2().end(30).failedRead('eu-west', 'c1', 20, 'timeout', [2, 'u3', 'x']).events,
    );
    expect(r.silentGaps).toBe(0);
  });

  it('does not take a known message’s place in a final log as another seq holding a message', () => {
    // m2 was acked and received at seq 2; a final log listing it at seq 3 adds no message at seq 3.
    const h = stage()
      .message('c1', 'u1', 'm1', 1, 1, ['u2'])
      .message('c1', 'u1', 'm2', 2, 2, ['u2'])
      .message('c1', 'u1', 'm4', 4, 4, ['u2'])
      .finalRead('eu-west', 'c1', 20, [1, 'u1', 'm1'], [3, 'u1', 'm2'], [4, 'u1', 'm4'])
      .end(30);
    expect(run(h.events).r.silentGaps).toBe(0);
  });

  it('when final logs disagree on who wrote a seq, goes by the first one read', () => {
    const h = strangerAt2()
      .finalRead('eu-west', 'c1', 20, [2, 'u2', 'x'])
      .finalRead('us-east', 'c1', 21, [2, 'u3', 'y'])
      .end(30);
    expect(run(h.events).r.silentGaps).toBe(0);
  });

  it('when two messages were given one seq, goes by the first one named', () => {
    const h = stage()
      .message('c1', 'u1', 'm1', 1, 1, ['u2'])
      .message('c1', 'u2', 'm2', 2, 2, ['u1'])
      .message('c1', 'u3', 'm9', 2, 2.5, ['u1'])
      .message('c1', 'u1', 'm3', 3, 3, ['u2'])
      .end(30);
    expect(run(h.events).r.silentGaps).toBe(0);
  });

  it('finds gaps among seqs far beyond the dense range (a target numbering from a billion)', () => {
    const b = 1_000_000_000;
    // m0 never got a seq; the acks come back out of seq order.
    const h = stage()
      .message('c1', 'u1', 'm3', b + 3, 0.5, ['u2'])
      .send('u1', 'c1', 'm0', 0.8)
      .failed('u1', 'c1', 'm0', 0.9)
      .message('c1', 'u1', 'm1', b + 1, 1.2, ['u2'])
      .message('c1', 'u1', 'm2', b + 2, 1.4, [])
      .message('c1', 'u1', 'm5', b + 5, 1.6, ['u2'])
      .message('c1', 'u1', 'm4', b + 4, 1.8, [])
      .end(30);
    const { r } = run(h.events);
    expect(r.silentGaps).toBe(2);
    expect(r.silentGapMessages).toBe(2);
    expect(r.examples.map((x) => x.message)).toEqual([
      `User u2 never received seq ${b + 2} of c1 (1 message), though it received seq ${b + 3} at +0.6s; no reset covered them.`,
      `User u2 never received seq ${b + 4} of c1 (1 message), though it received seq ${b + 5} at +1.7s; no reset covered them.`,
    ]);
  });
});

describe('silent gaps: when the user last reconnected', () => {
  /** u1 writes seqs 1–3; u2 gets seq 1, misses seq 2 while away, and gets seq 3 at +11 s. */
  const away = (): Builder =>
    stage()
      .message('c1', 'u1', 'm1', 1, 1, ['u2'])
      .down('u2', 'eu-west', 1.5)
      .message('c1', 'u1', 'm2', 2, 2, [])
      .acked('u1', 'c1', 'm3', 3, 3, 3.02);

  it('names the latest reconnect of any of the user’s sessions before the next delivery', () => {
    const h = away()
      .up('u2', 'us-east', 10)
      .up('u2', 'eu-west', 5, 'phone')
      .deliver('u2', 'c1', 'u1', 'm3', 3, 11)
      .end(30);
    const { r } = run(h.events);
    expect(r.examples[0]!.message).toBe(
      'User u2 never received seq 2 of c1 (1 message), though it received seq 3 at +11.0s, after reconnecting at +10.0s; no reset covered them.',
    );
  });

  it('counts a reconnect at the very moment of the delivery', () => {
    const h = away().up('u2', 'us-east', 10).deliver('u2', 'c1', 'u1', 'm3', 3, 10).end(30);
    expect(run(h.events).r.examples[0]!.message).toContain('at +10.0s, after reconnecting at +10.0s;');
  });

  it('ignores reconnects after the delivery and the user’s first connection', () => {
    const h = away().deliver('u2', 'c1', 'u1', 'm3', 3, 11).up('u2', 'us-east', 12).end(30);
    const { r } = run(h.events);
    expect(r.silentGaps).toBe(1);
    expect(r.examples[0]!.message).toBe(
      'User u2 never received seq 2 of c1 (1 message), though it received seq 3 at +11.0s; no reset covered them.',
    );
  });
});

describe('examples across the guarantees', () => {
  it('lists read-your-writes, echo, monotonic-read and gap examples in that order', () => {
    const h = echoes(failedOver())
      .synced('u1', 'c1', 4, 3, 4.5)
      .acked('u3', 'c1', 'm7', 6, 7, 6.02)
      .synced('u3', 'c1', 6, 8, 7)
      .synced('u3', 'c1', 0, 5, 8)
      .message('c2', 'u1', 'n1', 1, 9, ['u2'])
      .message('c2', 'u1', 'n2', 2, 9.2, [])
      .message('c2', 'u1', 'n3', 3, 9.4, ['u2'])
      .end(30);
    const { r, m } = run(h.events);
    expect(m).toEqual({ readYourWrites: 2, monotonicReads: 1, silentGaps: 1 });
    expect(r.examples.map((x) => [x.check, x.user, x.t])).toEqual([
      ['read-your-writes', 'u1', 4.5],
      ['read-your-writes', 'u3', 7],
      ['monotonic-reads', 'u3', 8],
      ['silent-gaps', 'u2', 9.5],
    ]);
  });

  it('is named session-guarantees', () => {
    expect(createSessionGuaranteesChecker(resolveCheckOptions()).name).toBe('session-guarantees');
  });

  it('checks a history through checkSessionGuarantees with the same verdict', () => {
    const h = failedOver().synced('u1', 'c1', 4, 3, 4.5).end(30);
    expect(verdict(checkSessionGuarantees(sorted(h.events)))).toEqual({
      readYourWrites: 1,
      monotonicReads: 0,
      silentGaps: 0,
    });
  });
});
