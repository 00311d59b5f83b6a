import { describe, expect, it } from 'vitest';
import { checkLost, createLostChecker, type LostResult } from '../../checks/lost.ts';
import { aggregate, type MetricStore, selectSink, type Tags } from '../../checks/metrics.ts';
import { type CheckOptions, resolveCheckOptions } from '../../checks/result.ts';
import type { HistoryEvent } from '../../contracts/history.ts';
import { type Builder, check, type Entry, history, sorted, stage } from './fixtures.ts';

/** Two messages, both delivered to every other member and held by both regions. */
function valid(): Builder {
  return stage().message('c1', 'u1', 'm1', 1, 1, ['u2', 'u3']).message('c1', 'u3', 'm2', 2, 5, ['u1', 'u2']);
}

const both: Entry[] = [
  [1, 'u1', 'm1'],
  [2, 'u3', 'm2'],
];

/** Both regions' final logs, read at +29 s, hold both messages of valid(). */
const bothLogged = (b: Builder): Builder =>
  b.finalRead('eu-west', 'c1', 29, ...both).finalRead('us-east', 'c1', 29, ...both);

describe('acked-message loss', () => {
  it('finds nothing in a history where every acked message reached every region and member', () => {
    const h = bothLogged(valid()).end(30);
    const r = checkLost(h.events);
    expect(r).toMatchObject({
      ackedLost: 0,
      unexpected: 0,
      failedButAppeared: 0,
      missingCopies: 0,
      undelivered: 0,
    });
    expect(r.examples).toEqual([]);
    expect(r.unjudged).toEqual([]);
  });

  it('reports an acked message missing from a region’s final log, with the fault it was acked in', () => {
    const h = valid()
      .faultStart('f1', 'regionOutage', 'eu-west', ['eu-west'], 4)
      .faultStop('f1', 10)
      .finalRead('eu-west', 'c1', 29, ...both)
      .finalRead('us-east', 'c1', 29, [1, 'u1', 'm1'])
      .end(30);
    const r = checkLost(sorted(h.events));
    expect(r.ackedLost).toBe(1);
    expect(r.missingCopies).toBe(1);
    expect(r.ackedLostStoredOnly).toBe(0);
    expect(r.examples).toHaveLength(1);
    expect(r.examples[0]).toMatchObject({
      check: 'acked-lost',
      conv: 'c1',
      cmid: 'm2',
      from: 'u3',
      region: 'us-east',
      t: 5,
    });
    expect(r.examples[0]!.message).toBe(
      'Acked message m2 from u3 in c1 (seq 2, acked at +5.0s, during regionOutage(eu-west)) is missing from the final log of us-east.',
    );
  });

  it('flags a lost message acked only at level "stored"', () => {
    const h = stage()
      .send('u3', 'c1', 'm1', 5)
      .ack('u3', 'c1', 'm1', 1, 5.02, 'stored')
      .deliver('u1', 'c1', 'u3', 'm1', 1, 5.05)
      .deliver('u2', 'c1', 'u3', 'm1', 1, 5.05)
      .finalRead('eu-west', 'c1', 29)
      .finalRead('us-east', 'c1', 29, [1, 'u3', 'm1'])
      .end(30);
    const r = checkLost(h.events);
    expect(r.ackedLost).toBe(1);
    expect(r.ackedLostStoredOnly).toBe(1);
    expect(r.examples[0]!.message).toContain('acked at level "stored" (not yet replicated)');
  });

  it('reports an acked message never delivered to a member who stayed connected past the grace', () => {
    const h = stage().acked('u1', 'c1', 'm1', 1, 1, 1.02).deliver('u3', 'c1', 'u1', 'm1', 1, 1.05).end(30);
    const r = checkLost(h.events);
    expect(r.ackedLost).toBe(1);
    expect(r.undelivered).toBe(1);
    expect(r.examples[0]!.message).toBe(
      'Acked message m1 from u1 in c1 (seq 1, acked at +1.0s) was never delivered to u2, though it stayed connected for 5s or more after the ack.',
    );
    expect(r.examples[0]!.user).toBe('u2');
    // No final reads: the region half could not be judged, and the report says so.
    expect(r.unjudged.join(' ')).toContain('no final reads');
  });

  it('does not owe a message to a member that disconnected before the grace ran out and never came back', () => {
    const h = stage()
      .acked('u1', 'c1', 'm1', 1, 1, 1.02)
      .deliver('u3', 'c1', 'u1', 'm1', 1, 1.05)
      .down('u2', 'eu-west', 2)
      .end(30);
    expect(checkLost(h.events).ackedLost).toBe(0);
  });

  it('owes a message to a member that reconnected later and stayed (the sync should have brought it)', () => {
    const h = stage()
      .acked('u1', 'c1', 'm1', 1, 1, 1.02)
      .deliver('u3', 'c1', 'u1', 'm1', 1, 1.05)
      .down('u2', 'eu-west', 2)
      .up('u2', 'us-east', 20)
      .end(30);
    const r = checkLost(h.events);
    expect(r.ackedLost).toBe(1);
    expect(r.examples[0]!.user).toBe('u2');
  });

  it('does not count time under a fault touching the member’s region toward the grace', () => {
    const h = stage()
      .faultStart('f1', 'partition', 'eu-west', ['eu-west'], 0.5)
      .acked('u1', 'c1', 'm1', 1, 1, 1.02)
      .deliver('u3', 'c1', 'u1', 'm1', 1, 1.05)
      .faultStop('f1', 27)
      .end(30);
    // u2 sat in a partitioned eu-west until +27s and the run ended 3 s later: not owed.
    expect(checkLost(sorted(h.events)).ackedLost).toBe(0);
  });

  it('does not judge a region whose final read failed, and says so', () => {
    const h = valid()
      .finalRead('eu-west', 'c1', 29, ...both)
      .failedRead('us-east', 'c1', 29, 'timeout')
      .end(30);
    const r = checkLost(h.events);
    expect(r.ackedLost).toBe(0);
    expect(r.unjudged).toEqual([
      '1 final read failed, so acked messages were not judged there: c1 in us-east (timeout)',
    ]);
  });

  it('reports messages that appeared but were never sent, by delivery and by final log', () => {
    const h = valid()
      .deliver('u2', 'c1', 'u3', 'm9', 3, 6)
      .finalRead('eu-west', 'c1', 29, ...both, [3, 'u3', 'm9'], [4, 'u1', 'm10'])
      .finalRead('us-east', 'c1', 29, ...both, [3, 'u3', 'm9'])
      .end(30);
    const r = checkLost(h.events);
    expect(r.unexpected).toBe(2);
    expect(r.ackedLost).toBe(0);
    const messages = r.examples.filter((e) => e.check === 'unexpected').map((e) => e.message);
    expect(messages).toEqual([
      'Message m9 from u3 in c1 appeared (delivered to u2 at +6.0s; held in the final log of eu-west and us-east) but was never sent.',
      'Message m10 from u1 in c1 appeared (held in the final log of eu-west) but was never sent.',
    ]);
  });

  it('reports a send that definitely failed yet appeared', () => {
    const h = valid()
      .send('u1', 'c1', 'm3', 2)
      .failed('u1', 'c1', 'm3', 2.5)
      .finalRead('eu-west', 'c1', 29, ...both, [3, 'u1', 'm3'])
      .finalRead('us-east', 'c1', 29, ...both)
      .end(30);
    const r = checkLost(sorted(h.events));
    expect(r.failedButAppeared).toBe(1);
    const ex = r.examples.find((e) => e.check === 'failed-but-appeared')!;
    expect(ex.message).toBe(
      'Message m3 from u1 in c1 was refused at +2.5s (unavailable) yet appeared: in the final log of eu-west (seq 3).',
    );
    expect(ex).toMatchObject({ conv: 'c1', cmid: 'm3', from: 'u1', region: 'eu-west', t: 2.5 });
  });

  it('counts indeterminate sends that appeared as recovered, and those that did not as missing, without violations', () => {
    const h = valid()
      .send('u1', 'c1', 'm4', 2)
      .indeterminate('u1', 'c1', 'm4', 5)
      .deliver('u2', 'c1', 'u1', 'm4', 3, 2.1)
      .send('u1', 'c1', 'm5', 3)
      .indeterminate('u1', 'c1', 'm5', 6)
      .end(30);
    const r = checkLost(sorted(h.events));
    expect(r).toMatchObject({
      recovered: 1,
      indeterminateMissing: 1,
      ackedLost: 0,
      unexpected: 0,
      failedButAppeared: 0,
    });
  });

  it('does not count an acked send the system later refused as lost: the sender was told (an XMPP bounce)', () => {
    const h = valid()
      .send('u1', 'c1', 'm6', 2)
      .ack('u1', 'c1', 'm6', 6, 2.1)
      .failed('u1', 'c1', 'm6', 9)
      .end(30);
    const r = checkLost(sorted(h.events));
    expect(r).toMatchObject({ ackedLost: 0, failedAfterAck: 1, failedButAppeared: 0 });
  });

  it('counts an acked send refused later that appeared anyway as failed-but-appeared, not as refused', () => {
    const h = valid()
      .send('u1', 'c1', 'm7', 2)
      .ack('u1', 'c1', 'm7', 7, 2.1)
      .deliver('u2', 'c1', 'u1', 'm7', 7, 2.2)
      .failed('u1', 'c1', 'm7', 9)
      .end(30);
    const r = checkLost(sorted(h.events));
    expect(r).toMatchObject({ ackedLost: 0, failedAfterAck: 0, failedButAppeared: 1 });
  });

  it('keeps at most maxExamples explanations but counts everything', () => {
    const h = stage();
    for (let i = 1; i <= 5; i++) h.send('u1', 'c1', `m${i}`, i).ack('u1', 'c1', `m${i}`, i, i + 0.02);
    h.end(30);
    const r = checkLost(h.events, { maxExamples: 2 });
    expect(r.ackedLost).toBe(5);
    expect(r.examples).toHaveLength(2);
  });
});

