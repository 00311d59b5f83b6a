// `chatquake up [scenario|file] [flags]`: a game-day session. The topology and the scenario's
// workload start (steady-state when no scenario is named) with no planned fault; a console on
// --host:--port shows the session live and takes faults by hand. The first Ctrl-C (or the
// page's Stop) ends load, heals, converges and judges, writing the run folder `chatquake run`
// writes; the console then serves the verdict for --linger. A second Ctrl-C kills everything.
// Exit codes are `run`'s (docs/CLI.md).

import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { parseDuration } from '../../lib/duration.ts';
import { reportConfigError } from '../cli/config-error.ts';
import { applyEnvFlags } from '../cli/env.ts';
import { ExitCode } from '../cli/exit-codes.ts';
import { parseArgsOptions, spellings, unknownFlagProblem } from '../cli/flag-table.ts';
import { joinNegativeValues, numeric, parseRunFlags, type RunFlags } from '../cli/flags.ts';
import { upSpec } from '../cli/options.ts';
import { createProgress } from '../cli/progress.ts';
import { isLoopback } from '../console/http.ts';
import { consoleAssets, startConsoleSession } from '../console/session.ts';
import { cleanup, installExitHook, onTerminationSignal } from '../local/cleanup.ts';
import { formatEndOfRun } from '../results/results.ts';
import { newRunDir } from '../run/run.ts';
import { type PreparedRun, prepareRun } from '../scenario/prepare.ts';
import { SCENARIO_LIMITS, ScenarioError } from '../scenario/scenario.ts';
import { whereOf } from './run.ts';

/** The session with no scenario named: steady load on the target's own topology. */
export const DEFAULT_SCENARIOS: Record<string, string> = {
  reference: 'steady-state',
  xmpp: 'xmpp-partition',
};

const duration = (flag: string, min: number) =>
  z.string().transform((text, ctx) => {
    try {
      const ms = parseDuration(/^\d+(\.\d+)?$/.test(text) ? `${text}s` : text);
      if (ms < min || ms > SCENARIO_LIMITS.durationMs) throw new Error(`must be from ${min / 1000}s to 24h`);
      return ms;
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        message: `${flag}: ${(error as Error).message} (got ${JSON.stringify(text)})`,
      });
      return z.NEVER;
    }
  });

const UpOnly = z.strictObject({
  port: numeric(
    z
      .number('--port: must be a number')
      .int('--port: must be a whole number')
      .min(0)
      .max(65535, '--port: must be at most 65535'),
  ).default(8080),
  host: z
    .string()
    .regex(/^[0-9a-zA-Z.:[\]-]+$/, '--host: must be an address such as 127.0.0.1 or 0.0.0.0')
    .default('127.0.0.1'),
  token: z.string().min(16, '--token: at least 16 characters (a guessable token guards nothing)').optional(),
  maxDurationMs: duration('--max-duration', 1000).default(3_600_000),
  lingerMs: duration('--linger', 0).default(600_000),
});
export type UpFlags = z.infer<typeof UpOnly>;

/** The console's own flags; throws ScenarioError (exit 104) naming the flag. */
export function parseUpFlags(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): { run: RunFlags; up: UpFlags } {
  const unknown = unknownFlagProblem(argv, upSpec);
  if (unknown !== undefined) throw new ScenarioError(unknown);
  const valueOptions = new Set(upSpec.flags.filter((f) => f.value !== undefined).flatMap(spellings));
  const args = joinNegativeValues(argv, valueOptions);
  let parsedArgs: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsedArgs = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: parseArgsOptions(upSpec.flags),
    });
  } catch (error) {
    throw new ScenarioError(`chatquake up: ${(error as Error).message}`);
  }
  const { values, positionals } = parsedArgs;
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const parsed = UpOnly.safeParse({
    port: str(values.port),
    host: str(values.host),
    token: str(values.token) ?? (env.CHATQUAKE_CONSOLE_TOKEN || undefined),
    maxDurationMs: str(values['max-duration']),
    lingerMs: str(values.linger),
  });
  if (!parsed.success) throw new ScenarioError(`chatquake up: ${parsed.error.issues[0]?.message}`);
  const up = parsed.data;
  if (!isLoopback(up.host) && up.token === undefined)
    throw new ScenarioError(
      `chatquake up: --host ${up.host} serves the console beyond this machine: give --token (or $CHATQUAKE_CONSOLE_TOKEN)`,
    );
  const target = str(values.target) ?? 'reference';
  const fallback = DEFAULT_SCENARIOS[target] ?? 'steady-state';
  const withScenario = positionals.length === 0 ? [fallback, ...argv] : argv;
  return { run: parseRunFlags(withScenario, 'up', upSpec), up };
}

