// The load room's public surface: the workload model, the runner, the history recorder and
// reader, and the convergence/final-read steps. The harness imports from here only.

export type * from '../contracts/target.ts';
export {
  type AwaitConvergenceOptions,
  awaitConvergence,
  type ConvergenceResult,
  type ConvergenceTarget,
  type FinalReadsOptions,
  recordFinalReads,
} from './convergence.ts';
export {
  type HistoryReadResult,
  type HistoryStream,
  type HistorySyncStream,
  iterateHistorySync,
  readHistory,
  readHistorySync,
} from './reader.ts';
export { createRecorder, type HistoryRecorder, type RecorderOptions } from './recorder.ts';
export { LATE_SEND_MS, type LiveStats, type LoadOptions, type LoadResult, runLoad } from './runner.ts';
export {
  buildWorkload,
  checkWorkloadRegions,
  parseWorkloadSpec,
  type ScheduledSend,
  schedule,
  stagesDurationMs,
  WORKLOAD_LIMITS,
  type Workload,
  WorkloadSpec,
  type WorkloadSpecInput,
  withIdPrefix,
} from './workload.ts';
