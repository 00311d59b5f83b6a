// The charts' time axis: the run cut into buckets of whole seconds (wider for long runs, so a
// chart has at most maxPoints of them), and the per-second counters, latency histograms and
// open-connection snapshots summed into those buckets.
import { createHistogram, merge } from '../../lib/histogram.ts';
import type { LatencySeries } from '../types.ts';
import type { AnalyzerState, ConnCounter, Second } from './state.ts';
import { pct, round } from './stats.ts';

export interface Buckets {
  /** The first event's time: second 0. */
  origin: number;
  durationSeconds: number;
  nSeconds: number;
  /** Seconds per bucket. */
  step: number;
  nBuckets: number;
}

export function bucketsOf(state: AnalyzerState): Buckets {
  const origin = state.t0 ?? 0;
  const endT = Math.max(state.runEndT ?? state.lastT, origin);
  const durationSeconds = round((endT - origin) / 1000, 3);
  const nSeconds = Math.max(1, Math.ceil(durationSeconds), state.seconds.length);
  const step = Math.max(1, Math.ceil(nSeconds / state.maxPoints));
  return { origin, durationSeconds, nSeconds, step, nBuckets: Math.ceil(nSeconds / step) };
}

/** Seconds since the origin, to the millisecond. */
export const relativeTo =
  (origin: number) =>
  (t: number): number =>
    round((t - origin) / 1000, 3);

/** A connection counter of one region, summed per bucket. */
export function counterSeries(seconds: Second[], b: Buckets, metric: ConnCounter, region: string): number[] {
  const out = new Array<number>(b.nBuckets).fill(0);
  seconds.forEach((s, i) => {
    const n = s?.counts.get(`${metric}\u0000${region}`);
    if (n !== undefined) out[Math.floor(i / b.step)] = (out[Math.floor(i / b.step)] ?? 0) + n;
  });
  return out;
}

/** Latency percentiles of one region (or ALL) per bucket, from the merged seconds. */
export function latencySeries(
  seconds: Second[],
  b: Buckets,
  kind: 'delivery' | 'ack',
  region: string,
): LatencySeries {
  const out: LatencySeries = { p50: [], p95: [], p99: [], max: [] };
  for (let bucket = 0; bucket < b.nBuckets; bucket++) {
    const h = createHistogram();
    for (let i = bucket * b.step; i < Math.min((bucket + 1) * b.step, seconds.length); i++) {
      const part = seconds[i]?.[kind].get(region);
      if (part !== undefined) merge(h, part);
    }
    out.p50.push(pct(h, 50));
    out.p95.push(pct(h, 95));
    out.p99.push(pct(h, 99));
    out.max.push(pct(h, 100));
  }
  return out;
}

/** Open connections of each region at the end of each bucket (the last snapshot so far). */
export function openSeries(seconds: Second[], b: Buckets, regions: string[]): Record<string, number[]> {
  const open: Record<string, number[]> = {};
  for (const region of regions) {
    const values: number[] = [];
    let current = 0;
    for (let bucket = 0; bucket < b.nBuckets; bucket++) {
      for (let i = bucket * b.step; i < Math.min((bucket + 1) * b.step, seconds.length); i++) {
        const snap = seconds[i]?.open;
        if (snap !== undefined) current = snap.get(region) ?? 0;
      }
      values.push(current);
    }
    open[region] = values;
  }
  return open;
}
