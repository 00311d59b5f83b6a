// One checker over a whole history: the pure, single-check form of index.ts's pass, for tests
// and for callers that want one verdict. It sits beside model.ts rather than in it, so the run
// model does not depend on the checker contract (result.ts) that depends on the model.
import type { HistoryEvent } from '../contracts/history.ts';
import { createMetricStore, type MetricStore } from './metrics.ts';
import { createRunModel, endTime, ingest, observe, type RunModel } from './model.ts';
import { type Checker, type CheckOptions, resolveCheckOptions } from './result.ts';

/** What one checker made of a history: its verdict, the metrics it recorded, the model it judged. */
export interface CheckedRun<R> {
  result: R;
  metrics: MetricStore;
  model: RunModel;
  /** Events the model rejected (not well-formed, or naming what was never opened). */
  rejected: number;
}

export function checkRun<R>(
  create: (options: CheckOptions) => Checker<R>,
  events: Iterable<HistoryEvent>,
  options: Partial<CheckOptions> = {},
): CheckedRun<R> {
  const model = createRunModel();
  const checker = create(resolveCheckOptions(options));
  let rejected = 0;
  for (const raw of events) {
    const e = ingest(model, raw);
    if (e === undefined) {
      rejected++;
      continue;
    }
    observe(model, e);
    checker.add(e, model);
  }
  const metrics: MetricStore = createMetricStore();
  metrics.durationMs = Math.max(0, endTime(model) - model.t0) || 0;
  return { result: checker.finish(model, metrics), metrics, model, rejected };
}

export function runChecker<R>(
  create: (options: CheckOptions) => Checker<R>,
  events: Iterable<HistoryEvent>,
  options: Partial<CheckOptions> = {},
): R {
  return checkRun(create, events, options).result;
}
