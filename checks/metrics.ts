// The metrics thresholds are judged on, named the way users write them. Three kinds, as in k6:
// a trend (a distribution: avg, min, max, med, p(N), count), a counter (count, and rate = count
// per second of run) and a rate (the share of samples that were true). Samples carry a few
// low-cardinality tags (phase, region, fault) so a threshold can select a sub-metric such as
// `delivery_latency_ms{phase:fault}`; each tag combination keeps its own sink and a selection
// merges the matching ones.
//
// Trends can hold censored samples: observations that never finished before the observation
// window closed (a client that never recovered before the heal). They count, and they sit
// above every finite value, so a percentile that lands among them is +Infinity rather than
// being quietly dropped.
import { createHistogram, type Histogram, merge, percentile, record } from '../lib/histogram.ts';

export type MetricType = 'trend' | 'counter' | 'rate';
export type TagName = 'phase' | 'region' | 'fault';
export const TAG_NAMES: readonly TagName[] = ['phase', 'region', 'fault'];
export const PHASES = ['before', 'fault', 'after'] as const;
export type Phase = (typeof PHASES)[number];

export type Tags = Partial<Record<TagName, string>>;

export interface MetricDefinition {
  type: MetricType;
  description: string;
  /** Tags its samples carry, so a threshold filtering on another tag is an error, not a silent pass. */
  tags: readonly TagName[];
}

const PR: readonly TagName[] = ['phase', 'region'];

export const METRIC_CATALOGUE = {
  delivery_latency_ms: {
    type: 'trend',
    description:
      'intended send time → delivery to a member (coordinated-omission safe); region of the receiver',
    tags: PR,
  },
  delivery_latency_actual_ms: {
    type: 'trend',
    description: 'actual send time → delivery to a member; region of the receiver',
    tags: PR,
  },
  ack_latency_ms: {
    type: 'trend',
    description: 'intended send time → ack; region of the sender',
    tags: PR,
  },
  ack_latency_actual_ms: {
    type: 'trend',
    description: 'actual send time → ack; region of the sender',
    tags: PR,
  },
  failover_seconds: {
    type: 'trend',
    description:
      'per incident, impact → the client served again (a send acked and a new message received) while its faults were still active; incidents served only after the heal (rode out) are not samples; censored when never served again',
    tags: ['phase', 'region', 'fault'],
  },
  recovery_seconds: {
    type: 'trend',
    description:
      'per incident, impact → the client served again, during the faults or after them: how long users were without service; censored when never served again',
    tags: ['phase', 'region', 'fault'],
  },
  failover_rate: {
    type: 'rate',
    description:
      'incidents in which the client was served again while its faults were still active, of incidents that had something to measure',
    tags: ['phase', 'region', 'fault'],
  },
  convergence_seconds: {
    type: 'trend',
    description: 'heal → all allowed regions agree on a conversation; censored when never',
    tags: [],
  },
  send_error_rate: {
    type: 'rate',
    description: 'sends that failed or ended indeterminate, of sends with an outcome',
    tags: PR,
  },
  messages_sent: { type: 'counter', description: 'sends the load generator made', tags: PR },
  messages_acked: { type: 'counter', description: 'sends the system acknowledged', tags: PR },
  messages_delivered: {
    type: 'counter',
    description: 'first deliveries of a message to a user',
    tags: PR,
  },
  acked_lost: {
    type: 'counter',
    description:
      'acked messages missing from an allowed region’s final log or never delivered to an owed member',
    tags: ['phase'],
  },
  unexpected_messages: {
    type: 'counter',
    description: 'messages that appeared but were never sent',
    tags: [],
  },
  failed_but_appeared: {
    type: 'counter',
    description: 'messages whose send definitely failed that appeared anyway',
    tags: [],
  },
  duplicates: {
    type: 'counter',
    description: 'a session receiving one message twice, or a final log holding one message twice',
    tags: ['region'],
  },
  order_violations: {
    type: 'counter',
    description:
      'a receiver’s stream going backwards, or a sender’s later message ordered before an earlier one',
    tags: [],
  },
  divergent_conversations: {
    type: 'counter',
    description: 'conversations where one seq holds two messages or one message holds two seqs',
    tags: [],
  },
  unconverged_conversations: {
    type: 'counter',
    description: 'conversations whose regions never agreed after the heal',
    tags: [],
  },
  read_your_writes_violations: {
    type: 'counter',
    description: 'a sync that did not reflect the user’s own acked message',
    tags: [],
  },
  monotonic_read_violations: {
    type: 'counter',
    description: 'a sync reporting less than the user had already seen, with no reset',
    tags: [],
  },
  silent_gaps: {
    type: 'counter',
    description: 'missing runs of seqs a user skipped after reconnecting, with no reset covering them',
    tags: [],
  },
  residency_violations: {
    type: 'counter',
    description: 'copies of a residency-bound conversation’s messages in a region outside its set',
    tags: ['region'],
  },
  run_invalid: {
    type: 'counter',
    description: '1 when the load generator reported itself unhealthy (the run proves nothing)',
    tags: [],
  },
} as const satisfies Record<string, MetricDefinition>;

