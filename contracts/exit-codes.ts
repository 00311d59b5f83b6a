// The exit codes of every chatquake process, in one table, because they cross rooms: the harness
// commands, the reference server, the directory, the token tool and the fault proxy all end with
// one of them, and CI scripts written for k6 read them. Where k6 has the same idea the number is
// k6's (k6 reserves 97–110 for its own codes); the one idea k6 lacks, an invalid run, has a code
// outside that range so that it can never be mistaken for one of k6's.

export const ExitCode = {
  /** Every threshold and check passed (or they were not gating: --no-thresholds). */
  ok: 0,
  /** Anything not covered below: a crash, a topology that would not start, a run cut by SIGKILL. */
  error: 1,
  /**
   * The run is invalid: the load generator could not keep up, the history is cut or damaged, or
   * nothing was sent, so nothing can be concluded. chatquake's own code, outside k6's 97–110.
   */
  invalidRun: 96,
  /** A threshold or a check failed (k6's ThresholdsHaveFailed). */
  thresholdsFailed: 99,
  /** A bad flag, a bad scenario file or an unknown command; the message names it (k6's InvalidConfig). */
  invalidConfig: 104,
  /** Stopped by SIGINT (Ctrl-C) or SIGTERM; the results cover the run up to then (k6's ExternalAbort). */
  externalAbort: 105,
  /** The scenario file's own code failed while loading: it threw, or never finished (k6's ScriptException). */
  scriptException: 107,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** One line for `--help` and the docs. */
export const EXIT_CODE_LINE =
  'Exit codes: 0 pass, 99 a threshold or check failed, 96 invalid run, 104 bad flag, scenario or command, 105 aborted by a signal, 107 the scenario file threw, 1 other error.';
