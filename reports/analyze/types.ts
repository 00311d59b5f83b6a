// The analyzer's public types: its options and the RunAnalysis it returns. Apart from the code,
// so the parts that compute a RunAnalysis and reports/analyze.ts, which composes them, can
// share them without importing each other.
import type { HistoryEvent } from '../../contracts/history.ts';
import type { Histogram } from '../../lib/histogram.ts';
import type {
  ConnectionSeries,
  FaultLane,
  FaultWindow,
  LatencyCharts,
  LatencyStats,
  MatrixCell,
} from '../types.ts';

export interface AnalyzeOptions {
  /** Individual sends kept for the raw-latency scatter; default 4000. */
  sampleLimit?: number;
  /** Time buckets in the charts at most; longer runs get wider buckets. Default 1800. */
  maxPoints?: number;
  /** Seed of the send sample, so one history always gives the same report; default 1. */
  sampleSeed?: number;
}

/** Clients a fault disconnected, and how long each took to connect again. */
export interface ReconnectOutcome {
  disconnected: number;
  reconnected: number;
  /** Seconds from losing the connection (the fault start if connected then) to the next one, sorted. */
  samples: number[];
}

export interface FaultPhase {
  fault: number;
  windowSeconds: number;
  before: LatencyStats;
  during: LatencyStats;
  after: LatencyStats;
}

export interface RunAnalysis {
  runId: string | null;
  scenario: string | null;
  seed: number | null;
  ackLevel: string | null;
  regions: string[];
  t0: number;
  durationSeconds: number;
  users: number;
  conversations: number;
  phases: { name: string; t: number }[];
  step: number;
  x: number[];
  latency: LatencyCharts;
  connections: ConnectionSeries;
  samples: { t: number[]; ms: number[]; outcome: number[]; total: number };
  lanes: FaultLane[];
  faults: FaultWindow[];
  reconnects: ReconnectOutcome[];
  matrix: MatrixCell[];
  faultPhases: FaultPhase[];
  /** Whole-run delivery latency histogram of each intended second (index = second), for bootstraps. */
  deliveryBySecond: (Histogram | undefined)[];
  /** Seconds [from, to) in which load was generated: load_start..load_stop, else the whole run. */
  loadWindow: [number, number];
  warnings: string[];
}

export interface Analyzer {
  add(event: HistoryEvent): void;
  finish(): RunAnalysis;
}

export type { MatrixCell };
