// A mergeable latency histogram in the spirit of HdrHistogram: values are counted in buckets
// whose width grows with the value, so any percentile is known to within about 1% and
// histograms from several workers or seconds add up exactly. Min, max, count and sum are exact.

/** Relative bucket width: 1% keeps p99 honest while a whole run fits in a few hundred buckets. */
const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
/** Values below this (in the recorded unit, usually ms) share bucket 0. */
const FLOOR = 0.001;

export interface Histogram {
  count: number;
  sum: number;
  min: number;
  max: number;
  /** Bucket index → count. */
  buckets: Map<number, number>;
}

export interface HistogramSummary {
  count: number;
  min: number;
  max: number;
  avg: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
}

export function createHistogram(): Histogram {
  return {
    count: 0,
    sum: 0,
    min: Number.POSITIVE_INFINITY,
    max: Number.NEGATIVE_INFINITY,
    buckets: new Map(),
  };
}

function bucketOf(value: number): number {
  return value <= FLOOR ? 0 : 1 + Math.floor(Math.log(value / FLOOR) / LOG_GROWTH);
}

/** The upper edge of a bucket: reporting the edge never under-states a latency. */
function bucketUpperEdge(bucket: number): number {
  return bucket === 0 ? FLOOR : FLOOR * GROWTH ** bucket;
}

export function record(h: Histogram, value: number, times = 1): void {
  if (!Number.isFinite(value) || times <= 0) return;
  const v = Math.max(0, value);
  const b = bucketOf(v);
  h.buckets.set(b, (h.buckets.get(b) ?? 0) + times);
  h.count += times;
  h.sum += v * times;
  if (v < h.min) h.min = v;
  if (v > h.max) h.max = v;
}

export function merge(into: Histogram, from: Histogram): Histogram {
  for (const [b, n] of from.buckets) into.buckets.set(b, (into.buckets.get(b) ?? 0) + n);
  into.count += from.count;
  into.sum += from.sum;
  if (from.min < into.min) into.min = from.min;
  if (from.max > into.max) into.max = from.max;
  return into;
}

/** The value at percentile p (0–100), clamped to the exact min and max; NaN when empty. */
export function percentile(h: Histogram, p: number): number {
  if (h.count === 0) return Number.NaN;
  if (p <= 0) return h.min;
  if (p >= 100) return h.max;
  const rank = Math.ceil((p / 100) * h.count);
  const keys = [...h.buckets.keys()].sort((a, b) => a - b);
  let seen = 0;
  for (const k of keys) {
    seen += h.buckets.get(k) ?? 0;
    if (seen >= rank) return Math.min(h.max, Math.max(h.min, bucketUpperEdge(k)));
  }
  return h.max;
}

export function summarize(h: Histogram): HistogramSummary {
  const empty = h.count === 0;
  return {
    count: h.count,
    min: empty ? Number.NaN : h.min,
    max: empty ? Number.NaN : h.max,
    avg: empty ? Number.NaN : h.sum / h.count,
    p50: percentile(h, 50),
    p90: percentile(h, 90),
    p95: percentile(h, 95),
    p99: percentile(h, 99),
  };
}

/** A JSON-safe form, for run files and reports. */
export function toJSON(h: Histogram): {
  count: number;
  sum: number;
  min: number;
  max: number;
  buckets: [number, number][];
} {
  return { count: h.count, sum: h.sum, min: h.min, max: h.max, buckets: [...h.buckets.entries()] };
}

export function fromJSON(data: ReturnType<typeof toJSON>): Histogram {
  return { count: data.count, sum: data.sum, min: data.min, max: data.max, buckets: new Map(data.buckets) };
}
