// The metric store thresholds are judged on: every metric's kind and tags as users write them,
// one sink per tag combination merged by a selection, k6's aggregations (empty metrics read as
// zeros, a counter's rate per second of run), censored trend samples ranked above every finite
// one, and the JSON summary a report prints.
import { describe, expect, it } from 'vitest';
import {
  AGGREGATIONS,
  type Aggregation,
  addCensored,
  addCount,
  addRate,
  addTrend,
  addTrendHistogram,
  aggregate,
  createMetricStore,
  isEmptySink,
  isMetricName,
  jsonNumber,
  METRIC_CATALOGUE,
  METRIC_NAMES,
  type MetricStore,
  type MetricType,
  PHASES,
  type Sink,
  selectSink,
  summarizeMetrics,
  supportsAggregation,
  TAG_NAMES,
  type Tags,
  type TrendSink,
  tagMatches,
  trendPercentile,
} from '../../checks/metrics.ts';
import { createHistogram, record } from '../../lib/histogram.ts';

const INF = Number.POSITIVE_INFINITY;

/** A histogram reports a bucket's upper edge clamped to min and max: within 1% above the value. */
function expectNear(actual: number, value: number): void {
  expect(actual).toBeGreaterThanOrEqual(value);
  expect(actual).toBeLessThanOrEqual(value * 1.01);
}

function trend(values: number[], censored = 0): TrendSink {
  const hist = createHistogram();
  for (const v of values) record(hist, v);
  return { type: 'trend', hist, censored };
}

const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('the metric catalogue', () => {
  it('gives each metric the kind and the tags users filter on', () => {
    const shape = Object.fromEntries(
      METRIC_NAMES.map((name) => [name, [METRIC_CATALOGUE[name].type, [...METRIC_CATALOGUE[name].tags]]]),
    );
    const pr = ['phase', 'region'];
    const all = ['phase', 'region', 'fault'];
    expect(shape).toEqual({
      delivery_latency_ms: ['trend', pr],
      delivery_latency_actual_ms: ['trend', pr],
      ack_latency_ms: ['trend', pr],
      ack_latency_actual_ms: ['trend', pr],
      failover_seconds: ['trend', all],
      recovery_seconds: ['trend', all],
      failover_rate: ['rate', all],
      convergence_seconds: ['trend', []],
      send_error_rate: ['rate', pr],
      messages_sent: ['counter', pr],
      messages_acked: ['counter', pr],
      messages_delivered: ['counter', pr],
      acked_lost: ['counter', ['phase']],
      unexpected_messages: ['counter', []],
      failed_but_appeared: ['counter', []],
      duplicates: ['counter', ['region']],
      order_violations: ['counter', []],
      divergent_conversations: ['counter', []],
      unconverged_conversations: ['counter', []],
      read_your_writes_violations: ['counter', []],
      monotonic_read_violations: ['counter', []],
      silent_gaps: ['counter', []],
      residency_violations: ['counter', ['region']],
      run_invalid: ['counter', []],
    });
  });

  it('describes every metric in words, for the end-of-run summary', () => {
    for (const name of METRIC_NAMES) {
      expect(METRIC_CATALOGUE[name].description.length, name).toBeGreaterThan(20);
    }
    expect(METRIC_CATALOGUE.messages_sent.description).toBe('sends the load generator made');
  });

  it('names the tags and phases a filter may use', () => {
    expect(TAG_NAMES).toEqual(['phase', 'region', 'fault']);
    expect(PHASES).toEqual(['before', 'fault', 'after']);
  });

  it('knows its own metric names and nothing inherited from Object', () => {
    expect(isMetricName('delivery_latency_ms')).toBe(true);
    expect(isMetricName('run_invalid')).toBe(true);
    expect(isMetricName('delivery_latency')).toBe(false);
    expect(isMetricName('toString')).toBe(false);
    expect(isMetricName('hasOwnProperty')).toBe(false);
  });

  it('lists the aggregations each kind of metric supports', () => {
    expect(AGGREGATIONS).toEqual({
      trend: ['avg', 'min', 'max', 'med', 'p(N)', 'count'],
      counter: ['count', 'rate'],
      rate: ['rate'],
    });
    const all: Aggregation[] = ['avg', 'min', 'max', 'med', 'count', 'rate', { p: 99 }];
    const supported = (type: MetricType) =>
      all.filter((a) => supportsAggregation(type, a)).map((a) => (typeof a === 'object' ? 'p' : a));
    expect(supported('trend')).toEqual(['avg', 'min', 'max', 'med', 'count', 'p']);
    expect(supported('counter')).toEqual(['count', 'rate']);
    expect(supported('rate')).toEqual(['rate']);
  });
});

