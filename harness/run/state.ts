// What one run knows while it runs, in one explicit object that each phase (start, history and
// faults, load, settle, teardown, results) is given: the plan, where it writes, the record it
// fills in, the abort that stops it, and what it started so far, for the teardown to stop.
import type { AppliedFault, LiveTimeline, TimelineRun } from '../../chaos/index.ts';
import type { HistoryEvent } from '../../contracts/history.ts';
import type { HistoryRecorder, LiveStats } from '../../load/index.ts';
import type { Progress } from '../cli/progress.ts';
import type { CleanupRegistry } from '../local/cleanup.ts';
import type { RunLedger } from '../local/ledger.ts';
import type { LocalTopology } from '../local/topology.ts';
import type { RunObserver } from '../observe/observer.ts';
import type { PreparedRun } from '../scenario/prepare.ts';
import { createLiveJudge, type LiveJudge } from './judge.ts';
import type { RunRecord } from './run-record.ts';

/**
 * A session run by hand (`chatquake up`): no fault is planned, faults come through the live
 * timeline, and the load ends when `stop` aborts (or at the session's bound).
 */
export interface LiveRunHooks {
  readonly stop: AbortSignal;
  /** Load started: the timeline to inject faults through, and the run as it goes on. */
  onLoadStart(timeline: LiveTimeline, state: RunState): void;
  /** Every event the history gets, in order, after the file has it. */
  onEvent(event: HistoryEvent): void;
}

export interface RunState {
  readonly prepared: PreparedRun;
  readonly progress: Progress;
  readonly registry: CleanupRegistry;
  readonly runDir: string;
  readonly runId: string;
  /** run.json as it will be written at the end; phases fill it in. */
  readonly record: RunRecord;
  /** Aborted by the caller's signal or by a threshold with abortOnFail. */
  readonly abort: AbortController;
  /** What the run started, on disk (started.json), for the next run if this one crashes. */
  readonly ledger: RunLedger | undefined;
  readonly live: LiveJudge;
  /** Set for a session run by hand (`chatquake up`). */
  readonly liveHooks: LiveRunHooks | undefined;
  /** performance.now() when the run began, for wallSeconds. */
  readonly started: number;
  /** The phase the status line shows. */
  phase: string;
  /** performance.now() at load_start; 0 before it. */
  loadStartMono: number;
  lastStats: LiveStats | undefined;
  topology: LocalTopology | undefined;
  recorder: HistoryRecorder | undefined;
  timeline: TimelineRun | undefined;
  applied: AppliedFault[];
  /** The live metrics and endpoints (observe.ts); undefined until the topology is up. */
  observer: RunObserver | undefined;
}

/** A run about to start its topology: nothing started yet, the clock running from now. */
export function createRunState(
  fields: Pick<
    RunState,
    'prepared' | 'progress' | 'registry' | 'runDir' | 'runId' | 'record' | 'abort' | 'ledger'
  > & { liveHooks?: LiveRunHooks | undefined },
): RunState {
  return {
    ...fields,
    liveHooks: fields.liveHooks,
    // A session run by hand is stopped by the people running it, never by a threshold.
    live: createLiveJudge(fields.prepared, {
      abortOnFail: !fields.record.noThresholds && fields.liveHooks === undefined,
    }),
    phase: 'start',
    started: performance.now(),
    loadStartMono: 0,
    lastStats: undefined,
    topology: undefined,
    recorder: undefined,
    timeline: undefined,
    applied: [],
    observer: undefined,
  };
}

/** Harness wall-clock ms, the history's time base. */
export const wall = (): number => performance.timeOrigin + performance.now();

/** Redraws the status line from the latest load stats. */
export function showStatus(state: RunState, stats: LiveStats | undefined): void {
  const activeFaults = state.timeline?.active().map((f) => f.id) ?? [];
  state.progress.update({
    phase: state.phase,
    elapsedMs: state.loadStartMono > 0 ? performance.now() - state.loadStartMono : 0,
    totalMs: state.prepared.scenario.durationMs,
    sentPerSec: stats?.sentPerSec ?? 0,
    deliveredPerSec: stats?.deliveredPerSec ?? 0,
    deliveryP99Ms: stats?.deliveryP99Ms ?? Number.NaN,
    reconnects: stats?.reconnects ?? 0,
    activeFaults,
    violations: state.live.violations(),
    sent: stats?.sent ?? 0,
    acked: stats?.acked ?? 0,
    delivered: stats?.delivered ?? 0,
    healthy: stats?.healthy ?? true,
  });
}

/** Thrown when the run is aborted while the topology starts; reported from the signal. */
export class Interrupted extends Error {}

export class ThresholdAbort extends Error {
  override name = 'ThresholdAbort';
}
