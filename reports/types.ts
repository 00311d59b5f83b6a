// ReportData: everything report.html draws, computed once in Node and inlined as JSON. The page
// does no statistics of its own, so the numbers in the report are the numbers the tests check.
// Every time is in seconds since the run started (`run.t0`), every latency in milliseconds
// unless the field says seconds; a percentile of nothing is null, never NaN (JSON has no NaN).
import type { IncidentCounts, Percentiles } from '../checks/index.ts';

export type { Percentiles };

export const REPORT_SCHEMA_VERSION = 1;

/** Percentiles of one set of samples; null when there were none. */
export interface LatencyStats {
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

/**
 * Per-time-bucket counts from the checkers, divided by the bucket width: events per second.
 * errors = failed + indeterminate sends; delivered = first deliveries of a message to a user.
 */
export interface ThroughputSeries {
  sent: number[];
  acked: number[];
  delivered: number[];
  errors: number[];
}

/** Per-time-bucket latency percentiles (ms); null where a bucket had no samples. */
export interface LatencySeries {
  p50: (number | null)[];
  p95: (number | null)[];
  p99: (number | null)[];
  max: (number | null)[];
}

/** Delivery and ack latency over time, for the whole run and per region. */
export interface LatencyCharts {
  delivery: { all: LatencySeries; byRegion: Record<string, LatencySeries> };
  ack: { all: LatencySeries; byRegion: Record<string, LatencySeries> };
}

/** Per region, per time step: open connections, reconnects and failovers. */
export interface ConnectionSeries {
  open: Record<string, number[]>;
  reconnects: Record<string, number[]>;
  failovers: Record<string, number[]>;
}

export interface FaultLane {
  kind: string;
  target: string;
}

/** One applied fault: a shaded window in every time chart. */
export interface FaultWindow {
  id: string;
  kind: string;
  target: string;
  regions: string[];
  /** Index into `lanes`: one lane per kind and target, as Jepsen draws them. */
  lane: number;
  start: number;
  /** Null when the fault was still applied when the history ended. */
  end: number | null;
}

export interface FailoverFaultRow {
  /** Index into `faults`, or null when the row matched no fault window of the history. */
  fault: number | null;
  kind: string;
  target: string;
  start: number | null;
  end: number | null;
  /** The checkers' incident figures (checks/failover.ts): distinct clients, then incidents by outcome. */
  clients: number;
  failedOver: number;
  rodeOut: number;
  neverRecovered: number;
  /** Incidents with nothing to measure (the client sent nothing, nobody wrote to it). */
  unobserved: number;
  /** Failed-over incidents' times, never-recovered ones censored (a null percentile among them reads "never"). */
  failover: Percentiles;
  /** Impact → served again, failed over or rode out, never-recovered ones censored. */
  recovery: Percentiles;
  /** Acked-lost messages acked inside the window, per the lost checker. */
  lost: number;
  /** True when the checker's example list was full, so `lost` is a lower bound. */
  lostAtLeast: boolean;
  /** Connection-level view: who the fault disconnected and how long each took to reconnect. */
  reconnect: { disconnected: number; reconnected: number; samples: number[] };
}

export interface MatrixCell {
  from: string;
  to: string;
  deliveries: number;
  p99: number | null;
  /** Recipient deliveries owed by acked sends from `from` to members homed in `to`. */
  expected: number;
  undelivered: number;
}

export interface PhaseRow {
  /** The checkers' phases: before the first fault, while any fault is on, after. */
  phase: 'before' | 'fault' | 'after';
  delivery: Percentiles;
  ack: Percentiles;
}

export interface FaultPhaseRow {
  fault: number;
  /** Width of the before and after windows, seconds. */
  windowSeconds: number;
  before: LatencyStats;
  during: LatencyStats;
  after: LatencyStats;
}

export interface ConsistencyCheckRow {
  /** The count's key in summary.json's consistency section, e.g. "ackedLost". */
  key: string;
  label: string;
  description: string;
  count: number;
}

export interface ConsistencyExample {
  check: string;
  message: string;
  conv: string | null;
  cmid: string | null;
  region: string | null;
  /** Seconds since run start, when the checker or the history placed it. */
  t: number | null;
}

export interface ThresholdRow {
  metric: string;
  expression: string;
  actual: number | string | null;
  ok: boolean;
}

export type VerdictStatus = 'pass' | 'fail' | 'invalid' | 'unknown';

export interface ReportData {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  run: {
    runId: string;
    scenario: string;
    description: string | null;
    seed: number | null;
    startedAt: string | null;
    /** Epoch ms of second 0. */
    t0: number;
    durationSeconds: number;
    commit: string | null;
    ackLevel: string | null;
    /** Server bug knobs the run was started with: a report of a deliberately broken build says so. */
    bugs: string[];
    regions: { name: string; nodes: number | null }[];
    users: number;
    conversations: number;
    load: {
      sent: number;
      acked: number;
      failed: number;
      indeterminate: number;
      delivered: number;
      sendRatePerSecond: number | null;
      deliverRatePerSecond: number | null;
    };
    /** Load phase marks (load_start, load_stop, healed, ...). */
    phases: { name: string; t: number }[];
  };
  verdict: {
    status: VerdictStatus;
    ok: boolean | null;
    valid: boolean | null;
    invalidReasons: string[];
    /** summary.json's one-sentence reason, when it has one. */
    text: string | null;
    /** Errors the run itself hit (a node that would not start, a fault that failed to apply). */
    errors: string[];
    /** What `chatquake run` exits with for this verdict (k6 convention). */
    exitCode: number | null;
  };
  thresholds: ThresholdRow[];
  headline: {
    ackP99: number | null;
    deliveryP99: number | null;
    failoverP99Seconds: number | null;
    /** How long users were without service: impact → served again, p99 over incidents. */
    recoveryP99Seconds: number | null;
    /** Incidents whose client was never served again before the run ended. */
    neverRecovered: number;
    violations: number;
    errorRate: number | null;
  };
  time: {
    /** Bucket width in seconds: 1 unless the run is long enough to need coarser buckets. */
    step: number;
    /** Bucket start times. */
    x: number[];
  };
  lanes: FaultLane[];
  faults: FaultWindow[];
  throughput: { all: ThroughputSeries; byRegion: Record<string, ThroughputSeries> };
  /** Indexed by the time each message was meant to be sent (coordinated-omission safe). */
  latency: LatencyCharts;
  connections: ConnectionSeries;
  /** A seeded sample of individual sends: when they were meant to go out, latency, outcome. */
  samples: {
    t: number[];
    ms: number[];
    /** 0 acked, 1 failed, 2 indeterminate. */
    outcome: number[];
    total: number;
  };
  failover: {
    overall: Percentiles & { censored: number };
    recovery: Percentiles & { censored: number };
    counts: IncidentCounts;
    faults: FailoverFaultRow[];
  };
  matrix: { regions: string[]; cells: MatrixCell[] };
  phases: { rows: PhaseRow[]; perFault: FaultPhaseRow[] };
  consistency: {
    /** 'summary' when counts came from summary.json, 'history' when checked here for the report. */
    source: 'summary' | 'history';
    /** One row per violation count; a clean run has every count at zero. */
    checks: ConsistencyCheckRow[];
    /** Counts that are allowed and only reported (indeterminate sends that appeared, ...). */
    info: ConsistencyCheckRow[];
    examples: ConsistencyExample[];
    convergenceSeconds: number | null;
  };
  /** Things a reader should know about the data itself (invalid lines, missing files). */
  warnings: string[];
}