export type MetricName = keyof typeof METRIC_CATALOGUE;
export const METRIC_NAMES = Object.keys(METRIC_CATALOGUE) as MetricName[];

export function isMetricName(name: string): name is MetricName {
  return Object.hasOwn(METRIC_CATALOGUE, name);
}

export interface TrendSink {
  type: 'trend';
  hist: Histogram;
  censored: number;
}
export interface CounterSink {
  type: 'counter';
  value: number;
}
export interface RateSink {
  type: 'rate';
  trues: number;
  total: number;
}
export type Sink = TrendSink | CounterSink | RateSink;

interface TaggedSink {
  tags: Tags;
  sink: Sink;
}

export interface MetricStore {
  /** Run length, the denominator of a counter's `rate`. */
  durationMs: number;
  readonly metrics: Map<MetricName, Map<string, TaggedSink>>;
  /** So that JSON.stringify of a report renders the metrics as their summary, not empty Maps. */
  toJSON(): Record<string, MetricSummary>;
}

function emptySink(type: MetricType): Sink {
  if (type === 'trend') return { type, hist: createHistogram(), censored: 0 };
  if (type === 'counter') return { type, value: 0 };
  return { type, trues: 0, total: 0 };
}

export function createMetricStore(): MetricStore {
  const metrics = new Map<MetricName, Map<string, TaggedSink>>();
  for (const name of METRIC_NAMES) metrics.set(name, new Map());
  const store: MetricStore = {
    durationMs: 0,
    metrics,
    toJSON: () => summarizeMetrics(store),
  };
  return store;
}

function tagKey(tags: Tags): string {
  // join() writes an absent tag as ''.
  return [tags.phase, tags.region, tags.fault].join('\u0001');
}

function sinkFor(store: MetricStore, name: MetricName, tags: Tags): Sink {
  const byTags = store.metrics.get(name)!;
  const key = tagKey(tags);
  let entry = byTags.get(key);
  if (entry === undefined) {
    const clean: Tags = {};
    for (const tag of TAG_NAMES) if (tags[tag] !== undefined) clean[tag] = tags[tag];
    entry = { tags: clean, sink: emptySink(METRIC_CATALOGUE[name].type) };
    byTags.set(key, entry);
  }
  return entry.sink;
}

function wrongType(name: MetricName, wanted: MetricType): Error {
  return new Error(`metric ${name} is a ${METRIC_CATALOGUE[name].type}, not a ${wanted}`);
}

export function addTrend(store: MetricStore, name: MetricName, value: number, tags: Tags = {}): void {
  const sink = sinkFor(store, name, tags);
  if (sink.type !== 'trend') throw wrongType(name, 'trend');
  record(sink.hist, value);
}

/** Adds a histogram gathered elsewhere (checkers aggregate per tag set, then hand it over). */
export function addTrendHistogram(
  store: MetricStore,
  name: MetricName,
  hist: Histogram,
  tags: Tags = {},
): void {
  const sink = sinkFor(store, name, tags);
  if (sink.type !== 'trend') throw wrongType(name, 'trend');
  merge(sink.hist, hist);
}

export function addCensored(store: MetricStore, name: MetricName, count: number, tags: Tags = {}): void {
  const sink = sinkFor(store, name, tags);
  if (sink.type !== 'trend') throw wrongType(name, 'trend');
  sink.censored += count;
}

export function addCount(store: MetricStore, name: MetricName, n: number, tags: Tags = {}): void {
  const sink = sinkFor(store, name, tags);
  if (sink.type !== 'counter') throw wrongType(name, 'counter');
  sink.value += n;
}

export function addRate(
  store: MetricStore,
  name: MetricName,
  trues: number,
  total: number,
  tags: Tags = {},
): void {
  const sink = sinkFor(store, name, tags);
  if (sink.type !== 'rate') throw wrongType(name, 'rate');
  sink.trues += trues;
  sink.total += total;
}

/**
 * Whether a sample's tag matches a filter's value. The `fault` tag of a sample spanning several
 * faults lists their kinds joined with "+"; a filter naming any one of them matches it.
 */
export function tagMatches(tag: TagName, actual: string | undefined, wanted: string): boolean {
  if (actual === wanted) return true;
  return tag === 'fault' && actual !== undefined && actual.split('+').includes(wanted);
}

/** The merged sink of every tag set that matches `filter` (each of its tags, as tagMatches says). */
export function selectSink(store: MetricStore, name: MetricName, filter: Tags = {}): Sink {
  const merged = emptySink(METRIC_CATALOGUE[name].type);
  const wanted = Object.entries(filter) as [TagName, string][];
  for (const { tags, sink } of store.metrics.get(name)?.values() ?? []) {
    if (!wanted.every(([k, v]) => tagMatches(k, tags[k], v))) continue;
    // Every sink of a metric has the metric's type: sinkFor makes them all from the catalogue.
    if (merged.type === 'trend') {
      const from = sink as TrendSink;
      merge(merged.hist, from.hist);
      merged.censored += from.censored;
    } else if (merged.type === 'counter') {
      merged.value += (sink as CounterSink).value;
    } else {
      const from = sink as RateSink;
      merged.trues += from.trues;
      merged.total += from.total;
    }
  }
  return merged;
}