describe('recording samples', () => {
  it('starts with an empty sink map for every metric and a zero duration', () => {
    const s = createMetricStore();
    expect(s.durationMs).toBe(0);
    expect([...s.metrics.keys()]).toEqual(METRIC_NAMES);
    for (const byTags of s.metrics.values()) expect(byTags.size).toBe(0);
  });

  it('keeps one sink per tag combination and adds up what each receives', () => {
    const s = createMetricStore();
    addCount(s, 'messages_sent', 3, { phase: 'before', region: 'eu-west' });
    addCount(s, 'messages_sent', 4, { phase: 'before', region: 'eu-west' });
    addCount(s, 'messages_sent', 5, { phase: 'fault', region: 'eu-west' });
    addCount(s, 'messages_sent', 6, { phase: 'fault' });
    addCount(s, 'messages_sent', 1);
    const sinks = [...s.metrics.get('messages_sent')!.values()];
    expect(sinks).toStrictEqual([
      { tags: { phase: 'before', region: 'eu-west' }, sink: { type: 'counter', value: 7 } },
      { tags: { phase: 'fault', region: 'eu-west' }, sink: { type: 'counter', value: 5 } },
      { tags: { phase: 'fault' }, sink: { type: 'counter', value: 6 } },
      { tags: {}, sink: { type: 'counter', value: 1 } },
    ]);
  });

  it('never merges tag sets that spell the same value under different tags', () => {
    const s = createMetricStore();
    addCount(s, 'duplicates', 1, { region: 'x' });
    addRate(s, 'failover_rate', 1, 1, { phase: 'fault' });
    addRate(s, 'failover_rate', 0, 1, { region: 'fault' });
    addRate(s, 'failover_rate', 0, 1, { fault: 'fault' });
    addRate(s, 'failover_rate', 0, 1, { phase: 'fault', region: 'eu-west' });
    addRate(s, 'failover_rate', 0, 1, { phase: 'faulteu-west' });
    expect([...s.metrics.get('failover_rate')!.values()].map((e) => e.tags)).toStrictEqual([
      { phase: 'fault' },
      { region: 'fault' },
      { fault: 'fault' },
      { phase: 'fault', region: 'eu-west' },
      { phase: 'faulteu-west' },
    ]);
  });

  it('keeps its own copy of only the known tags, not the caller’s object', () => {
    const s = createMetricStore();
    const tags = { region: 'eu-west', user: 'u1' } as Tags;
    addCount(s, 'duplicates', 2, tags);
    tags.region = 'us-east';
    const [entry] = [...s.metrics.get('duplicates')!.values()];
    expect(entry!.tags).toStrictEqual({ region: 'eu-west' });
  });

  it('adds trend samples one at a time, as gathered histograms and as censored counts', () => {
    const s = createMetricStore();
    const tags = { phase: 'fault' as const, fault: 'regionOutage' };
    addTrend(s, 'failover_seconds', 2, tags);
    const gathered = createHistogram();
    record(gathered, 4);
    record(gathered, 6);
    addTrendHistogram(s, 'failover_seconds', gathered, tags);
    addCensored(s, 'failover_seconds', 2, tags);
    addCensored(s, 'failover_seconds', 1, tags);
    const sink = selectSink(s, 'failover_seconds') as TrendSink;
    expect(sink.hist).toMatchObject({ count: 3, sum: 12, min: 2, max: 6 });
    expect(sink.censored).toBe(3);
    expect(gathered.count).toBe(2);
  });

  it('adds a rate’s trues and totals', () => {
    const s = createMetricStore();
    addRate(s, 'send_error_rate', 1, 4);
    addRate(s, 'send_error_rate', 2, 6);
    expect(selectSink(s, 'send_error_rate')).toStrictEqual({ type: 'rate', trues: 3, total: 10 });
  });

  it('refuses a sample of the wrong kind with an Error naming the metric and both kinds', () => {
    const s = createMetricStore();
    const refusal = (add: () => void): string => {
      try {
        add();
      } catch (error) {
        expect(error).toBeInstanceOf(Error);
        return (error as Error).message;
      }
      return 'accepted';
    };
    expect(refusal(() => addTrend(s, 'messages_sent', 1))).toBe(
      'metric messages_sent is a counter, not a trend',
    );
    expect(refusal(() => addTrendHistogram(s, 'send_error_rate', createHistogram()))).toBe(
      'metric send_error_rate is a rate, not a trend',
    );
    expect(refusal(() => addCensored(s, 'acked_lost', 1))).toBe(
      'metric acked_lost is a counter, not a trend',
    );
    expect(refusal(() => addCount(s, 'delivery_latency_ms', 1))).toBe(
      'metric delivery_latency_ms is a trend, not a counter',
    );
    expect(refusal(() => addRate(s, 'messages_sent', 1, 1))).toBe(
      'metric messages_sent is a counter, not a rate',
    );
    expect(selectSink(s, 'messages_sent')).toStrictEqual({ type: 'counter', value: 0 });
    expect(selectSink(s, 'delivery_latency_ms')).toMatchObject({ censored: 0, hist: { count: 0 } });
  });
});

