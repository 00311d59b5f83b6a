// k6's exit codes, so CI scripts written for k6 gate chatquake runs unchanged.
export const ExitCode = {
  /** Every threshold and check passed. */
  ok: 0,
  /** Anything not covered below: a crash, a topology that would not start, an interrupted run. */
  error: 1,
  /** Bad usage or a bad scenario file; the message names the field. */
  usage: 2,
  /** The run is invalid: the load generator could not keep up, so nothing can be concluded. */
  invalid: 97,
  /** A threshold or a check failed (k6's ThresholdsHaveFailed). */
  thresholdsFailed: 99,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The verdict of a finished run as an exit code. An invalid run is never reported as passed. */
export function exitCodeFor(verdict: { valid: boolean; ok: boolean; interrupted?: boolean }): ExitCode {
  if (verdict.interrupted) return ExitCode.error;
  if (!verdict.valid) return ExitCode.invalid;
  return verdict.ok ? ExitCode.ok : ExitCode.thresholdsFailed;
}
