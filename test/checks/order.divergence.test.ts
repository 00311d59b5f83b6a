// Divergence in detail: every seq conflict an ack, a delivery or a final log can make, how each
// is counted once, and how a divergent conversation is explained, by the shortest cycle its
// orderings form when there is one and by its first conflict otherwise.
import { describe, expect, it } from 'vitest';
import { checkOrder } from '../../checks/order.ts';
import type { HistoryEvent } from '../../contracts/history.ts';
import { type Builder, type Entry, history, stage } from './fixtures.ts';

describe('order: seq conflicts', () => {
  it('counts one message at one extra seq once, however many claims repeat it', () => {
    const h = stage()
      .message('c1', 'u1', 'm1', 1, 1, [])
      .deliver('u2', 'c1', 'u1', 'm1', 3, 1.05)
      .deliver('u3', 'c1', 'u1', 'm1', 3, 1.06)
      .finalRead('eu-west', 'c1', 29, [3, 'u1', 'm1'])
      .finalRead('us-east', 'c1', 29, [4, 'u1', 'm1'])
      .end(30);
    const r = checkOrder(h.events);
    expect(r).toMatchObject({ divergentConversations: 1, seqConflicts: 2, orderViolations: 0 });
    expect(r.examples).toEqual([
      {
        check: 'divergence',
        message:
          'Message m1 from u1 in c1 holds two seqs: acked to u1 at seq 1 at +1.0s, and delivered to u2 at seq 3 at +1.1s.',
        conv: 'c1',
        cmid: 'm1',
        from: 'u1',
        user: 'u2',
        t: 1.1,
      },
    ]);
  });

  it('counts each further message at a taken seq as its own conflict', () => {
    const h = stage()
      .message('c1', 'u1', 'm1', 1, 1, [])
      .message('c1', 'u2', 'm2', 1, 2, [])
      .message('c1', 'u3', 'm3', 1, 3, [])
      .message('c1', 'u3', 'm4', 2, 4, [])
      .end(30);
    const r = checkOrder(h.events);
    expect(r).toMatchObject({ divergentConversations: 1, seqConflicts: 2 });
    expect(r.examples.map((e) => e.cmid)).toEqual(['m2']);
  });

  it('lets the same seq hold one message in each conversation', () => {
    const h = stage()
      .conv('c2', ['u1', 'u2'])
      .message('c1', 'u1', 'm1', 1, 1, ['u2'])
      .message('c2', 'u1', 'n1', 1, 1.5, ['u2'])
      .finalRead('eu-west', 'c1', 29, [1, 'u1', 'm1'])
      .finalRead('eu-west', 'c2', 29, [1, 'u1', 'n1'])
      .end(30);
    expect(checkOrder(h.events)).toMatchObject({ divergentConversations: 0, seqConflicts: 0, examples: [] });
  });

  it('explains each kind of first claim, one example per divergent conversation', () => {
    const h = stage()
      .conv('c2', ['u1', 'u2', 'u3'])
      .conv('c3', ['u1', 'u2', 'u3'])
      // c1: a final log contradicts an ack.
      .message('c1', 'u1', 'm1', 1, 1, [])
      // c2: a delivery was the first claim, the ack contradicts it.
      .send('u2', 'c2', 'n1', 2)
      .deliver('u3', 'c2', 'u2', 'n1', 3, 2.04)
      .ack('u2', 'c2', 'n1', 4, 2.08)
      // c3: two final logs contradict each other about a message nobody acked or received.
      .send('u3', 'c3', 'k1', 3)
      .finalRead('us-east', 'c3', 28, [1, 'u3', 'k1'])
      .finalRead('eu-west', 'c3', 28.5, [2, 'u3', 'k1'])
      .finalRead('eu-west', 'c1', 29, [2, 'u1', 'm1'])
      .end(30);
    const r = checkOrder(h.events);
    expect(r).toMatchObject({ divergentConversations: 3, seqConflicts: 3 });
    expect(r.examples).toEqual([
      {
        check: 'divergence',
        message:
          'Message n1 from u2 in c2 holds two seqs: delivered to u3 at seq 3 at +2.0s, and acked to u2 at seq 4 at +2.1s.',
        conv: 'c2',
        cmid: 'n1',
        from: 'u2',
        user: 'u2',
        t: 2.1,
      },
      {
        check: 'divergence',
        message:
          'Message k1 from u3 in c3 holds two seqs: at seq 1 in the final log of us-east, and at seq 2 in the final log of eu-west.',
        conv: 'c3',
        cmid: 'k1',
        from: 'u3',
        region: 'eu-west',
        t: 28.5,
      },
      {
        check: 'divergence',
        message:
          'Message m1 from u1 in c1 holds two seqs: acked to u1 at seq 1 at +1.0s, and at seq 2 in the final log of eu-west.',
        conv: 'c1',
        cmid: 'm1',
        from: 'u1',
        region: 'eu-west',
        t: 29,
      },
    ]);
  });

  it('names where the holder of a contested seq was seen and the fault the claim fell in', () => {
    const h = stage()
      .faultStart('f1', 'partition', 'eu-west', ['eu-west'], 5)
      .message('c1', 'u1', 'm1', 3, 1, ['u2'])
      .send('u3', 'c1', 'm2', 6)
      .deliver('u2', 'c1', 'u3', 'm2', 3, 6.2)
      .faultStop('f1', 10)
      .end(30);
    const r = checkOrder(h.events);
    expect(r.examples[0]).toEqual({
      check: 'divergence',
      message:
        'Conversation c1 has two messages at seq 3: m1 from u1 (acked to u1 at seq 3 at +1.0s, before any fault), and m2 from u3 (delivered to u2 at seq 3 at +6.2s, during partition(eu-west)).',
      conv: 'c1',
      cmid: 'm2',
      from: 'u3',
      user: 'u2',
      t: 6.2,
    });
  });

  it('ignores a failed final read, both as claims and when explaining', () => {
    const h = stage()
      .message('c1', 'u1', 'm1', 1, 1, [])
      .message('c1', 'u1', 'm2', 2, 2, [])
      .deliver('u2', 'c1', 'u1', 'm1', 5, 2.5)
      .finalRead('eu-west', 'c1', 29, [1, 'u1', 'm1'], [2, 'u1', 'm2'])
      .failedRead('us-east', 'c1', 29.5, 'timeout', [1, 'u1', 'm2'], [2, 'u1', 'm1'])
      .end(30);
    const r = checkOrder(h.events);
    expect(r).toMatchObject({ divergentConversations: 1, seqConflicts: 1 });
    expect(r.examples.map((e) => e.message)).toEqual([
      'Message m1 from u1 in c1 holds two seqs: acked to u1 at seq 1 at +1.0s, and delivered to u2 at seq 5 at +2.5s.',
    ]);
  });

  it('skips final log entries no event named', () => {
    const h = stage()
      .message('c1', 'u1', 'm1', 1, 1, [])
      .finalRead('eu-west', 'c1', 29, [1, 'u9', 'ghost'], [2, 'u1', 'm1'])
      .finalRead('us-east', 'c1', 29, [1, 'u1', 'm1'])
      .end(30);
    const r = checkOrder(h.events);
    expect(r).toMatchObject({ divergentConversations: 1, seqConflicts: 1 });
    expect(r.examples[0]).toMatchObject({ cmid: 'm1', region: 'eu-west' });
  });

  it('keeps checking without run_start, timing explanations from the first event', () => {
    const h = history().acked('u1', 'c1', 'm1', 2, 1, 2.5).deliver('u2', 'c1', 'u1', 'm1', 2, 4);
    expect(checkOrder(h.events).examples[0]!.message).toBe(
      'Message m1 from u1 in c1 holds two seqs: acked to u1 at seq 1 at +0.5s, and delivered to u2 at seq 2 at +2.0s.',
    );
  });
});

