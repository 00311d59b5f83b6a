// The duplicates checker on hand-built histories with exact expected figures: repeats to one
// session (and the resets that excuse them), final logs holding one message twice or two
// messages at one seq, the per-region `duplicates` metric, and the cap on examples.
import { describe, expect, it } from 'vitest';
import { checkDuplicates, createDuplicatesChecker, type DuplicatesResult } from '../../checks/duplicates.ts';
import { aggregate, createMetricStore, type MetricStore, selectSink } from '../../checks/metrics.ts';
import { createRunModel, observe } from '../../checks/model.ts';
import { type CheckOptions, resolveCheckOptions } from '../../checks/result.ts';
import type { HistoryEvent } from '../../contracts/history.ts';
import { check, history, sorted, stage } from './fixtures.ts';

/** The checker's result and the metrics it recorded. */
function run(
  events: HistoryEvent[],
  options: Partial<CheckOptions> = {},
): { r: DuplicatesResult; metrics: MetricStore } {
  return check(createDuplicatesChecker, sorted(events), options);
}

/** The `duplicates` counter per region tag ('' for untagged samples), sorted by region. */
function byRegion(metrics: MetricStore): [string, number][] {
  const out: [string, number][] = [];
  for (const { tags, sink } of metrics.metrics.get('duplicates')!.values()) {
    out.push([tags.region ?? '', sink.type === 'counter' ? sink.value : Number.NaN]);
  }
  return out.sort((a, b) => a[0].localeCompare(b[0]));
}

const total = (metrics: MetricStore): number => aggregate(selectSink(metrics, 'duplicates'), 'count', 0);

describe('duplicates', () => {
  it('finds nothing when each session gets each message once and each log holds it once', () => {
    const h = stage()
      .message('c1', 'u1', 'm1', 1, 1, ['u2', 'u3'])
      .message('c1', 'u2', 'm2', 2, 2, ['u1', 'u3'])
      .finalRead('eu-west', 'c1', 29, [1, 'u1', 'm1'], [2, 'u2', 'm2'])
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
      .finalRead('us-east', 'c1', 29, [1, 'u1', 'm1'], [2, 'u1', 'm1'])
      .end(30);
    const r = checkDuplicates(h.events);
    expect(r.logDuplicates).toBe(1);
    expect(r.duplicates).toBe(1);
    expect(r.examples[0]!.message).toBe(
      'The final log of c1 in us-east holds message m1 from u1 in c1 2 times, at seqs 1 and 2.',
    );
    expect(r.examples[0]!.region).toBe('us-east');
  });

  it('counts a copy at three seqs and three messages at one seq once per extra, in the result and the metric', () => {
    const h = stage()
      .message('c1', 'u1', 'm1', 1, 1, ['u2'])
      .finalRead(
        'eu-west',
        'c1',
        29,
        [1, 'u1', 'm1'],
        [2, 'u1', 'm1'],
        [3, 'u1', 'm1'],
        [4, 'u2', 'a'],
        [4, 'u2', 'b'],
        [4, 'u2', 'c'],
      )
      .end(30);
    const { r, metrics } = run(h.events);
    expect(r).toMatchObject({ logDuplicates: 2, logSeqCollisions: 2, duplicates: 4 });
    expect(total(metrics)).toBe(4);
    expect(byRegion(metrics)).toEqual([['eu-west', 4]]);
  });

  it('reports a final log holding two messages at one seq', () => {
    const h = stage()
      .message('c1', 'u1', 'm1', 1, 1, ['u2', 'u3'])
      .finalRead('eu-west', 'c1', 29, [1, 'u1', 'm1'], [1, 'u3', 'm7'])
      .end(30);
    const r = checkDuplicates(h.events);
    expect(r.logSeqCollisions).toBe(1);
    expect(r.examples[0]!.message).toBe(
      'The final log of c1 in eu-west holds 2 messages at seq 1: m1 from u1 and m7 from u3.',
    );
  });
});