/** The checker's result and the metrics it recorded, over a whole history. */
function run(
  events: HistoryEvent[],
  options: Partial<CheckOptions> = {},
): { r: LostResult; metrics: MetricStore } {
  return check(createLostChecker, events, options);
}

type LostMetric = 'acked_lost' | 'unexpected_messages' | 'failed_but_appeared';
const count = (metrics: MetricStore, name: LostMetric, tags: Tags = {}): number =>
  aggregate(selectSink(metrics, name, tags), 'count', 0);

describe('acked-message loss: counts, metrics and times', () => {
  it('is named acked-lost, the name its examples carry', () => {
    expect(createLostChecker(resolveCheckOptions()).name).toBe('acked-lost');
  });

  it('counts lost messages per phase of their send in the acked_lost metric, with the ack time of each', () => {
    const h = stage()
      .acked('u1', 'c1', 'm1', 1, 1, 1.5)
      .deliver('u2', 'c1', 'u1', 'm1', 1, 1.6)
      .deliver('u3', 'c1', 'u1', 'm1', 1, 1.6)
      .message('c1', 'u3', 'm2', 2, 2, ['u1', 'u2'])
      .faultStart('f1', 'regionOutage', 'eu-west', ['eu-west'], 10)
      .acked('u3', 'c1', 'm3', 12, 3, 12.5)
      .deliver('u1', 'c1', 'u3', 'm3', 3, 12.6)
      .deliver('u2', 'c1', 'u3', 'm3', 3, 12.6)
      .faultStop('f1', 20)
      .acked('u1', 'c1', 'm4', 25, 4, 25.5)
      .deliver('u2', 'c1', 'u1', 'm4', 4, 25.6)
      .deliver('u3', 'c1', 'u1', 'm4', 4, 25.6)
      .send('u2', 'c1', 'm5', 26)
      .failed('u2', 'c1', 'm5', 26.5)
      .finalRead('eu-west', 'c1', 29, [2, 'u3', 'm2'], [5, 'u2', 'm5'])
      .finalRead(
        'us-east',
        'c1',
        29,
        [1, 'u1', 'm1'],
        [2, 'u3', 'm2'],
        [3, 'u3', 'm3'],
        [4, 'u1', 'm4'],
        [6, 'u9', 'm9'],
      )
      .end(30);
    const { r, metrics } = run(h.events);
    expect(r).toMatchObject({
      ackedLost: 3,
      ackedLostStoredOnly: 0,
      missingCopies: 3,
      undelivered: 0,
      unexpected: 1,
      failedButAppeared: 1,
      recovered: 0,
      indeterminateMissing: 0,
      unjudged: [],
    });
    expect(count(metrics, 'acked_lost', { phase: 'before' })).toBe(1);
    expect(count(metrics, 'acked_lost', { phase: 'fault' })).toBe(1);
    expect(count(metrics, 'acked_lost', { phase: 'after' })).toBe(1);
    expect(count(metrics, 'acked_lost')).toBe(3);
    expect(count(metrics, 'unexpected_messages')).toBe(1);
    expect(count(metrics, 'failed_but_appeared')).toBe(1);
    const lost = r.examples.filter((e) => e.check === 'acked-lost');
    expect(lost.map((e) => [e.cmid, e.region, e.t])).toEqual([
      ['m1', 'eu-west', 1.5],
      ['m3', 'eu-west', 12.5],
      ['m4', 'eu-west', 25.5],
    ]);
    expect(lost.map((e) => e.message)).toEqual([
      'Acked message m1 from u1 in c1 (seq 1, acked at +1.5s, before any fault) is missing from the final log of eu-west.',
      'Acked message m3 from u3 in c1 (seq 3, acked at +12.5s, during regionOutage(eu-west)) is missing from the final log of eu-west.',
      'Acked message m4 from u1 in c1 (seq 4, acked at +25.5s, after regionOutage(eu-west) ended) is missing from the final log of eu-west.',
    ]);
  });

  it('records zero in every acked_lost phase and the other counters when nothing went wrong', () => {
    const h = bothLogged(valid()).end(30);
    const { metrics } = run(h.events);
    const tagged = [...metrics.metrics.get('acked_lost')!.values()].map((x) => [x.tags.phase, x.sink]);
    expect(tagged).toEqual([
      ['before', { type: 'counter', value: 0 }],
      ['fault', { type: 'counter', value: 0 }],
      ['after', { type: 'counter', value: 0 }],
    ]);
    expect(count(metrics, 'unexpected_messages')).toBe(0);
    expect(count(metrics, 'failed_but_appeared')).toBe(0);
  });

  it('counts one lost message once but every missing copy and every owed member, naming the first of each', () => {
    const h = stage()
      .acked('u1', 'c1', 'm1', 1, 7, 1.4)
      .finalRead('eu-west', 'c1', 29)
      .finalRead('us-east', 'c1', 29)
      .end(30);
    const r = checkLost(h.events);
    expect(r).toMatchObject({ ackedLost: 1, missingCopies: 2, undelivered: 2, unexpected: 0 });
    expect(r.examples).toStrictEqual([
      {
        check: 'acked-lost',
        message:
          'Acked message m1 from u1 in c1 (seq 7, acked at +1.4s) is missing from the final log of eu-west and us-east and was never delivered to u2 and u3, though each stayed connected for 5s or more after the ack.',
        conv: 'c1',
        cmid: 'm1',
        from: 'u1',
        region: 'eu-west',
        user: 'u2',
        t: 1.4,
      },
    ]);
  });

  it('names no member in the example of a message that was only missing from a log, and no region when it was only undelivered', () => {
    const h = stage()
      .message('c1', 'u1', 'm1', 1, 1, ['u2', 'u3'])
      .acked('u3', 'c1', 'm2', 2, 2, 2.2)
      .deliver('u1', 'c1', 'u3', 'm2', 2, 2.3)
      .finalRead('eu-west', 'c1', 29, [2, 'u3', 'm2'])
      .finalRead('us-east', 'c1', 29, ...both)
      .end(30);
    const r = checkLost(h.events);
    expect(r).toMatchObject({ ackedLost: 2, missingCopies: 1, undelivered: 1 });
    expect(r.examples).toStrictEqual([
      {
        check: 'acked-lost',
        message:
          'Acked message m1 from u1 in c1 (seq 1, acked at +1.0s) is missing from the final log of eu-west.',
        conv: 'c1',
        cmid: 'm1',
        from: 'u1',
        region: 'eu-west',
        t: 1,
      },
      {
        check: 'acked-lost',
        message:
          'Acked message m2 from u3 in c1 (seq 2, acked at +2.2s) was never delivered to u2, though it stayed connected for 5s or more after the ack.',
        conv: 'c1',
        cmid: 'm2',
        from: 'u3',
        user: 'u2',
        t: 2.2,
      },
    ]);
  });

  it('judges delivery with the configured grace and states it in seconds', () => {
    const h = stage()
      .acked('u1', 'c1', 'm1', 1, 1, 1)
      .deliver('u3', 'c1', 'u1', 'm1', 1, 1.05)
      .down('u2', 'eu-west', 4)
      .end(30);
    // u2 stayed 3 s after the ack: owed under a 2.5 s grace, not under the default 5 s.
    expect(checkLost(h.events)).toMatchObject({ ackedLost: 0, undelivered: 0 });
    const r = checkLost(h.events, { deliveryGraceMs: 2500 });
    expect(r).toMatchObject({ ackedLost: 1, undelivered: 1, missingCopies: 0 });
    expect(r.examples[0]!.message).toBe(
      'Acked message m1 from u1 in c1 (seq 1, acked at +1.0s) was never delivered to u2, though it stayed connected for 2.5s or more after the ack.',
    );
  });

  it('counts only the lost messages acked at level "stored" as stored-only', () => {
    const h = stage();
    // u1 sends m<k> at +k s; it is acked with seq k at the level given 0.1 s later and
    // delivered to u2 and u3 0.1 s after that.
    for (const [k, level] of [
      [1, 'stored'],
      [2, 'replicated'],
      [3, 'stored'],
    ] as const) {
      h.send('u1', 'c1', `m${k}`, k).ack('u1', 'c1', `m${k}`, k, k + 0.1, level);
      h.deliver('u2', 'c1', 'u1', `m${k}`, k, k + 0.2).deliver('u3', 'c1', 'u1', `m${k}`, k, k + 0.2);
    }
    h.finalRead('eu-west', 'c1', 29, [3, 'u1', 'm3']).finalRead('us-east', 'c1', 29, [3, 'u1', 'm3']).end(30);
    const r = checkLost(h.events);
    expect(r).toMatchObject({ ackedLost: 2, ackedLostStoredOnly: 1, missingCopies: 4 });
    expect(r.examples.map((e) => e.message)).toEqual([
      'Acked message m1 from u1 in c1 (seq 1, acked at +1.1s) is missing from the final log of eu-west and us-east; it was acked at level "stored" (not yet replicated), which a region outage may lose.',
      'Acked message m2 from u1 in c1 (seq 2, acked at +2.1s) is missing from the final log of eu-west and us-east.',
    ]);
  });

  it('keeps up to maxExamples of each kind, lost first, then unexpected, then failed, and counts them all', () => {
    const h = stage()
      .acked('u1', 'c1', 'm1', 1, 1, 1.02)
      .acked('u1', 'c1', 'm2', 2, 2, 2.02)
      .deliver('u2', 'c1', 'u3', 'm9', 9, 3)
      .send('u1', 'c1', 'm3', 4)
      .failed('u1', 'c1', 'm3', 4.5)
      .deliver('u2', 'c1', 'u1', 'm3', 3, 4.6)
      .send('u1', 'c1', 'm4', 5)
      .failed('u1', 'c1', 'm4', 5.5)
      .deliver('u2', 'c1', 'u1', 'm4', 4, 5.6)
      .finalRead('eu-west', 'c1', 29, [8, 'u8', 'm8'])
      .end(30);
    const totals = { ackedLost: 2, unexpected: 2, failedButAppeared: 2 };
    const one = checkLost(h.events, { maxExamples: 1 });
    expect(one).toMatchObject(totals);
    expect(one.examples.map((e) => [e.check, e.cmid])).toEqual([
      ['acked-lost', 'm1'],
      ['unexpected', 'm9'],
      ['failed-but-appeared', 'm3'],
    ]);
    const all = checkLost(h.events);
    expect(all.examples.map((e) => [e.check, e.cmid])).toEqual([
      ['acked-lost', 'm1'],
      ['acked-lost', 'm2'],
      ['unexpected', 'm9'],
      ['unexpected', 'm8'],
      ['failed-but-appeared', 'm3'],
      ['failed-but-appeared', 'm4'],
    ]);
    const none = checkLost(h.events, { maxExamples: 0 });
    expect(none).toMatchObject(totals);
    expect(none.examples).toEqual([]);
  });
});

