// `chatquake run <scenario|file.ts> [flags]`: the main job. Exit codes follow k6: 0 pass,
// 99 a threshold or check failed, 97 invalid run, 2 bad usage or scenario, 1 anything else.
import { relative } from 'node:path';
import { ExitCode } from '../cli/exit-codes.ts';
import { parseRunFlags } from '../cli/flags.ts';
import { createProgress } from '../cli/progress.ts';
import { cleanup, installExitHook, onTerminationSignal } from '../local/cleanup.ts';
import { formatEndOfRun } from '../results/results.ts';
import { runScenario } from '../run/run.ts';
import { prepareRun } from '../scenario/prepare.ts';
import { ScenarioError } from '../scenario/scenario.ts';

export async function main(argv: string[]): Promise<number> {
  let flags: ReturnType<typeof parseRunFlags>;
  let prepared: Awaited<ReturnType<typeof prepareRun>>;
  try {
    flags = parseRunFlags(argv, 'run');
    prepared = await prepareRun(flags);
  } catch (error) {
    if (error instanceof ScenarioError) {
      process.stderr.write(`${error.message}\n`);
      // The scenario's own code still holds the event loop: nothing else would end the CLI.
      if (error.stillRunning) process.exit(ExitCode.usage);
      return ExitCode.usage;
    }
    throw error;
  }

  const progress = createProgress({ quiet: flags.quiet });
  installExitHook(cleanup);
  const controller = new AbortController();
  const removeSignalHandlers = onTerminationSignal((signal) => {
    progress.log(
      `\nchatquake: ${signal} received: healing faults, stopping processes, writing what was recorded (again to force)`,
    );
    controller.abort(signal);
  });
  try {
    const outcome = await runScenario({ prepared, outDir: flags.out, progress, signal: controller.signal });
    const shown = relative(process.cwd(), outcome.runDir) || '.';
    process.stdout.write(
      formatEndOfRun(outcome.summary, outcome.judgement, shown.startsWith('..') ? outcome.runDir : shown),
    );
    return outcome.judgement.exitCode;
  } catch (error) {
    progress.done();
    process.stderr.write(
      `chatquake run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return ExitCode.error;
  } finally {
    const errors = await cleanup.run();
    for (const e of errors) process.stderr.write(`chatquake: cleanup: ${e}\n`);
    removeSignalHandlers();
  }
}