describe('selecting sub-metrics by tag', () => {
  function latencies(): MetricStore {
    const s = createMetricStore();
    addTrend(s, 'delivery_latency_ms', 10, { phase: 'before', region: 'eu-west' });
    addTrend(s, 'delivery_latency_ms', 20, { phase: 'fault', region: 'eu-west' });
    addTrend(s, 'delivery_latency_ms', 30, { phase: 'fault', region: 'us-east' });
    addTrend(s, 'delivery_latency_ms', 40);
    return s;
  }
  const sumOf = (s: MetricStore, filter: Tags) =>
    (selectSink(s, 'delivery_latency_ms', filter) as TrendSink).hist.sum;

  it('merges every tag set that matches each tag of the filter', () => {
    const s = latencies();
    expect(sumOf(s, {})).toBe(100);
    expect(sumOf(s, { phase: 'fault' })).toBe(50);
    expect(sumOf(s, { region: 'eu-west' })).toBe(30);
    expect(sumOf(s, { phase: 'fault', region: 'eu-west' })).toBe(20);
    expect(sumOf(s, { phase: 'after' })).toBe(0);
    expect(sumOf(s, { phase: 'before', region: 'us-east' })).toBe(0);
  });

  it('merges counters, rates and censored counts alike', () => {
    const s = createMetricStore();
    addCount(s, 'messages_acked', 2, { region: 'eu-west' });
    addCount(s, 'messages_acked', 3, { region: 'us-east' });
    addRate(s, 'send_error_rate', 1, 2, { region: 'eu-west' });
    addRate(s, 'send_error_rate', 0, 3, { region: 'us-east' });
    addCensored(s, 'recovery_seconds', 1, { region: 'eu-west' });
    addCensored(s, 'recovery_seconds', 2, { region: 'us-east' });
    expect(selectSink(s, 'messages_acked')).toStrictEqual({ type: 'counter', value: 5 });
    expect(selectSink(s, 'send_error_rate')).toStrictEqual({ type: 'rate', trues: 1, total: 5 });
    expect((selectSink(s, 'recovery_seconds') as TrendSink).censored).toBe(3);
    expect(selectSink(s, 'messages_acked', { region: 'us-east' })).toStrictEqual({
      type: 'counter',
      value: 3,
    });
  });

  it('lets a fault filter match any one kind of a sample spanning several faults', () => {
    expect(tagMatches('fault', 'regionOutage+partition', 'partition')).toBe(true);
    expect(tagMatches('fault', 'regionOutage+partition', 'regionOutage')).toBe(true);
    expect(tagMatches('fault', 'regionOutage+partition', 'regionOutage+partition')).toBe(true);
    expect(tagMatches('fault', 'regionOutage+partition', 'region')).toBe(false);
    expect(tagMatches('fault', 'partition', 'partition')).toBe(true);
    expect(tagMatches('fault', undefined, 'partition')).toBe(false);
    expect(tagMatches('region', 'eu-west+us-east', 'eu-west')).toBe(false);
    expect(tagMatches('phase', 'fault', 'fault')).toBe(true);
    expect(tagMatches('phase', 'before', 'fault')).toBe(false);
    expect(tagMatches('region', undefined, 'eu-west')).toBe(false);

    const s = createMetricStore();
    addTrend(s, 'recovery_seconds', 3, { fault: 'regionOutage+partition' });
    addTrend(s, 'recovery_seconds', 5, { fault: 'partition' });
    addTrend(s, 'recovery_seconds', 7);
    const hist = (fault: string) => (selectSink(s, 'recovery_seconds', { fault }) as TrendSink).hist;
    expect(hist('partition')).toMatchObject({ count: 2, sum: 8 });
    expect(hist('regionOutage')).toMatchObject({ count: 1, sum: 3 });
    expect(hist('latency').count).toBe(0);
  });

  it('reads a metric the store holds no sinks for as empty', () => {
    const bare: MetricStore = { durationMs: 0, metrics: new Map(), toJSON: () => ({}) };
    expect(selectSink(bare, 'acked_lost')).toStrictEqual({ type: 'counter', value: 0 });
    expect(summarizeMetrics(bare).acked_lost).toStrictEqual({
      type: 'counter',
      description: METRIC_CATALOGUE.acked_lost.description,
      values: { count: 0, rate: 0 },
      tagged: [],
    });
  });
});