describe('acked-message loss: what could not be judged', () => {
  it('lists each conversation×region pair with no final read once, and judges nothing there', () => {
    const h = stage()
      .conv('c2', ['u1', 'u3'])
      .message('c1', 'u1', 'm1', 1, 1, ['u2', 'u3'])
      .message('c1', 'u3', 'm2', 2, 2, ['u1', 'u2'])
      .message('c2', 'u1', 'm3', 3, 3, ['u3'])
      .finalRead('eu-west', 'c1', 29, ...both)
      .end(30);
    // Sorted, c2's conversation event joins c1's at the start, before the users.
    const r = checkLost(sorted(h.events));
    expect(r).toMatchObject({ ackedLost: 0, missingCopies: 0, undelivered: 0 });
    expect(r.unjudged).toEqual([
      'no final read for 3 conversation×region pairs (c1 in us-east, c2 in eu-west and c2 in us-east): acked messages were not judged there',
    ]);
  });

  it('says there were no final reads, and nothing else, when a run with acked messages read no logs', () => {
    const h = valid().end(30);
    const r = checkLost(h.events);
    expect(r).toMatchObject({ ackedLost: 0, missingCopies: 0, undelivered: 0 });
    expect(r.unjudged).toEqual([
      'no final reads: acked messages were judged only by delivery to members, not by region logs',
    ]);
  });

  it('has nothing to leave unjudged when no message was acked and no log was read', () => {
    const h = stage().send('u1', 'c1', 'm1', 1).indeterminate('u1', 'c1', 'm1', 6).end(30);
    const r = checkLost(h.events);
    expect(r).toMatchObject({ ackedLost: 0, indeterminateMissing: 1, recovered: 0 });
    expect(r.unjudged).toEqual([]);
  });

  it('judges a conversation with no conversation event by its logs only, and says delivery was not judged', () => {
    const h = history()
      .start()
      .user('u1', 'eu-west')
      .up('u1', 'eu-west', 0.1)
      .acked('u1', 'c9', 'm1', 1, 1, 1.1)
      .acked('u1', 'c9', 'm2', 2, 2, 2.1)
      .finalRead('eu-west', 'c9', 29, [1, 'u1', 'm1'], [2, 'u1', 'm2'])
      .finalRead('us-east', 'c9', 29, [1, 'u1', 'm1'])
      .end(30);
    const r = checkLost(h.events);
    expect(r).toMatchObject({ ackedLost: 1, missingCopies: 1, undelivered: 0 });
    expect(r.examples.map((e) => [e.cmid, e.region])).toEqual([['m2', 'us-east']]);
    expect(r.unjudged).toEqual(['no conversation event for c9: delivery to members was not judged there']);
  });

  it('lists every failed final read, with its error when it has one', () => {
    const h = valid().failedRead('eu-west', 'c1', 29).failedRead('us-east', 'c1', 29, 'timeout').end(30);
    const r = checkLost(h.events);
    expect(r).toMatchObject({ ackedLost: 0, missingCopies: 0, undelivered: 0 });
    expect(r.unjudged).toEqual([
      '2 final reads failed, so acked messages were not judged there: c1 in eu-west and c1 in us-east (timeout)',
    ]);
  });

  it('ignores whatever entries a failed final read lists', () => {
    const h = valid()
      .send('u1', 'c1', 'm3', 6)
      .failed('u1', 'c1', 'm3', 6.5)
      .finalRead('eu-west', 'c1', 29, ...both, [3, 'u1', 'm3'])
      .failedRead('us-east', 'c1', 29, 'partial', [1, 'u1', 'm1'], [7, 'u1', 'm3'], [8, 'u9', 'm9'])
      .end(30);
    const r = checkLost(h.events);
    expect(r).toMatchObject({ ackedLost: 0, unexpected: 0, failedButAppeared: 1 });
    expect(r.examples.map((e) => e.message)).toEqual([
      'Message m3 from u1 in c1 was refused at +6.5s (unavailable) yet appeared: in the final log of eu-west (seq 3).',
    ]);
    expect(r.unjudged).toEqual([
      '1 final read failed, so acked messages were not judged there: c1 in us-east (partial)',
    ]);
  });

  it('does not expect a residency-bound conversation’s messages in regions outside its residency', () => {
    const h = history()
      .start()
      .conv('c2', ['u1', 'u2'], ['eu-west'])
      .user('u1', 'eu-west')
      .user('u2', 'eu-west')
      .up('u1', 'eu-west', 0.1)
      .up('u2', 'eu-west', 0.1)
      .message('c2', 'u1', 'm1', 1, 1, ['u2'])
      .message('c2', 'u2', 'm2', 2, 2, ['u1'])
      .finalRead('eu-west', 'c2', 29, [1, 'u1', 'm1'])
      .finalRead('us-east', 'c2', 29)
      .end(30);
    const r = checkLost(h.events);
    expect(r).toMatchObject({ ackedLost: 1, missingCopies: 1 });
    expect(r.examples.map((e) => [e.cmid, e.region])).toEqual([['m2', 'eu-west']]);
    expect(r.unjudged).toEqual([]);
  });
});