export function isEmptySink(sink: Sink): boolean {
  if (sink.type === 'trend') return sink.hist.count + sink.censored === 0;
  if (sink.type === 'counter') return sink.value === 0;
  return sink.total === 0;
}

export type Aggregation = 'avg' | 'min' | 'max' | 'med' | 'count' | 'rate' | { p: number };

export const AGGREGATIONS: Record<MetricType, readonly string[]> = {
  trend: ['avg', 'min', 'max', 'med', 'p(N)', 'count'],
  counter: ['count', 'rate'],
  rate: ['rate'],
};

export function supportsAggregation(type: MetricType, agg: Aggregation): boolean {
  const name = typeof agg === 'object' ? 'p(N)' : agg;
  return AGGREGATIONS[type].includes(name);
}

/**
 * A trend's percentile with censored samples ranked above every finite one: +Infinity when the
 * rank lands among them. Empty → 0, as k6 reports an empty trend at the end of a run.
 */
export function trendPercentile(sink: TrendSink, p: number): number {
  const finite = sink.hist.count;
  const total = finite + sink.censored;
  if (total === 0) return 0;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  if (rank > finite) return Number.POSITIVE_INFINITY;
  // Rescale so lib/histogram's own rank (ceil(p'/100 · finite)) comes out as `rank`.
  const scaled = Math.min(100, (rank / finite) * 100 - 1e-9);
  return percentile(sink.hist, scaled);
}

/**
 * One aggregation of a sink, k6's way: an empty trend gives 0 for every aggregation, an empty
 * rate gives 0, a counter's rate is per second of `durationMs`.
 */
export function aggregate(sink: Sink, agg: Aggregation, durationMs: number): number {
  if (sink.type === 'counter') {
    if (agg === 'count') return sink.value;
    return durationMs > 0 ? sink.value / (durationMs / 1000) : 0;
  }
  if (sink.type === 'rate') return sink.total === 0 ? 0 : sink.trues / sink.total;
  const h = sink.hist;
  const total = h.count + sink.censored;
  if (agg === 'count') return total;
  if (total === 0) return 0;
  if (typeof agg === 'object') return trendPercentile(sink, agg.p);
  switch (agg) {
    case 'med':
      return trendPercentile(sink, 50);
    case 'min':
      // With only censored samples the histogram is empty, and an empty histogram's min is +Infinity.
      return h.min;
    case 'max':
      return sink.censored > 0 ? Number.POSITIVE_INFINITY : h.max;
    case 'avg':
      return sink.censored > 0 ? Number.POSITIVE_INFINITY : h.sum / h.count;
    default:
      return Number.NaN;
  }
}

/** Turns ±Infinity and NaN into null: JSON has neither. */
export function jsonNumber(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

export interface MetricSummary {
  type: MetricType;
  description: string;
  values: Record<string, number | null>;
  /** The same values per tag combination, for reports that break a metric down. */
  tagged: { tags: Tags; values: Record<string, number | null> }[];
}

function sinkValues(sink: Sink, durationMs: number): Record<string, number | null> {
  if (sink.type === 'counter') {
    // Stryker disable next-line StringLiteral: aggregate() gives a counter's rate for every aggregation but 'count', so no other name changes the output
    return { count: sink.value, rate: jsonNumber(aggregate(sink, 'rate', durationMs)) };
  }
  if (sink.type === 'rate')
    // Stryker disable next-line StringLiteral: aggregate() gives a rate sink's share whatever the aggregation, so no other name changes the output
    return { rate: jsonNumber(aggregate(sink, 'rate', durationMs)), passes: sink.trues, total: sink.total };
  const values: Record<string, number | null> = {
    count: sink.hist.count + sink.censored,
    censored: sink.censored,
  };
  if (sink.hist.count + sink.censored === 0) {
    for (const k of ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)']) values[k] = null;
    return values;
  }
  values.avg = jsonNumber(aggregate(sink, 'avg', durationMs));
  values.min = jsonNumber(aggregate(sink, 'min', durationMs));
  values.med = jsonNumber(aggregate(sink, 'med', durationMs));
  values.max = jsonNumber(aggregate(sink, 'max', durationMs));
  for (const p of [90, 95, 99]) values[`p(${p})`] = jsonNumber(aggregate(sink, { p }, durationMs));
  return values;
}

/** A JSON-safe summary of every metric, in the spirit of k6's end-of-test summary. */
export function summarizeMetrics(store: MetricStore): Record<string, MetricSummary> {
  const out: Record<string, MetricSummary> = {};
  for (const name of METRIC_NAMES) {
    const def = METRIC_CATALOGUE[name];
    const tagged = [...(store.metrics.get(name)?.values() ?? [])]
      .filter((entry) => Object.keys(entry.tags).length > 0)
      .map((entry) => ({ tags: entry.tags, values: sinkValues(entry.sink, store.durationMs) }));
    out[name] = {
      type: def.type,
      description: def.description,
      values: sinkValues(selectSink(store, name), store.durationMs),
      tagged,
    };
  }
  return out;
}
