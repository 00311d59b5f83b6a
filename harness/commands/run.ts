// `chatquake run <scenario|file.ts> [flags]`: the main job. Exit codes follow k6 (docs/CLI.md):
// 0 pass, 99 a threshold or check failed, 104 bad flag or scenario, 105 aborted by a signal,
// 107 the scenario file threw, 96 invalid run (chatquake's own), 1 anything else.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { reportConfigError } from '../cli/config-error.ts';
import { applyEnvFlags } from '../cli/env.ts';
import { ExitCode } from '../cli/exit-codes.ts';
import { parseRunFlags, type RunFlags } from '../cli/flags.ts';
import { createProgress } from '../cli/progress.ts';
import { cleanup, installExitHook, onTerminationSignal } from '../local/cleanup.ts';
import { formatEndOfRun } from '../results/results.ts';
import { runScenario } from '../run/run.ts';
import type { TopologyMode } from '../run/start.ts';
import { prepareRun } from '../scenario/prepare.ts';

/** `--summary-export FILE`: the run's summary.json, byte for byte, at FILE; a failure is said. */
export function exportSummary(runDir: string, file: string): string | undefined {
  try {
    mkdirSync(dirname(resolve(file)), { recursive: true });
    copyFileSync(join(runDir, 'summary.json'), file);
    return undefined;
  } catch (error) {
    return `chatquake run: --summary-export ${file}: ${(error as Error).message}`;
  }
}

/** Where `--mode` (and `--image`) put the topology. */
export function whereOf(flags: RunFlags): TopologyMode {
  if (flags.mode === 'docker') return { mode: 'docker', image: flags.image };
  return { mode: flags.mode };
}

export async function main(argv: string[]): Promise<number> {
  let flags: ReturnType<typeof parseRunFlags>;
  let prepared: Awaited<ReturnType<typeof prepareRun>>;
  try {
    flags = parseRunFlags(argv, 'run');
    applyEnvFlags(flags.env);
    prepared = await prepareRun(flags);
  } catch (error) {
    const code = reportConfigError(error);
    if (code === undefined) throw error;
    return code;
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
    const outcome = await runScenario({
      prepared,
      outDir: flags.out,
      progress,
      signal: controller.signal,
      tags: flags.tags,
      noThresholds: flags.noThresholds,
      where: whereOf(flags),
      metricsPort: flags.metricsPort,
      metricsHost: flags.metricsHost,
      prometheusFile: flags.prometheus,
    });
    const shown = relative(process.cwd(), outcome.runDir) || '.';
    process.stdout.write(
      formatEndOfRun(outcome.summary, outcome.judgement, shown.startsWith('..') ? outcome.runDir : shown),
    );
    if (flags.summaryExport !== undefined) {
      const problem = exportSummary(outcome.runDir, flags.summaryExport);
      if (problem !== undefined) {
        process.stderr.write(`${problem}\n`);
        // CI reads the exported file: a pass without it is not a pass.
        return outcome.judgement.exitCode === ExitCode.ok ? ExitCode.error : outcome.judgement.exitCode;
      }
    }
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