describe('emptiness', () => {
  it('calls a sink empty only when it holds no sample at all', () => {
    expect(isEmptySink(trend([]))).toBe(true);
    expect(isEmptySink(trend([5]))).toBe(false);
    expect(isEmptySink(trend([], 1))).toBe(false);
    expect(isEmptySink(trend([5], 1))).toBe(false);
    expect(isEmptySink({ type: 'counter', value: 0 })).toBe(true);
    expect(isEmptySink({ type: 'counter', value: 2 })).toBe(false);
    expect(isEmptySink({ type: 'rate', trues: 0, total: 0 })).toBe(true);
    expect(isEmptySink({ type: 'rate', trues: 0, total: 3 })).toBe(false);
  });
});

describe('aggregations', () => {
  const agg = (sink: Sink, a: Aggregation, durationMs = 10_000) => aggregate(sink, a, durationMs);

  it('gives a counter’s count, and its rate per second of the duration', () => {
    const c: Sink = { type: 'counter', value: 30 };
    expect(agg(c, 'count')).toBe(30);
    expect(agg(c, 'rate', 10_000)).toBe(3);
    expect(agg(c, 'rate', 500)).toBe(60);
    expect(agg(c, 'rate', 0)).toBe(0);
    expect(agg({ type: 'counter', value: 0 }, 'rate', 10_000)).toBe(0);
  });

  it('gives a rate’s share of trues, and 0 when it has no samples', () => {
    expect(agg({ type: 'rate', trues: 1, total: 4 }, 'rate')).toBe(0.25);
    expect(agg({ type: 'rate', trues: 0, total: 0 }, 'rate')).toBe(0);
  });

  it('gives a trend’s exact count, min, max and average', () => {
    const t = trend([4, 6, 8, 14]);
    expect(agg(t, 'count')).toBe(4);
    expect(agg(t, 'min')).toBe(4);
    expect(agg(t, 'max')).toBe(14);
    expect(agg(t, 'avg')).toBe(8);
  });

  it('gives a trend’s median and percentiles by rank, over a hundred values', () => {
    const t = trend(range(1, 100));
    expectNear(agg(t, 'med'), 50);
    expectNear(agg(t, { p: 90 }), 90);
    expectNear(agg(t, { p: 25 }), 25);
    expect(agg(t, { p: 99 })).toBeLessThan(agg(t, { p: 100 }));
    expect(agg(t, { p: 100 })).toBe(100);
    expectNear(agg(t, { p: 0 }), 1);
  });

  it('reads an empty trend as zeros, as k6 reports it at the end of a run', () => {
    const t = trend([]);
    for (const a of ['avg', 'min', 'max', 'med', 'count', { p: 99 }, { p: 0 }] as Aggregation[]) {
      expect(agg(t, a)).toBe(0);
    }
  });

  it('counts censored samples and ranks them above every finite value', () => {
    const t = trend([2, 4], 2);
    expect(agg(t, 'count')).toBe(4);
    expect(agg(t, 'min')).toBe(2);
    expect(agg(t, 'max')).toBe(INF);
    expect(agg(t, 'avg')).toBe(INF);
    expectNear(agg(t, 'med'), 4);
    expect(agg(t, { p: 51 })).toBe(INF);
    expectNear(agg(t, { p: 25 }), 2);
  });

  it('makes every aggregation of a trend holding only censored samples infinite', () => {
    const t = trend([], 3);
    expect(agg(t, 'count')).toBe(3);
    for (const a of ['min', 'max', 'avg', 'med', { p: 0 }, { p: 99 }] as Aggregation[]) {
      expect(agg(t, a)).toBe(INF);
    }
  });

  it('answers NaN for an aggregation a trend does not support, which no comparison but != passes', () => {
    expect(agg(trend([1, 2]), 'rate')).toBeNaN();
  });
});

