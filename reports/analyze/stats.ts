// The small number helpers every part of the analyzer rounds and summarises with, kept in one
// leaf so the parts agree on them (reports/analyze.ts re-exports the public ones).
import { type Histogram, percentile } from '../../lib/histogram.ts';
import type { LatencyStats } from '../types.ts';

export const round = (value: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};

/** Percentile as a JSON-safe number: null for no samples, rounded to 0.01. */
export function pct(h: Histogram | undefined, p: number): number | null {
  if (h === undefined || h.count === 0) return null;
  const v = percentile(h, p);
  return Number.isFinite(v) ? round(v, 2) : null;
}

export function latencyStats(h: Histogram | undefined): LatencyStats {
  return { count: h?.count ?? 0, p50: pct(h, 50), p95: pct(h, 95), p99: pct(h, 99), max: pct(h, 100) };
}

/** p-th percentile of sorted numbers by nearest rank; null when empty. */
export function sortedPercentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}
