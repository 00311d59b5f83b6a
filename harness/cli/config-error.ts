// How `run` and `validate` end on a bad flag or scenario: the message, then 104 (k6's
// InvalidConfig), or 107 (k6's ScriptException) when the scenario file's own code failed.
import { ScenarioError } from '../scenario/scenario.ts';
import { ExitCode } from './exit-codes.ts';

/** Prints a ScenarioError and returns its exit code; undefined for any other error. */
export function reportConfigError(error: unknown): number | undefined {
  if (!(error instanceof ScenarioError)) return undefined;
  process.stderr.write(`${error.message}\n`);
  const code = error.scriptException ? ExitCode.scriptException : ExitCode.invalidConfig;
  // The scenario's own code still holds the event loop: nothing else would end the CLI.
  if (error.stillRunning) process.exit(code);
  return code;
}
