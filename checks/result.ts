// Shapes every checker shares: the options they read, the examples they explain anomalies with
// and the streaming interface index.ts drives them through. A checker sees each event once, in
// file order, after the run model (model.ts) has taken it in; `finish` judges what needs the
// whole history and records the checker's metrics.
import type { HistoryEvent } from '../contracts/history.ts';
import type { MetricStore } from './metrics.ts';
import type { RunModel } from './model.ts';

export interface CheckOptions {
  /** Examples kept per check (the first ones, in history order). Default 10. */
  maxExamples: number;
  /**
   * How long a member must have had a connected session after a message was acked before the
   * message counts as owed to it, and so as lost if it never arrived. Default 5000 ms.
   */
  deliveryGraceMs: number;
}

export const DEFAULT_CHECK_OPTIONS: CheckOptions = { maxExamples: 10, deliveryGraceMs: 5000 };

export function resolveCheckOptions(options: Partial<CheckOptions> = {}): CheckOptions {
  const maxExamples = options.maxExamples ?? DEFAULT_CHECK_OPTIONS.maxExamples;
  const deliveryGraceMs = options.deliveryGraceMs ?? DEFAULT_CHECK_OPTIONS.deliveryGraceMs;
  if (!Number.isInteger(maxExamples) || maxExamples < 0) {
    throw new Error(`checks: maxExamples must be a non-negative integer, got ${maxExamples}`);
  }
  if (!Number.isFinite(deliveryGraceMs) || deliveryGraceMs < 0) {
    throw new Error(`checks: deliveryGraceMs must be a non-negative number of ms, got ${deliveryGraceMs}`);
  }
  return { maxExamples, deliveryGraceMs };
}

/** One anomaly, explained in a sentence a person can act on. */
export interface Example {
  /** The check that found it, as in the check's `name` (e.g. "acked-lost"). */
  check: string;
  message: string;
  conv?: string;
  cmid?: string;
  /** The message's sender. */
  from?: string;
  /** The user who saw (or should have seen) the anomaly. */
  user?: string;
  region?: string;
  /** Seconds since the run start. */
  t?: number;
}

export interface ExampleList {
  readonly items: Example[];
  /** Keeps the example if there is room; returns whether it was kept. */
  add(example: Example): boolean;
  /** True while another example would be kept, so callers can skip building sentences. */
  readonly wanted: boolean;
}

export function createExampleList(max: number): ExampleList {
  const items: Example[] = [];
  return {
    items,
    add(example) {
      if (items.length >= max) return false;
      items.push(example);
      return true;
    },
    get wanted() {
      return items.length < max;
    },
  };
}

/** Percentiles of a latency or duration; null where there were no samples (JSON has no NaN). */
export interface Percentiles {
  count: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
}

export interface Checker<R> {
  readonly name: string;
  add(event: HistoryEvent, model: RunModel): void;
  finish(model: RunModel, metrics: MetricStore): R;
}
