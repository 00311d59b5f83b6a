// What a run holds of its observation while it goes on (the live metrics, the endpoints, the
// server and targets file behind them): the shape alone, so that the run's state can name it
// without importing the code that starts it (harness/run/observe.ts).
import type { HistoryEvent } from '../../contracts/history.ts';
import type { RunEndpoints } from './endpoints.ts';
import type { RunMetrics } from './metrics.ts';

export interface RunObserver {
  readonly metrics: RunMetrics;
  readonly endpoints: RunEndpoints;
  observe(event: HistoryEvent): void;
  /** The topology changed (a node joined): the endpoints, run.json and the targets file follow. */
  refresh(): void;
  /** Stops the server and empties the targets file. Idempotent. */
  close(): Promise<void>;
}
