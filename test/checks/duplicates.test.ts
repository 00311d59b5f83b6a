import { describe, expect, it } from 'vitest';
import { checkDuplicates } from '../../checks/duplicates.ts';
import { stage } from './fixtures.ts';

describe('duplicates', () => {
  it('finds nothing when each session gets each message once and each log holds it once', () => {
    const h = stage()
      .message('c1', 'u1', 'm1', 1, 1, ['u2', 'u3'])
      .message('c1', 'u2', 'm2', 2, 2, ['u1', 'u3'])
      .finalRead(
        'eu-west',
        'c1',
        [
          [1, 'u1', 'm1'],
          [2, 'u2', 'm2'],
        ],
        29,
      )
      .end(30);
    expect(checkDuplicates(h.events)).toMatchObject({ duplicates: 0, examples: [] });
  });

  it('reports a session receiving one message twice, with when and how', () => {
    const h = stage()
      .message('c1', 'u1', 'm1', 1, 1, ['u2', 'u3'])
      .deliver('u2', 'c1', 'u1', 'm1', 1, 4.2, { via: 'sync', region: 'us-east' })
      .end(30);
    const r = checkDuplicates(h.events);
    expect(r.duplicates).toBe(1);
    expect(r.sessionDuplicates).toBe(1);
    expect(r.examples[0]).toMatchObject({
      check: 'duplicates',
      user: 'u2',
      cmid: 'm1',
      region: 'us-east',
      t: 4.2,
    });
    expect(r.examples[0]!.message).toBe(
      'Session s-u2 of u2 received message m1 from u1 in c1 twice: again at seq 1 by sync at +4.2s.',
    );
  });

  it('does not count redelivery after a reset dropped the message', () => {
    const h = stage()
      .message('c1', 'u1', 'm1', 1, 1, ['u2'])
      .message('c1', 'u1', 'm2', 2, 2, ['u2'])
      .reset('u2', 'c1', 1, 3)
      .deliver('u2', 'c1', 'u1', 'm2', 2, 3.1, { via: 'sync' })
      .end(30);
    expect(checkDuplicates(h.events).duplicates).toBe(0);
  });

  it('still counts redelivery of a message at or below the reset seq', () => {
    const h = stage()
      .message('c1', 'u1', 'm1', 1, 1, ['u2'])
      .reset('u2', 'c1', 1, 3)
      .deliver('u2', 'c1', 'u1', 'm1', 1, 3.1, { via: 'sync' })
      .end(30);
    expect(checkDuplicates(h.events).duplicates).toBe(1);
  });

  it('reports a final log holding one message at two seqs', () => {
    const h = stage()
      .message('c1', 'u1', 'm1', 1, 1, ['u2', 'u3'])
      .finalRead(
        'us-east',
        'c1',
        [
          [1, 'u1', 'm1'],
          [2, 'u1', 'm1'],
        ],
        29,
      )
      .end(30);
    const r = checkDuplicates(h.events);
    expect(r.logDuplicates).toBe(1);
    expect(r.duplicates).toBe(1);
    expect(r.examples[0]!.message).toBe(
      'The final log of c1 in us-east holds message m1 from u1 in c1 2 times, at seqs 1 and 2.',
    );
    expect(r.examples[0]!.region).toBe('us-east');
  });

  it('reports a final log holding two messages at one seq', () => {
    const h = stage()
      .message('c1', 'u1', 'm1', 1, 1, ['u2', 'u3'])
      .finalRead(
        'eu-west',
        'c1',
        [
          [1, 'u1', 'm1'],
          [1, 'u3', 'm7'],
        ],
        29,
      )
      .end(30);
    const r = checkDuplicates(h.events);
    expect(r.logSeqCollisions).toBe(1);
    expect(r.examples[0]!.message).toBe(
      'The final log of c1 in eu-west holds 2 messages at seq 1: m1 from u1 and m7 from u3.',
    );
  });
});
