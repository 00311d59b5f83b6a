// run.json: what a run did, written at its start and rewritten at its end, so that
// `chatquake check <run dir>` can judge the saved history again with the same thresholds and
// the same topology facts, and a crashed run still leaves its plan behind.
import type { LoadResult } from '../../load/index.ts';
import type { RunEndpoints } from '../observe/endpoints.ts';
import type { ThresholdsSpec } from '../scenario/scenario.ts';

export interface RunRecord {
  schemaVersion: 1;
  runId: string;
  scenario: {
    name: string;
    description: string;
    path: string;
    /** The target's name and its options as its schema parsed them; absent in older run.json files (the reference server). */
    target?: string;
    targetOptions?: unknown;
    durationMs: number;
    topology: { regions: string[]; nodesPerRegion: number; ack: string; leaseMs: number; bugs: string[] };
    workload: unknown;
    chaos: unknown[];
    thresholds: ThresholdsSpec;
    convergenceDeadlineMs: number;
  };
  seed: number;
  startedAt: string;
  endedAt: string;
  /** Wall time of the whole run, start-up and teardown included. */
  wallSeconds: number;
  host: string;
  topology: { regions: { name: string; nodes: string[] }[] };
  aliases: Record<string, string>;
  /** The merged thresholds the run was judged by (scenario over the checks' defaults). */
  thresholds: ThresholdsSpec;
  faults: {
    id: string;
    kind: string;
    target: string;
    regions: string[];
    /** ms from load start, as planned. */
    plannedAt: number;
    plannedUntil: number | null;
    /** ms from load start, as applied; null when never. */
    appliedAt: number | null;
    revertedAt: number | null;
    error?: string;
  }[];
  /** The load generator's own figures, as runLoad returned them; null when load never started. */
  load: LoadResult | null;
  convergence: { converged: number; notConverged: number; seconds: number } | null;
  /** Why the run stopped early: a signal, or a threshold with abortOnFail. */
  interrupted: { reason: 'signal' | 'threshold'; detail: string } | null;
  /** `--tag KEY=VALUE`s of the run; {} in run folders from before tags. */
  tags?: Record<string, string>;
  /** `--no-thresholds`: failed thresholds and checks are reported but do not fail the run. */
  noThresholds?: boolean;
  /** Where each process served /metrics; absent in run folders from before it was recorded. */
  endpoints?: RunEndpoints;
  /** Errors that stopped the run; a run with errors exits 1. */
  errors: string[];
  /** Problems that did not stop it (a heal step that failed, a report that could not be drawn). */
  warnings: string[];
}
