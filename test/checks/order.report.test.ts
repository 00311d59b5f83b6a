// What the order checker hands on: the metrics thresholds are judged on, the example lists and
// their limits, and a finish() that can be called again without changing its answer.
import { describe, expect, it } from 'vitest';
import { createMetricStore, type MetricName, type MetricStore, selectSink } from '../../checks/metrics.ts';
import { createRunModel, ingest, observe, type RunModel } from '../../checks/model.ts';
import { createOrderChecker, type OrderResult } from '../../checks/order.ts';
import { type Checker, resolveCheckOptions } from '../../checks/result.ts';
import type { HistoryEvent } from '../../contracts/history.ts';
import { stage } from './fixtures.ts';

function feed(
  events: HistoryEvent[],
  maxExamples?: number,
): { checker: Checker<OrderResult>; model: RunModel } {
  const model = createRunModel();
  const checker = createOrderChecker(resolveCheckOptions(maxExamples === undefined ? {} : { maxExamples }));
  for (const raw of events) {
    const e = ingest(model, raw);
    if (e === undefined) continue;
    observe(model, e);
    checker.add(e, model);
  }
  return { checker, model };
}

function count(metrics: MetricStore, name: MetricName): number {
  const sink = selectSink(metrics, name);
  if (sink.type !== 'counter') throw new Error(`${name} is not a counter`);
  return sink.value;
}

/** c1 diverges (m1 at two seqs); c2 has a receiver inversion and a sender inversion. */
function mixed(): HistoryEvent[] {
  return stage()
    .conv('c2', ['u1', 'u2'])
    .message('c1', 'u1', 'm1', 1, 1, [])
    .deliver('u3', 'c1', 'u1', 'm1', 2, 1.5)
    .acked('u1', 'c2', 'n1', 2, 5, 2.1)
    .acked('u1', 'c2', 'n2', 3, 4, 3.1)
    .deliver('u2', 'c2', 'u1', 'n1', 5, 3.2)
    .deliver('u2', 'c2', 'u1', 'n2', 4, 3.3)
    .end(30).events;
}

describe('order: report', () => {
  it('reports under the name order', () => {
    expect(createOrderChecker(resolveCheckOptions()).name).toBe('order');
  });

  it('records order violations and divergent conversations as counters', () => {
    const { checker, model } = feed(mixed());
    const metrics = createMetricStore();
    const r = checker.finish(model, metrics);
    expect(r).toMatchObject({
      orderViolations: 2,
      receiverInversions: 1,
      senderInversions: 1,
      divergentConversations: 1,
      seqConflicts: 1,
    });
    expect(count(metrics, 'order_violations')).toBe(2);
    expect(count(metrics, 'divergent_conversations')).toBe(1);
  });

  it('records zero counters for a clean history', () => {
    const { checker, model } = feed(stage().message('c1', 'u1', 'm1', 1, 1, ['u2']).end(30).events);
    const metrics = createMetricStore();
    checker.finish(model, metrics);
    expect(count(metrics, 'order_violations')).toBe(0);
    expect(count(metrics, 'divergent_conversations')).toBe(0);
  });

  it('lists divergence first, then receiver, then sender examples', () => {
    const { checker, model } = feed(mixed());
    const r = checker.finish(model, createMetricStore());
    expect(r.examples.map((e) => [e.check, e.conv, e.cmid, e.t])).toEqual([
      ['divergence', 'c1', 'm1', 1.5],
      ['order', 'c2', 'n2', 3.3],
      ['order', 'c2', 'n2', 3],
    ]);
  });

  it('gives the same answer when finish is called again', () => {
    const { checker, model } = feed(mixed());
    const first = checker.finish(model, createMetricStore());
    const again = checker.finish(model, createMetricStore());
    expect(again).toEqual(first);
    expect(again.examples).toHaveLength(3);
  });

  it('leaves the final reads in the run model as they were, for the checkers after it', () => {
    const { checker, model } = feed(
      stage()
        .message('c1', 'u1', 'm1', 1, 1, [])
        .message('c1', 'u1', 'm2', 2, 2, [])
        .finalRead('eu-west', 'c1', 29, [2, 'u1', 'm2'], [1, 'u1', 'm1'])
        .finalRead('us-east', 'c1', 29, [3, 'u1', 'm1'])
        .end(30).events,
    );
    expect(checker.finish(model, createMetricStore()).divergentConversations).toBe(1);
    const read = model.finalReads.get('c1')!.get('eu-west')!;
    expect(read.messages.map((m) => m.cmid)).toEqual(['m2', 'm1']);
    expect(read.records.map((m) => m?.cmid)).toEqual(['m2', 'm1']);
  });

  it('keeps at most maxExamples divergence examples and as many order examples', () => {
    const events = stage()
      .conv('c2', ['u1', 'u2'])
      .message('c1', 'u1', 'm1', 1, 1, [])
      .deliver('u3', 'c1', 'u1', 'm1', 2, 1.5)
      .message('c2', 'u1', 'n1', 1, 2, [])
      .deliver('u2', 'c2', 'u1', 'n1', 3, 2.5)
      .message('c1', 'u1', 'm2', 5, 3, [])
      .message('c1', 'u1', 'm3', 6, 4, [])
      .deliver('u2', 'c1', 'u1', 'm3', 6, 4.1)
      .deliver('u2', 'c1', 'u1', 'm2', 5, 4.2)
      .end(30).events;
    const one = feed(events, 1);
    const r = one.checker.finish(one.model, createMetricStore());
    expect(r).toMatchObject({ divergentConversations: 2, receiverInversions: 1 });
    expect(r.examples.map((e) => [e.check, e.conv])).toEqual([
      ['divergence', 'c1'],
      ['order', 'c1'],
    ]);
    const none = feed(events, 0);
    const metrics = createMetricStore();
    expect(none.checker.finish(none.model, metrics)).toMatchObject({
      divergentConversations: 2,
      receiverInversions: 1,
      examples: [],
    });
    expect(count(metrics, 'divergent_conversations')).toBe(2);
  });
});
