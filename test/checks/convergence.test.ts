import { describe, expect, it } from 'vitest';
import { checkConvergence } from '../../checks/convergence.ts';
import { checkResidency } from '../../checks/residency.ts';
import { history, stage } from './fixtures.ts';

describe('convergence', () => {
  it('measures heal → agreement per conversation', () => {
    const h = stage()
      .conv('c2', ['u1', 'u3'])
      .faultStart('f1', 'partition', 'eu-west', ['eu-west'], 5)
      .faultStop('f1', 15)
      .phase('healed', 20)
      .digest('eu-west', 'c1', 3, 3, 'aaa', 21)
      .digest('us-east', 'c1', 2, 2, 'bbb', 21)
      .digest('eu-west', 'c2', 1, 1, 'ccc', 21)
      .digest('us-east', 'c2', 1, 1, 'ccc', 21.5)
      .digest('us-east', 'c1', 3, 3, 'aaa', 23)
      .end(30);
    const r = checkConvergence(h.events);
    expect(r).toMatchObject({ converged: 2, unconverged: 0, unjudged: 0, healAt: 20 });
    expect(r.seconds.count).toBe(2);
    expect(r.seconds.max).toBeCloseTo(3, 5);
    expect(r.allConvergedSeconds).toBeCloseTo(3, 5);
  });

  it('fails a conversation whose regions still disagree at the end, saying what each held', () => {
    const h = stage()
      .phase('healed', 20)
      .digest('eu-west', 'c1', 40, 40, 'aaaaaaaaaa', 21)
      .digest('us-east', 'c1', 40, 40, 'aaaaaaaaaa', 21)
      .digest('us-east', 'c1', 38, 39, 'bbbbbbbbbb', 25)
      .end(30);
    const r = checkConvergence(h.events);
    expect(r.unconverged).toBe(1);
    expect(r.allConvergedSeconds).toBeNull();
    expect(r.examples[0]).toMatchObject({ check: 'convergence', conv: 'c1', t: 20 });
    expect(r.examples[0]!.message).toBe(
      'Conversation c1 never converged after the heal at +20.0s: at the last poll (+25.0s) eu-west held 40 messages (last seq 40, hash aaaaaaaa) and us-east held 38 messages (last seq 39, hash bbbbbbbb).',
    );
  });

  it('names a region that never answered a poll', () => {
    const h = stage().phase('healed', 20).digest('eu-west', 'c1', 1, 1, 'a', 21).end(30);
    const r = checkConvergence(h.events);
    expect(r.unconverged).toBe(1);
    expect(r.examples[0]!.message).toContain('us-east never answered');
  });

  it('lets the final logs overrule agreeing digests', () => {
    const h = stage()
      .phase('healed', 20)
      .digest('eu-west', 'c1', 1, 1, 'same', 21)
      .digest('us-east', 'c1', 1, 1, 'same', 21)
      .finalRead('eu-west', 'c1', [[1, 'u1', 'm1']], 28)
      .finalRead('us-east', 'c1', [[1, 'u2', 'm9']], 28)
      .end(30);
    const r = checkConvergence(h.events);
    expect(r.unconverged).toBe(1);
    expect(r.examples[0]!.message).toBe(
      'Conversation c1 never converged after the heal at +20.0s: the final logs differ: eu-west holds 1 message (last seq 1) and us-east holds 1 message (last seq 1).',
    );
  });

  it('judges by final reads alone when no digests were polled, without a time', () => {
    const h = stage()
      .finalRead('eu-west', 'c1', [[1, 'u1', 'm1']], 28)
      .finalRead('us-east', 'c1', [[1, 'u1', 'm1']], 28)
      .end(30);
    const r = checkConvergence(h.events);
    expect(r).toMatchObject({ converged: 1, unconverged: 0 });
    expect(r.seconds.count).toBe(0);
    expect(r.notes.join(' ')).toContain('convergence time');
  });

  it('only waits for the regions a residency-bound conversation may live in', () => {
    const h = history()
      .start(['eu-west', 'eu-central', 'us-east'])
      .conv('c1', ['u1', 'u2'], ['eu-west', 'eu-central'])
      .phase('healed', 10)
      .digest('eu-west', 'c1', 2, 2, 'x', 11)
      .digest('eu-central', 'c1', 2, 2, 'x', 12)
      .end(30);
    expect(checkConvergence(h.events)).toMatchObject({ converged: 1, unconverged: 0 });
  });

  it('counts conversations with neither digests nor final reads as unjudged', () => {
    const r = checkConvergence(stage().end(30).events);
    expect(r).toMatchObject({ converged: 0, unconverged: 0, unjudged: 1 });
  });
});

describe('residency', () => {
  const bound = () =>
    history()
      .start(['eu-west', 'eu-central', 'us-east'])
      .conv('c7', ['u1', 'u2'], ['eu-west', 'eu-central'])
      .conv('c8', ['u1', 'u2']);

  it('finds nothing when bound conversations stay in their regions', () => {
    const h = bound()
      .finalRead('eu-west', 'c7', [[1, 'u1', 'm1']], 28)
      .finalRead('us-east', 'c7', [], 28)
      .finalRead('us-east', 'c8', [[1, 'u1', 'm2']], 28)
      .end(30);
    expect(checkResidency(h.events)).toMatchObject({ residencyViolations: 0, boundConversations: 1 });
  });

  it('reports copies in a region outside the set', () => {
    const h = bound()
      .finalRead(
        'eu-west',
        'c7',
        [
          [1, 'u2', 'm5'],
          [2, 'u1', 'm6'],
        ],
        28,
      )
      .finalRead(
        'us-east',
        'c7',
        [
          [1, 'u2', 'm5'],
          [2, 'u1', 'm6'],
        ],
        28,
      )
      .end(30);
    const r = checkResidency(h.events);
    expect(r).toMatchObject({ residencyViolations: 2, offendingPairs: 1 });
    expect(r.examples[0]).toMatchObject({ check: 'residency', conv: 'c7', region: 'us-east', t: 28 });
    expect(r.examples[0]!.message).toBe(
      'Conversation c7 may live only in eu-west and eu-central, yet us-east holds 2 of its messages (first: m5 from u2, seq 1).',
    );
  });

  it('falls back to a stray region’s digest when its final log was not read', () => {
    const h = bound().digest('us-east', 'c7', 3, 3, 'h', 25).end(30);
    const r = checkResidency(h.events);
    expect(r.residencyViolations).toBe(3);
    expect(r.examples[0]!.message).toContain('by its digest');
  });
});
