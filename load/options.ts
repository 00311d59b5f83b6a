// What runLoad is told and what it returns (re-exported by runner.ts, where callers import them
// from), and the options checked once with their defaults filled in (LoadConfig), which every
// part of the runner reads instead of the raw options.
import type { MessagingTarget } from '../contracts/target.ts';
import type { HistoryRecorder } from './recorder.ts';
import { parseWorkloadSpec, type Workload, type WorkloadSpec, type WorkloadSpecInput } from './workload.ts';

export interface LoadOptions {
  target: MessagingTarget;
  spec: WorkloadSpec | WorkloadSpecInput;
  workload: Workload;
  /** Length of the send schedule, after the connection ramp. */
  durationMs: number;
  seed: number;
  recorder: HistoryRecorder;
  /** Stops sending at once, skips the drain and closes the sessions. */
  signal?: AbortSignal;
  /**
   * Ends the load early as if its duration were up: no send after it, `load_stop` is written
   * and outstanding sends drain as usual. What the schedule still held is not counted unsent.
   * `chatquake up` ends a session with it.
   */
  stop?: AbortSignal;
  /** A second whose send-lag p99 is above this makes the run invalid; default 1000 ms. */
  maxLagMs?: number;
  /** A second whose event-loop delay p99 is above this makes the run invalid; default 500 ms. */
  maxEventLoopDelayMs?: number;
  /** Called about once a second from load start until the sessions are closed. */
  onTick?: (stats: LiveStats) => void;
  /** How long to wait after the last send for outstanding acks; default 5000 ms. */
  drainMs?: number;
  /** Bound on creating each conversation and on closing the sessions; default 30000 ms. */
  setupTimeoutMs?: number;
  /** Conversations created at once; default 32. */
  setupConcurrency?: number;
}

export interface LiveStats {
  elapsedMs: number;
  sent: number;
  acked: number;
  delivered: number;
  failed: number;
  indeterminate: number;
  sentPerSec: number;
  deliveredPerSec: number;
  /** Over the last second, measured from each message's intended send time. */
  deliveryP99Ms: number;
  reconnects: number;
  connected: number;
  lagP99Ms: number;
  healthy: boolean;
}

export interface LoadResult {
  sent: number;
  acked: number;
  delivered: number;
  failed: number;
  indeterminate: number;
  valid: boolean;
  invalidReasons: string[];
  /** The signal stopped the load early. */
  aborted: boolean;
  /** Sends that left more than LATE_SEND_MS after their intended time. */
  lateSends: number;
  /** Scheduled sends that never left because the generator was too far behind at the end. */
  unsent: number;
  sendLagP99Ms: number;
  sendLagMaxMs: number;
  eventLoopDelayP99Ms: number;
}

/** The options after checking, with defaults applied. */
export interface LoadConfig {
  readonly target: MessagingTarget;
  readonly spec: WorkloadSpec;
  readonly workload: Workload;
  readonly durationMs: number;
  readonly seed: number;
  readonly recorder: HistoryRecorder;
  readonly signal: AbortSignal | undefined;
  readonly stop: AbortSignal | undefined;
  readonly maxLagMs: number;
  readonly maxLoopMs: number;
  readonly onTick: ((stats: LiveStats) => void) | undefined;
  readonly drainMs: number;
  readonly setupTimeoutMs: number;
  readonly setupConcurrency: number;
}

export function resolveLoadOptions(options: LoadOptions): LoadConfig {
  return {
    target: options.target,
    spec: parseWorkloadSpec(options.spec),
    workload: options.workload,
    durationMs: Math.max(0, options.durationMs),
    seed: options.seed,
    recorder: options.recorder,
    signal: options.signal,
    stop: options.stop,
    maxLagMs: options.maxLagMs ?? 1000,
    maxLoopMs: options.maxEventLoopDelayMs ?? 500,
    onTick: options.onTick,
    drainMs: options.drainMs ?? 5000,
    setupTimeoutMs: options.setupTimeoutMs ?? 30_000,
    setupConcurrency: Math.max(1, options.setupConcurrency ?? 32),
  };
}
