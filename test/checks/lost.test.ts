import { describe, expect, it } from 'vitest';
import { checkLost } from '../../checks/lost.ts';
import { type Builder, sorted, stage } from './fixtures.ts';

/** Two messages, both delivered to every other member and held by both regions. */
function valid(): Builder {
  return stage().message('c1', 'u1', 'm1', 1, 1, ['u2', 'u3']).message('c1', 'u3', 'm2', 2, 5, ['u1', 'u2']);
}

const both: [number, string, string][] = [
  [1, 'u1', 'm1'],
  [2, 'u3', 'm2'],
];

describe('acked-message loss', () => {
  it('finds nothing in a history where every acked message reached every region and member', () => {
    const h = valid().finalRead('eu-west', 'c1', both, 29).finalRead('us-east', 'c1', both, 29).end(30);
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
      .finalRead('eu-west', 'c1', both, 29)
      .finalRead('us-east', 'c1', [[1, 'u1', 'm1']], 29)
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
      .finalRead('eu-west', 'c1', [], 29)
      .finalRead('us-east', 'c1', [[1, 'u3', 'm1']], 29)
      .end(30);
    const r = checkLost(h.events);
    expect(r.ackedLost).toBe(1);
    expect(r.ackedLostStoredOnly).toBe(1);
    expect(r.examples[0]!.message).toContain('acked at level "stored" (not yet replicated)');
  });

  it('reports an acked message never delivered to a member who stayed connected past the grace', () => {
    const h = stage()
      .send('u1', 'c1', 'm1', 1)
      .ack('u1', 'c1', 'm1', 1, 1.02)
      .deliver('u3', 'c1', 'u1', 'm1', 1, 1.05)
      .end(30);
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
      .send('u1', 'c1', 'm1', 1)
      .ack('u1', 'c1', 'm1', 1, 1.02)
      .deliver('u3', 'c1', 'u1', 'm1', 1, 1.05)
      .down('u2', 'eu-west', 2)
      .end(30);
    expect(checkLost(h.events).ackedLost).toBe(0);
  });

  it('owes a message to a member that reconnected later and stayed (the sync should have brought it)', () => {
    const h = stage()
      .send('u1', 'c1', 'm1', 1)
      .ack('u1', 'c1', 'm1', 1, 1.02)
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
      .send('u1', 'c1', 'm1', 1)
      .ack('u1', 'c1', 'm1', 1, 1.02)
      .deliver('u3', 'c1', 'u1', 'm1', 1, 1.05)
      .faultStop('f1', 27)
      .end(30);
    // u2 sat in a partitioned eu-west until +27s and the run ended 3 s later: not owed.
    expect(checkLost(sorted(h.events)).ackedLost).toBe(0);
  });

  it('does not judge a region whose final read failed, and says so', () => {
    const h = valid()
      .finalRead('eu-west', 'c1', both, 29)
      .finalRead('us-east', 'c1', [], 29, false, 'timeout')
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
      .finalRead('eu-west', 'c1', [...both, [3, 'u3', 'm9'], [4, 'u1', 'm10']], 29)
      .finalRead('us-east', 'c1', [...both, [3, 'u3', 'm9']], 29)
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
      .finalRead('eu-west', 'c1', [...both, [3, 'u1', 'm3']], 29)
      .finalRead('us-east', 'c1', both, 29)
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

  it('keeps at most maxExamples explanations but counts everything', () => {
    const h = stage();
    for (let i = 1; i <= 5; i++) h.send('u1', 'c1', `m${i}`, i).ack('u1', 'c1', `m${i}`, i, i + 0.02);
    h.end(30);
    const r = checkLost(h.events, { maxExamples: 2 });
    expect(r.ackedLost).toBe(5);
    expect(r.examples).toHaveLength(2);
  });
});