describe('duplicates: session repeats', () => {
  it('counts every further repeat to one session, each tagged with its region or else the session’s', () => {
    const h = stage()
      .message('c1', 'u1', 'm1', 1, 1, ['u2', 'u3'])
      .deliver('u2', 'c1', 'u1', 'm1', 1, 2, { region: 'us-east' })
      .deliver('u2', 'c1', 'u1', 'm1', 1, 3)
      .deliver('u3', 'c1', 'u1', 'm1', 1, 4)
      .end(30);
    const { r, metrics } = run(h.events);
    expect(r).toMatchObject({ duplicates: 3, sessionDuplicates: 3, logDuplicates: 0, logSeqCollisions: 0 });
    expect(r.examples.map((ex) => [ex.user, ex.region, ex.t])).toEqual([
      ['u2', 'us-east', 2],
      ['u2', 'eu-west', 3],
      ['u3', 'us-east', 4],
    ]);
    expect(byRegion(metrics)).toEqual([
      ['eu-west', 1],
      ['us-east', 2],
    ]);
    expect(total(metrics)).toBe(3);
  });

  it('names the first seq when the repeat comes at another seq, and the fault it came during', () => {
    const h = stage()
      .faultStart('f1', 'partition', 'eu-west', ['eu-west'], 5)
      .message('c1', 'u1', 'm1', 1, 1, ['u2'])
      .deliver('u2', 'c1', 'u1', 'm1', 4, 6.5)
      .end(30);
    const { r } = run(h.events);
    expect(r.examples).toEqual([
      {
        check: 'duplicates',
        message:
          'Session s-u2 of u2 received message m1 from u1 in c1 twice: again at seq 4 (first at seq 1) by push at +6.5s, during partition(eu-west).',
        conv: 'c1',
        cmid: 'm1',
        from: 'u1',
        user: 'u2',
        region: 'eu-west',
        t: 6.5,
      },
    ]);
  });

  it('leaves repeats untagged, and their examples without a region, when no region is known', () => {
    const h = history()
      .start()
      .conv('c1', ['u1', 'u2'])
      .message('c1', 'u1', 'm1', 1, 1, ['u2'])
      .deliver('u2', 'c1', 'u1', 'm1', 1, 2)
      .deliver('u2', 'c1', 'u1', 'm1', 1, 3)
      .end(30);
    const { r, metrics } = run(h.events);
    expect(r.sessionDuplicates).toBe(2);
    expect(r.examples).toHaveLength(2);
    expect(Object.keys(r.examples[0]!)).toEqual(['check', 'message', 'conv', 'cmid', 'from', 'user', 't']);
    expect(byRegion(metrics)).toEqual([['', 2]]);
    expect(metrics.metrics.get('duplicates')!.values().next().value!.tags).toEqual({});
  });

  it('does not count one message delivered once to each of two sessions of a user', () => {
    const h = stage()
      .up('u2', 'us-east', 0.2, 's-u2-phone')
      .message('c1', 'u1', 'm1', 1, 1, ['u2'])
      .deliver('u2', 'c1', 'u1', 'm1', 1, 1.2, { session: 's-u2-phone' })
      .end(30);
    const { r, metrics } = run(h.events);
    expect(r.duplicates).toBe(0);
    expect(byRegion(metrics)).toEqual([]);
  });

  it('counts a redelivery after a reset that dropped the message, once it arrives a third time', () => {
    const h = stage()
      .message('c1', 'u1', 'm1', 1, 1, ['u2'])
      .message('c1', 'u1', 'm2', 2, 2, ['u2'])
      .reset('u2', 'c1', 1, 3)
      .deliver('u2', 'c1', 'u1', 'm2', 2, 3.1, { via: 'sync' })
      .deliver('u2', 'c1', 'u1', 'm2', 2, 3.2, { via: 'sync' })
      .end(30);
    const { r } = run(h.events);
    expect(r.sessionDuplicates).toBe(1);
    expect(r.examples[0]).toMatchObject({ cmid: 'm2', t: 3.2 });
  });

  it('ignores a reset of another conversation', () => {
    const h = stage()
      .conv('c2', ['u1', 'u2'])
      .message('c1', 'u1', 'm1', 1, 1, ['u2'])
      .message('c1', 'u1', 'm2', 2, 2, ['u2'])
      .reset('u2', 'c2', 0, 3)
      .deliver('u2', 'c1', 'u1', 'm2', 2, 3.1, { via: 'sync' })
      .end(30);
    expect(run(h.events).r.sessionDuplicates).toBe(1);
  });
});