describe('order: explaining divergence by a cycle', () => {
  it('explains a log holding one message twice by its first conflict, not a cycle of one', () => {
    const h = stage()
      .message('c1', 'u1', 'm1', 1, 1, [])
      .finalRead('eu-west', 'c1', 29, [1, 'u1', 'm1'], [2, 'u1', 'm1'])
      .end(30);
    const r = checkOrder(h.events);
    expect(r).toMatchObject({ divergentConversations: 1, seqConflicts: 1 });
    expect(r.examples[0]!.message).toBe(
      'Message m1 from u1 in c1 holds two seqs: acked to u1 at seq 1 at +1.0s, and at seq 2 in the final log of eu-west.',
    );
  });

  it('orders each log by seq, whatever order the read listed it in, skipping unknown entries', () => {
    const h = stage()
      .message('c1', 'u1', 'm1', 1, 1, [])
      .message('c1', 'u3', 'm2', 3, 2, [])
      .finalRead('eu-west', 'c1', 29, [3, 'u3', 'm2'], [2, 'u9', 'ghost'], [1, 'u1', 'm1'])
      .finalRead('us-east', 'c1', 29, [1, 'u3', 'm2'], [2, 'u1', 'm1'])
      .end(30);
    const r = checkOrder(h.events);
    expect(r).toMatchObject({ divergentConversations: 1, seqConflicts: 3 });
    expect(r.examples).toEqual([
      {
        check: 'divergence',
        message:
          'Conversation c1 has no single order: the final log of eu-west puts m1 before m2 and the final log of us-east puts m2 before m1.',
        conv: 'c1',
      },
    ]);
  });

  /** m1…m4 acked at seqs 1…4; eu-west logs m1, m2, m3 and us-east m1, m4; ap-south's log is the test's. */
  const twoOfThreeLogs = (): Builder =>
    history()
      .start(['eu-west', 'us-east', 'ap-south'])
      .conv('c1', ['u1', 'u2', 'u3'])
      .message('c1', 'u1', 'm1', 1, 1, [])
      .message('c1', 'u2', 'm2', 2, 2, [])
      .message('c1', 'u3', 'm3', 3, 3, [])
      .message('c1', 'u3', 'm4', 4, 4, [])
      .finalRead('eu-west', 'c1', 29, [1, 'u1', 'm1'], [2, 'u2', 'm2'], [3, 'u3', 'm3'])
      .finalRead('us-east', 'c1', 29, [1, 'u1', 'm1'], [4, 'u3', 'm4']);

  it('finds a cycle through three logs and starts it at the earliest message', () => {
    // m1 also leads to m4 (us-east), a dead end the search must look past.
    const h = twoOfThreeLogs().finalRead('ap-south', 'c1', 29, [1, 'u3', 'm3'], [2, 'u1', 'm1']).end(30);
    const r = checkOrder(h.events);
    expect(r).toMatchObject({ divergentConversations: 1, seqConflicts: 4 });
    expect(r.examples[0]!.message).toBe(
      'Conversation c1 has no single order: the final log of eu-west puts m1 before m2, the final log of eu-west puts m2 before m3 and the final log of ap-south puts m3 before m1.',
    );
  });

  it('prefers the shortest cycle, and names the first log that showed each step', () => {
    // m3 conflicts first and lies on m3 → m1 → m2 → m3; m1 → m4 → m1 is shorter.
    const h = twoOfThreeLogs()
      .finalRead('ap-south', 'c1', 29, [1, 'u3', 'm3'], [2, 'u1', 'm1'], [3, 'u3', 'm4'], [5, 'u1', 'm1'])
      .end(30);
    const r = checkOrder(h.events);
    expect(r.divergentConversations).toBe(1);
    expect(r.examples[0]!.message).toBe(
      'Conversation c1 has no single order: the final log of us-east puts m1 before m4 and the final log of ap-south puts m4 before m1.',
    );
  });

  it('keeps the shortest cycle whichever conflicting message the search starts from', () => {
    // One log runs m1 … m7 in order; the other puts m3 before m1 and m7 before m4, closing the
    // cycles m1 → m2 → m3 → m1 and m4 → m5 → m6 → m7 → m4. The order the second log lists its
    // entries in decides which of them conflicts, and so which cycle is searched, first.
    const logs = (...listed: Entry[]): HistoryEvent[] => {
      const b = stage();
      for (let k = 1; k <= 7; k++) b.message('c1', 'u1', `m${k}`, k, k, []);
      const inOrder: Entry[] = [1, 2, 3, 4, 5, 6, 7].map((k) => [k, 'u1', `m${k}`]);
      return b
        .finalRead('eu-west', 'c1', 29, ...inOrder)
        .finalRead('us-east', 'c1', 29, ...listed)
        .end(30).events;
    };
    const threeFirst = logs([1, 'u1', 'm3'], [2, 'u1', 'm1'], [3, 'u1', 'm7'], [4, 'u1', 'm4']);
    const fourFirst = logs([3, 'u1', 'm7'], [4, 'u1', 'm4'], [1, 'u1', 'm3'], [2, 'u1', 'm1']);
    const expected =
      'Conversation c1 has no single order: the final log of eu-west puts m1 before m2, the final log of eu-west puts m2 before m3 and the final log of us-east puts m3 before m1.';
    for (const events of [threeFirst, fourFirst]) {
      const r = checkOrder(events);
      expect(r).toMatchObject({ divergentConversations: 1, seqConflicts: 6 });
      expect(r.examples[0]!.message).toBe(expected);
    }
  });

  it('uses what receivers saw once the conversation is known to diverge, logs first', () => {
    const h = stage()
      .up('u4', 'eu-west', 0.1)
      .message('c1', 'u1', 'm1', 1, 1, [])
      .message('c1', 'u1', 'm2', 2, 2, [])
      // u3 got m1 at a seq it does not hold: the conversation diverges here.
      .deliver('u3', 'c1', 'u1', 'm1', 7, 2.5)
      .deliver('u2', 'c1', 'u1', 'm1', 1, 3)
      .deliver('u2', 'c1', 'u1', 'm2', 2, 3.1)
      .deliver('u4', 'c1', 'u1', 'm1', 1, 3.2)
      .deliver('u4', 'c1', 'u1', 'm2', 2, 3.3)
      .deliver('u3', 'c1', 'u1', 'm2', 2, 3.4)
      // A second tab of u2 got them the other way round, as the log has them: the log names that step.
      .deliver('u2', 'c1', 'u1', 'm2', 2, 3.5, { session: 's-u2-b' })
      .deliver('u2', 'c1', 'u1', 'm1', 1, 3.6, { session: 's-u2-b' })
      .finalRead('eu-west', 'c1', 29, [1, 'u1', 'm2'], [2, 'u1', 'm1'])
      .end(30);
    const r = checkOrder(h.events);
    expect(r).toMatchObject({ divergentConversations: 1, receiverInversions: 2 });
    expect(r.examples[0]).toEqual({
      check: 'divergence',
      message:
        'Conversation c1 has no single order: u2 received m1 before m2 and the final log of eu-west puts m2 before m1.',
      conv: 'c1',
    });
  });

  it('follows a receiver through an inversion: its next edge starts at what it got last', () => {
    const h = stage()
      .message('c1', 'u3', 'm3', 3, 0.5, [])
      .message('c1', 'u1', 'm1', 1, 1, [])
      .message('c1', 'u1', 'm2', 2, 1.5, [])
      .deliver('u1', 'c1', 'u3', 'm3', 9, 2.5)
      .deliver('u2', 'c1', 'u3', 'm3', 3, 3)
      .deliver('u2', 'c1', 'u1', 'm1', 1, 3.1)
      .deliver('u2', 'c1', 'u1', 'm2', 2, 3.2)
      .finalRead('eu-west', 'c1', 29, [1, 'u1', 'm2'], [2, 'u1', 'm1'])
      .end(30);
    const r = checkOrder(h.events);
    expect(r.receiverInversions).toBe(2);
    expect(r.examples[0]!.message).toBe(
      'Conversation c1 has no single order: u2 received m1 before m2 and the final log of eu-west puts m2 before m1.',
    );
  });

  it('does not draw an edge from a reset to the next delivery', () => {
    const h = stage()
      .message('c1', 'u1', 'm1', 1, 1, [])
      .message('c1', 'u1', 'm2', 2, 1.5, [])
      .deliver('u3', 'c1', 'u1', 'm1', 9, 2)
      .deliver('u2', 'c1', 'u1', 'm2', 2, 3)
      .reset('u2', 'c1', 0, 3.5)
      .deliver('u2', 'c1', 'u1', 'm1', 1, 4, { via: 'sync' })
      .finalRead('eu-west', 'c1', 29, [1, 'u1', 'm1'], [2, 'u1', 'm2'])
      .end(30);
    const r = checkOrder(h.events);
    expect(r).toMatchObject({ divergentConversations: 1, receiverInversions: 0 });
    expect(r.examples[0]!.message).toBe(
      'Message m1 from u1 in c1 holds two seqs: acked to u1 at seq 1 at +1.0s, and delivered to u3 at seq 9 at +2.0s.',
    );
  });

  it('falls back to the first conflict when a cycle runs only through messages past the first 50 conflicting ones', () => {
    // The first 50 conflicting messages are where cycle searches start; m51 and m52 come later.
    const b = stage();
    for (let k = 1; k <= 50; k++) {
      b.message('c1', 'u1', `x${k}`, k, k * 0.1, []).deliver(
        'u2',
        'c1',
        'u1',
        `x${k}`,
        100 + k,
        k * 0.1 + 0.05,
      );
    }
    b.message('c1', 'u1', 'm51', 200, 6, []).message('c1', 'u1', 'm52', 201, 7, []);
    b.finalRead('eu-west', 'c1', 29, [200, 'u1', 'm51'], [201, 'u1', 'm52'])
      .finalRead('us-east', 'c1', 29, [200, 'u1', 'm52'], [201, 'u1', 'm51'])
      .end(30);
    const r = checkOrder(b.events);
    expect(r).toMatchObject({ divergentConversations: 1, seqConflicts: 54, receiverInversions: 0 });
    expect(r.examples[0]!.message).toBe(
      'Message x1 from u1 in c1 holds two seqs: acked to u1 at seq 1 at +0.1s, and delivered to u2 at seq 101 at +0.2s.',
    );
  });

  it('still finds the cycle after one message conflicted many times', () => {
    const b = stage().message('c1', 'u1', 'x', 1, 1, []);
    for (let seq = 2; seq <= 61; seq++) b.deliver('u2', 'c1', 'u1', 'x', seq, 1 + seq * 0.01);
    b.message('c1', 'u1', 'm1', 100, 2, []).message('c1', 'u1', 'm2', 101, 3, []);
    b.finalRead('eu-west', 'c1', 29, [100, 'u1', 'm1'], [101, 'u1', 'm2'])
      .finalRead('us-east', 'c1', 29, [100, 'u1', 'm2'], [101, 'u1', 'm1'])
      .end(30);
    const r = checkOrder(b.events);
    expect(r).toMatchObject({ divergentConversations: 1, seqConflicts: 64 });
    expect(r.examples[0]!.message).toBe(
      'Conversation c1 has no single order: the final log of eu-west puts m1 before m2 and the final log of us-east puts m2 before m1.',
    );
  });
});