describe('percentiles with censored samples', () => {
  it('lands on the rank among all samples, finite ones first', () => {
    // 100 finite values 1..100 and 100 censored: p(N) of the 200 is p(2N) of the finite ones.
    const t = trend(range(1, 100), 100);
    expectNear(trendPercentile(t, 25), 50);
    expectNear(trendPercentile(t, 10), 20);
    expect(trendPercentile(t, 50)).toBe(100);
    expect(trendPercentile(t, 50.5)).toBe(INF);
    expectNear(trendPercentile(t, 0), 1);
    expectNear(trendPercentile(t, 0.1), 1);
  });

  it('rounds the rank up, so a fraction of a sample already counts as the next one', () => {
    // 3 finite values, 1 censored: p(75) is rank 3 (finite), p(76) rank ceil(3.04) = 4 (censored).
    const t = trend([10, 20, 30], 1);
    expect(trendPercentile(t, 75)).toBe(30);
    expect(trendPercentile(t, 76)).toBe(INF);
    expectNear(trendPercentile(t, 26), 20);
    expectNear(trendPercentile(t, 25), 10);
  });

  it('is the plain percentile when nothing is censored, and 0 when there is no sample', () => {
    const t = trend(range(1, 100));
    expectNear(trendPercentile(t, 50), 50);
    expectNear(trendPercentile(t, 99), 99);
    expect(trendPercentile(trend([]), 50)).toBe(0);
    expect(trendPercentile(trend([], 1), 0)).toBe(INF);
  });
});