describe('duplicates: final logs', () => {
  it('counts one per extra copy and lists at most five seqs', () => {
    const entries: [number, string, string][] = [3, 5, 8, 13, 21, 34, 55].map((seq) => [seq, 'u1', 'm1']);
    const h = stage()
      .finalRead('eu-west', 'c1', 28.5, ...entries)
      .end(30);
    const { r } = run(h.events);
    expect(r).toMatchObject({ duplicates: 6, sessionDuplicates: 0, logDuplicates: 6, logSeqCollisions: 0 });
    expect(r.examples).toEqual([
      {
        check: 'duplicates',
        message:
          'The final log of c1 in eu-west holds message m1 from u1 in c1 7 times, at seqs 3, 5, 8, 13, 21 and 2 more.',
        conv: 'c1',
        cmid: 'm1',
        from: 'u1',
        region: 'eu-west',
        t: 28.5,
      },
    ]);
  });

  it('lists all of up to five seqs of one message', () => {
    const h = stage()
      .finalRead(
        'us-east',
        'c1',
        29,
        [1, 'u2', 'm4'],
        [2, 'u2', 'm4'],
        [3, 'u1', 'm5'],
        [4, 'u2', 'm4'],
        [5, 'u2', 'm4'],
        [6, 'u2', 'm4'],
      )
      .end(30);
    const { r } = run(h.events);
    expect(r.logDuplicates).toBe(4);
    expect(r.examples.map((ex) => ex.message)).toEqual([
      'The final log of c1 in us-east holds message m4 from u2 in c1 5 times, at seqs 1, 2, 4, 5 and 6.',
    ]);
  });

  it('tells messages apart by sender as well as by cmid', () => {
    const h = stage()
      .finalRead('eu-west', 'c1', 29, [1, 'u1', 'm1'], [2, 'u2', 'm1'], [3, 'u3', 'm1'])
      .end(30);
    expect(run(h.events).r.duplicates).toBe(0);
  });

  it('counts one message listed twice at the same seq as a duplicate, not as a collision', () => {
    const h = stage().finalRead('eu-west', 'c1', 29, [1, 'u1', 'm1'], [1, 'u1', 'm1']).end(30);
    const { r } = run(h.events);
    expect(r).toMatchObject({ duplicates: 1, logDuplicates: 1, logSeqCollisions: 0 });
    expect(r.examples.map((ex) => ex.message)).toEqual([
      'The final log of c1 in eu-west holds message m1 from u1 in c1 2 times, at seqs 1 and 1.',
    ]);
  });

  it('counts one per extra message at a seq, naming the first three', () => {
    const h = stage()
      .finalRead(
        'us-east',
        'c1',
        27,
        [4, 'u1', 'a'],
        [4, 'u2', 'b'],
        [4, 'u3', 'c'],
        [4, 'u3', 'd'],
        [5, 'u1', 'e'],
        [6, 'u1', 'f'],
        [6, 'u2', 'g'],
      )
      .end(30);
    const { r } = run(h.events);
    expect(r).toMatchObject({ duplicates: 4, logDuplicates: 0, logSeqCollisions: 4 });
    expect(r.examples).toEqual([
      {
        check: 'duplicates',
        message:
          'The final log of c1 in us-east holds 4 messages at seq 4: a from u1, b from u2, c from u3 and 1 more.',
        conv: 'c1',
        region: 'us-east',
        t: 27,
      },
      {
        check: 'duplicates',
        message: 'The final log of c1 in us-east holds 2 messages at seq 6: f from u1 and g from u2.',
        conv: 'c1',
        region: 'us-east',
        t: 27,
      },
    ]);
  });

  it('judges each region’s log and each conversation on its own, tagging the metric by region', () => {
    const h = stage()
      .conv('c2', ['u1', 'u3'])
      .finalRead('eu-west', 'c1', 28, [1, 'u1', 'm1'], [2, 'u2', 'm2'])
      .finalRead('us-east', 'c1', 28, [1, 'u1', 'm1'], [2, 'u1', 'm1'])
      .finalRead('eu-west', 'c2', 28, [1, 'u3', 'm3'], [1, 'u1', 'm9'], [2, 'u3', 'm3'])
      .end(30);
    const { r, metrics } = run(h.events);
    expect(r).toMatchObject({ duplicates: 3, logDuplicates: 2, logSeqCollisions: 1 });
    expect(
      r.examples.map((ex) => [ex.conv, ex.region, ex.message.includes('times') ? 'copies' : 'seq']),
    ).toEqual([
      ['c1', 'us-east', 'copies'],
      ['c2', 'eu-west', 'copies'],
      ['c2', 'eu-west', 'seq'],
    ]);
    expect(byRegion(metrics)).toEqual([
      ['eu-west', 2],
      ['us-east', 1],
    ]);
  });

  it('ignores a final read that failed, whatever it lists', () => {
    const h = stage()
      .end(30)
      .failedRead('eu-west', 'c1', 29, 'timeout', [1, 'u1', 'm1'], [1, 'u2', 'm2'], [2, 'u1', 'm1']);
    const { r, metrics } = run(h.events);
    expect(r).toMatchObject({ duplicates: 0, examples: [] });
    expect(byRegion(metrics)).toEqual([]);
  });

  it('adds session repeats and log anomalies into one total and one metric per region', () => {
    const h = stage()
      .message('c1', 'u1', 'm1', 1, 1, ['u2'])
      .deliver('u2', 'c1', 'u1', 'm1', 1, 2)
      .finalRead('eu-west', 'c1', 29, [1, 'u1', 'm1'], [2, 'u1', 'm1'], [3, 'u2', 'm2'], [3, 'u3', 'm3'])
      .end(30);
    const { r, metrics } = run(h.events);
    expect(r).toMatchObject({ duplicates: 3, sessionDuplicates: 1, logDuplicates: 1, logSeqCollisions: 1 });
    expect(byRegion(metrics)).toEqual([['eu-west', 3]]);
    expect(total(metrics)).toBe(3);
  });
});