describe('acked-message loss: messages that should not have appeared', () => {
  /** u1 sends m3 at +2 s and it is refused at +2.5 s (for `reason`, else unavailable). */
  const refused = (reason?: string): Builder =>
    stage().send('u1', 'c1', 'm3', 2).failed('u1', 'c1', 'm3', 2.5, reason);
  /** What every explanation of that refusal names. */
  const refusedM3 = { check: 'failed-but-appeared', conv: 'c1', cmid: 'm3', from: 'u1', t: 2.5 };

  it('counts each message no event named once per conversation, listing each region that holds it once', () => {
    const h = valid()
      .finalRead('eu-west', 'c1', 29, ...both, [3, 'u9', 'm9'], [4, 'u9', 'm9'], [5, 'u8', 'm8'])
      .finalRead('us-east', 'c1', 29, ...both, [3, 'u9', 'm9'], [5, 'u8', 'm8'])
      .finalRead('eu-west', 'c2', 29, [1, 'u9', 'm9'])
      .end(30);
    const { r, metrics } = run(h.events);
    expect(r).toMatchObject({ unexpected: 3, ackedLost: 0, failedButAppeared: 0 });
    expect(count(metrics, 'unexpected_messages')).toBe(3);
    expect(r.examples).toStrictEqual([
      {
        check: 'unexpected',
        message:
          'Message m9 from u9 in c1 appeared (held in the final log of eu-west and us-east) but was never sent.',
        conv: 'c1',
        cmid: 'm9',
        from: 'u9',
        region: 'eu-west',
      },
      {
        check: 'unexpected',
        message:
          'Message m8 from u8 in c1 appeared (held in the final log of eu-west and us-east) but was never sent.',
        conv: 'c1',
        cmid: 'm8',
        from: 'u8',
        region: 'eu-west',
      },
      {
        check: 'unexpected',
        message: 'Message m9 from u9 in c2 appeared (held in the final log of eu-west) but was never sent.',
        conv: 'c2',
        cmid: 'm9',
        from: 'u9',
        region: 'eu-west',
      },
    ]);
  });

  it('names the first receiver and time of a never-sent message that was only delivered, and no region', () => {
    const h = bothLogged(
      valid().deliver('u2', 'c1', 'u3', 'm9', 3, 6.3).deliver('u1', 'c1', 'u3', 'm9', 3, 7),
    ).end(30);
    const r = checkLost(h.events);
    expect(r).toMatchObject({ unexpected: 1, ackedLost: 0 });
    expect(r.examples).toStrictEqual([
      {
        check: 'unexpected',
        message: 'Message m9 from u3 in c1 appeared (delivered to u2 at +6.3s) but was never sent.',
        conv: 'c1',
        cmid: 'm9',
        from: 'u3',
        user: 'u2',
        t: 6.3,
      },
    ]);
  });

  it('treats an ack, a refusal or an indeterminate outcome without a send event as a send', () => {
    const h = stage()
      .ack('u1', 'c1', 'm1', 1, 1)
      .deliver('u2', 'c1', 'u1', 'm1', 1, 1.1)
      .deliver('u3', 'c1', 'u1', 'm1', 1, 1.1)
      .ack('u3', 'c1', 'm2', 2, 2)
      .deliver('u1', 'c1', 'u3', 'm2', 2, 2.1)
      .deliver('u2', 'c1', 'u3', 'm2', 2, 2.1)
      .failed('u1', 'c1', 'm3', 3)
      .indeterminate('u1', 'c1', 'm4', 4)
      .deliver('u2', 'c1', 'u1', 'm4', 4, 4.1)
      .finalRead('eu-west', 'c1', 29, [1, 'u1', 'm1'], [2, 'u3', 'm2'], [3, 'u1', 'm3'])
      .finalRead('us-east', 'c1', 29, [1, 'u1', 'm1'])
      .end(30);
    const r = checkLost(h.events);
    expect(r).toMatchObject({
      unexpected: 0,
      ackedLost: 1,
      missingCopies: 1,
      failedButAppeared: 1,
      recovered: 1,
      indeterminateMissing: 0,
    });
    expect(r.examples.map((e) => [e.check, e.cmid])).toEqual([
      ['acked-lost', 'm2'],
      ['failed-but-appeared', 'm3'],
    ]);
  });

  it('neither flags nor counts a send that never got an outcome, whether or not it appeared', () => {
    const h = stage()
      .send('u1', 'c1', 'm1', 1)
      .deliver('u2', 'c1', 'u1', 'm1', 1, 1.1)
      .send('u1', 'c1', 'm2', 2)
      .finalRead('eu-west', 'c1', 29, [1, 'u1', 'm1'])
      .finalRead('us-east', 'c1', 29)
      .end(30);
    const r = checkLost(h.events);
    expect(r).toMatchObject({
      ackedLost: 0,
      unexpected: 0,
      failedButAppeared: 0,
      recovered: 0,
      indeterminateMissing: 0,
    });
    expect(r.examples).toEqual([]);
  });

  it('counts a send refused after an indeterminate outcome as failed, never as recovered or missing', () => {
    const h = stage()
      .send('u1', 'c1', 'm1', 1)
      .deliver('u2', 'c1', 'u1', 'm1', 1, 1.2)
      .indeterminate('u1', 'c1', 'm1', 1.5)
      .failed('u1', 'c1', 'm1', 2)
      .send('u1', 'c1', 'm2', 3)
      .indeterminate('u1', 'c1', 'm2', 3.5)
      .failed('u1', 'c1', 'm2', 4)
      .end(30);
    const r = checkLost(h.events);
    expect(r).toMatchObject({ failedButAppeared: 1, recovered: 0, indeterminateMissing: 0, unexpected: 0 });
  });

  it('counts an indeterminate send held only by a final log as recovered', () => {
    const h = stage()
      .send('u1', 'c1', 'm1', 1)
      .indeterminate('u1', 'c1', 'm1', 6)
      .finalRead('eu-west', 'c1', 29, [1, 'u1', 'm1'])
      .finalRead('us-east', 'c1', 29)
      .end(30);
    expect(checkLost(h.events)).toMatchObject({ recovered: 1, indeterminateMissing: 0, ackedLost: 0 });
  });

  it('explains a refused send that was only delivered by its first receiver, without a region', () => {
    const h = refused('rejected')
      .deliver('u2', 'c1', 'u1', 'm3', 3, 2.6)
      .deliver('u3', 'c1', 'u1', 'm3', 3, 2.8)
      .end(30);
    const { r, metrics } = run(h.events);
    expect(r).toMatchObject({ failedButAppeared: 1, unexpected: 0, recovered: 0 });
    expect(count(metrics, 'failed_but_appeared')).toBe(1);
    expect(r.examples).toStrictEqual([
      {
        ...refusedM3,
        message:
          'Message m3 from u1 in c1 was refused at +2.5s (rejected) yet appeared: delivered to u2 at +2.6s.',
      },
    ]);
  });

  it('explains a refused send held only by a final log without naming any receiver', () => {
    const h = refused().finalRead('eu-west', 'c1', 29, [1, 'u1', 'm3']).end(30);
    expect(checkLost(h.events).examples).toStrictEqual([
      {
        ...refusedM3,
        message:
          'Message m3 from u1 in c1 was refused at +2.5s (unavailable) yet appeared: in the final log of eu-west (seq 1).',
        region: 'eu-west',
      },
    ]);
  });

  it('gives a refused send’s own seq in each log, not that of another sender’s message with the same cmid', () => {
    const h = refused()
      .deliver('u2', 'c1', 'u1', 'm3', 4, 2.6)
      .finalRead('eu-west', 'c1', 29, [3, 'u2', 'm3'], [4, 'u1', 'm3'])
      .finalRead('us-east', 'c1', 29, [5, 'u1', 'm3'])
      .end(30);
    const r = checkLost(h.events);
    expect(r).toMatchObject({ failedButAppeared: 1, unexpected: 1 });
    const ex = r.examples.find((e) => e.check === 'failed-but-appeared')!;
    expect(ex.message).toBe(
      'Message m3 from u1 in c1 was refused at +2.5s (unavailable) yet appeared: in the final log of eu-west (seq 4) and us-east (seq 5); delivered to u2 at +2.6s.',
    );
    expect(ex.region).toBe('eu-west');
  });

  it('does not flag a refused send that never appeared', () => {
    const h = refused().finalRead('eu-west', 'c1', 29).finalRead('us-east', 'c1', 29).end(30);
    const { r, metrics } = run(h.events);
    expect(r).toMatchObject({ failedButAppeared: 0, ackedLost: 0, unexpected: 0, examples: [] });
    expect(count(metrics, 'failed_but_appeared')).toBe(0);
  });
});
