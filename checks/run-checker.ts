// One checker over a whole history: the pure, single-check form of index.ts's pass, for tests
// and for callers that want one verdict. It sits beside model.ts rather than in it, so the run
// model does not depend on the checker contract (result.ts) that depends on the model.
import type { HistoryEvent } from '../contracts/history.ts';
import { createMetricStore, type MetricStore } from './metrics.ts';
import { createRunModel, endTime, ingest, observe } from './model.ts';
import { type Checker, type CheckOptions, resolveCheckOptions } from './result.ts';

export function runChecker<R>(
  create: (options: CheckOptions) => Checker<R>,
  events: Iterable<HistoryEvent>,
  options: Partial<CheckOptions> = {},
): R {
  const model = createRunModel();
  const checker = create(resolveCheckOptions(options));
  for (const raw of events) {
    const e = ingest(model, raw);
    if (e === undefined) continue;
    observe(model, e);
    checker.add(e, model);
  }
  const metrics: MetricStore = createMetricStore();
  metrics.durationMs = Math.max(0, endTime(model) - model.t0) || 0;
  return checker.finish(model, metrics);
}