/**
 * The prepared run as a session: no planned fault (the scenario's own become presets, at the
 * scenario's own times and lengths) and load until the session's bound. Stages are not
 * stretched to it: they play as written, then the last rate holds (k6's ramping rate).
 */
export function sessionOf(
  prepared: PreparedRun,
  maxDurationMs: number,
): { prepared: PreparedRun; presets: Record<string, unknown>[] } {
  return {
    prepared: { ...prepared, faults: [], scenario: { ...prepared.scenario, durationMs: maxDurationMs } },
    presets: prepared.scenario.chaos.map((f) => ({ ...f }) as Record<string, unknown>),
  };
}

export async function main(argv: string[]): Promise<number> {
  let flags: ReturnType<typeof parseUpFlags>;
  let prepared: Awaited<ReturnType<typeof prepareRun>>;
  try {
    flags = parseUpFlags(argv);
    applyEnvFlags(flags.run.env);
    prepared = await prepareRun(flags.run);
    consoleAssets();
  } catch (error) {
    const code = reportConfigError(error);
    if (code !== undefined) return code;
    process.stderr.write(`chatquake up: ${error instanceof Error ? error.message : String(error)}\n`);
    return ExitCode.invalidConfig;
  }
  const session = sessionOf(prepared, flags.up.maxDurationMs);
  prepared = session.prepared;
  const presets = session.presets;
  const progress = createProgress({ quiet: flags.run.quiet });
  installExitHook(cleanup);
  const cwd = process.cwd();
  const outDir = resolve(cwd, flags.run.out ?? newRunDir(join(cwd, 'runs'), prepared.scenario.name));
  const abort = new AbortController();
  let stop = (): void => {};
  const removeSignalHandlers = onTerminationSignal((signal) => {
    progress.log(
      `\nchatquake: ${signal}: ending the session (load stops, faults heal, the run is judged); again to kill everything`,
    );
    if (signal === 'SIGTERM') abort.abort(signal);
    else stop();
  });
  try {
    const session = await startConsoleSession({
      prepared,
      presets,
      progress,
      outDir,
      signal: abort.signal,
      tags: flags.run.tags,
      noThresholds: flags.run.noThresholds,
      where: whereOf(flags.run),
      metricsPort: flags.run.metricsPort,
      metricsHost: flags.run.metricsHost,
      prometheusFile: flags.run.prometheus,
      host: flags.up.host,
      port: flags.up.port,
      ...(flags.up.token === undefined ? {} : { token: flags.up.token }),
      onListening: (url) => process.stdout.write(`chatquake up: console → ${url}\n`),
    });
    stop = session.stop;
    try {
      const outcome = await session.outcome;
      removeSignalHandlers();
      const shown = relative(cwd, outcome.runDir) || '.';
      process.stdout.write(
        formatEndOfRun(outcome.summary, outcome.judgement, shown.startsWith('..') ? outcome.runDir : shown),
      );
      await linger(flags.up.lingerMs, progress);
      return outcome.judgement.exitCode;
    } finally {
      await session.close();
    }
  } catch (error) {
    progress.done();
    process.stderr.write(
      `chatquake up: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return ExitCode.error;
  } finally {
    removeSignalHandlers();
    const errors = await cleanup.run();
    for (const e of errors) process.stderr.write(`chatquake: cleanup: ${e}\n`);
  }
}

/** Keeps the console serving the verdict for `ms`, or until Ctrl-C. */
async function linger(ms: number, progress: ReturnType<typeof createProgress>): Promise<void> {
  if (ms <= 0) return;
  progress.log(`chatquake up: the console shows the verdict for ${ms / 1000}s more; Ctrl-C to leave now`);
  await new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}
