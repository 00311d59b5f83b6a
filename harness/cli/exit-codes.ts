// k6's exit codes, so CI scripts written for k6 gate chatquake runs unchanged. The table is in
// contracts/exit-codes.ts (the server and the proxy use it too); this is the verdict → code rule.
import { ExitCode } from '../../contracts/exit-codes.ts';

export { EXIT_CODE_LINE, ExitCode } from '../../contracts/exit-codes.ts';

/** The verdict of a finished run as an exit code. An invalid run is never reported as passed. */
export function exitCodeFor(verdict: { valid: boolean; ok: boolean; interrupted?: boolean }): ExitCode {
  if (verdict.interrupted) return ExitCode.externalAbort;
  if (!verdict.valid) return ExitCode.invalidRun;
  return verdict.ok ? ExitCode.ok : ExitCode.thresholdsFailed;
}