describe('the JSON summary', () => {
  it('turns infinities and NaN into null and keeps finite numbers', () => {
    expect(jsonNumber(INF)).toBeNull();
    expect(jsonNumber(Number.NEGATIVE_INFINITY)).toBeNull();
    expect(jsonNumber(Number.NaN)).toBeNull();
    expect(jsonNumber(0)).toBe(0);
    expect(jsonNumber(-2.5)).toBe(-2.5);
  });

  function filled(): MetricStore {
    const s = createMetricStore();
    s.durationMs = 4000;
    addCount(s, 'messages_sent', 6, { phase: 'before', region: 'eu-west' });
    addCount(s, 'messages_sent', 2, { phase: 'fault', region: 'us-east' });
    addRate(s, 'send_error_rate', 1, 4, { phase: 'fault', region: 'us-east' });
    for (const v of [10, 20, 30, 40])
      addTrend(s, 'ack_latency_ms', v, { phase: 'before', region: 'eu-west' });
    addTrend(s, 'recovery_seconds', 3, { fault: 'regionOutage' });
    addCensored(s, 'recovery_seconds', 1, { fault: 'partition' });
    addCount(s, 'acked_lost', 0);
    return s;
  }

  it('summarises a counter’s count and rate, in total and per tag set', () => {
    const summary = summarizeMetrics(filled());
    expect(summary.messages_sent).toStrictEqual({
      type: 'counter',
      description: 'sends the load generator made',
      values: { count: 8, rate: 2 },
      tagged: [
        { tags: { phase: 'before', region: 'eu-west' }, values: { count: 6, rate: 1.5 } },
        { tags: { phase: 'fault', region: 'us-east' }, values: { count: 2, rate: 0.5 } },
      ],
    });
  });

  it('leaves an untagged sink out of the per-tag breakdown', () => {
    const summary = summarizeMetrics(filled());
    expect(summary.acked_lost!.values).toStrictEqual({ count: 0, rate: 0 });
    expect(summary.acked_lost!.tagged).toStrictEqual([]);
  });

  it('summarises a rate’s share, passes and total', () => {
    expect(summarizeMetrics(filled()).send_error_rate!.values).toStrictEqual({
      rate: 0.25,
      passes: 1,
      total: 4,
    });
  });

  it('summarises a trend’s count, censored, average, extremes and percentiles', () => {
    const values = summarizeMetrics(filled()).ack_latency_ms!.values;
    expect(Object.keys(values)).toEqual([
      'count',
      'censored',
      'avg',
      'min',
      'med',
      'max',
      'p(90)',
      'p(95)',
      'p(99)',
    ]);
    expect(values).toMatchObject({
      count: 4,
      censored: 0,
      avg: 25,
      min: 10,
      max: 40,
      'p(90)': 40,
      'p(99)': 40,
    });
    expectNear(values.med!, 20);
    expect(values['p(95)']).toBe(40);
  });

  it('writes null for what censored samples make infinite, and for an empty trend', () => {
    const summary = summarizeMetrics(filled());
    expect(summary.recovery_seconds!.values).toStrictEqual({
      count: 2,
      censored: 1,
      avg: null,
      min: 3,
      med: 3,
      max: null,
      'p(90)': null,
      'p(95)': null,
      'p(99)': null,
    });
    expect(summary.recovery_seconds!.tagged.map((t) => [t.tags, t.values.count, t.values.max])).toStrictEqual(
      [
        [{ fault: 'regionOutage' }, 1, 3],
        [{ fault: 'partition' }, 1, null],
      ],
    );
    expect(summary.convergence_seconds!.values).toStrictEqual({
      count: 0,
      censored: 0,
      avg: null,
      min: null,
      med: null,
      max: null,
      'p(90)': null,
      'p(95)': null,
      'p(99)': null,
    });
  });

  it('covers every metric, and is what JSON.stringify prints for the store', () => {
    const s = filled();
    const summary = summarizeMetrics(s);
    expect(Object.keys(summary)).toEqual(METRIC_NAMES);
    for (const name of METRIC_NAMES) {
      expect(summary[name]!.type).toBe(METRIC_CATALOGUE[name].type);
      expect(summary[name]!.description).toBe(METRIC_CATALOGUE[name].description);
    }
    expect(JSON.parse(JSON.stringify(s))).toStrictEqual(JSON.parse(JSON.stringify(summary)));
    expect(JSON.parse(JSON.stringify({ metrics: s })).metrics.messages_sent.values).toStrictEqual({
      count: 8,
      rate: 2,
    });
  });

  it('gives a counter’s rate as 0 while the run has no duration', () => {
    const s = filled();
    s.durationMs = 0;
    expect(summarizeMetrics(s).messages_sent!.values).toStrictEqual({ count: 8, rate: 0 });
  });
});