describe('duplicates: examples and reuse', () => {
  const busy = () =>
    stage()
      .message('c1', 'u1', 'm1', 1, 1, ['u2'])
      .deliver('u2', 'c1', 'u1', 'm1', 1, 2)
      .deliver('u2', 'c1', 'u1', 'm1', 1, 3)
      .finalRead('eu-west', 'c1', 29, [1, 'u1', 'm1'], [2, 'u1', 'm1'], [2, 'u2', 'm2'])
      .end(30);

  it('keeps the first maxExamples examples, session repeats first, while counting everything', () => {
    const { r, metrics } = run(busy().events, { maxExamples: 3 });
    expect(r).toMatchObject({ duplicates: 4, sessionDuplicates: 2, logDuplicates: 1, logSeqCollisions: 1 });
    expect(r.examples.map((ex) => ex.t)).toEqual([2, 3, 29]);
    expect(r.examples[2]!.message).toContain('2 times');
    expect(total(metrics)).toBe(4);
  });

  it('keeps only one session example when maxExamples is one', () => {
    const { r } = run(busy().events, { maxExamples: 1 });
    expect(r.duplicates).toBe(4);
    expect(r.examples.map((ex) => ex.t)).toEqual([2]);
  });

  it('keeps no examples when maxExamples is zero, and counts the same', () => {
    const { r, metrics } = run(busy().events, { maxExamples: 0 });
    expect(r).toMatchObject({ duplicates: 4, examples: [] });
    expect(total(metrics)).toBe(4);
  });

  it('gives the same verdict and metrics when a run is judged twice', () => {
    const model = createRunModel();
    const checker = createDuplicatesChecker(resolveCheckOptions({}));
    expect(checker.name).toBe('duplicates');
    for (const e of busy().events) {
      observe(model, e);
      checker.add(e, model);
    }
    const first = createMetricStore();
    const second = createMetricStore();
    const a = checker.finish(model, first);
    const b = checker.finish(model, second);
    expect(b).toEqual(a);
    expect(a.examples).toHaveLength(4);
    expect(byRegion(second)).toEqual(byRegion(first));
    expect(byRegion(second)).toEqual([['eu-west', 4]]);
  });
});
