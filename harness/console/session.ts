// A game-day session (`chatquake up`): the same run as `chatquake run` (topology, load,
// history, heal, convergence, final reads, judgement, the same run folder and report), with no
// planned fault and no end but the Stop button, Ctrl-C or the session's bound, and a console
// serving its live state and taking faults by hand. This file joins the parts: the run with its
// live hooks, the model its history feeds, the node scraper, the controls and the HTTP server.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChaosTopology, LiveTimeline } from '../../chaos/index.ts';
import type { ConsoleResult, ConsoleState } from '../../contracts/console.ts';
import type { Progress } from '../cli/progress.ts';
import { type RunOptions, type RunOutcome, runScenario } from '../run/run.ts';
import type { RunState } from '../run/state.ts';
import { chaosTopologyOfLayout, type PreparedRun } from '../scenario/prepare.ts';
import { targetNamed } from '../targets/index.ts';
import { consoleCatalogue } from './catalogue.ts';
import { createControls } from './controls.ts';
import { type ConsoleServer, startConsoleServer } from './http.ts';
import { type NodeScraper, startNodeScraper } from './scrape.ts';
import { createSessionModel } from './state.ts';

/** The built page, shipped in the package (npm run build:console). */
export const CONSOLE_ASSETS = fileURLToPath(new URL('../../console/dist/', import.meta.url));

export interface ConsoleSessionOptions extends Omit<RunOptions, 'prepared' | 'progress'> {
  /** The run with no planned fault; its duration is the session's bound. */
  prepared: PreparedRun;
  /** The run folder (the console shows it from the start). */
  outDir: string;
  /** The scenario's own planned faults (specs), offered as presets. */
  presets: Record<string, unknown>[];
  progress: Progress;
  host: string;
  port: number;
  token?: string;
  /** Default CONSOLE_ASSETS. */
  assets?: string;
  /** Called with the console's address once it serves. */
  onListening?: (url: string) => void;
}

export interface ConsoleSession {
  /** Ends the load; the session heals, converges and is judged (the Stop button). */
  stop(): void;
  /** Resolves when the run is judged and its folder written; the console still serves. */
  outcome: Promise<RunOutcome>;
  /** Stops serving the console. */
  close(): Promise<void>;
}

const TICK_MS = 1000;

/**
 * The page's folder. A packed chatquake carries it built (prepack); a checkout builds it here the
 * first time, with the Vite its dev dependencies installed (a few seconds). Without either, an
 * error says how to build it.
 */
export function consoleAssets(dir = CONSOLE_ASSETS): string {
  if (existsSync(join(dir, 'index.html'))) return dir;
  const config = join(dir, '..', 'vite.config.ts');
  let vite: string | undefined;
  try {
    vite = join(dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin', 'vite.js');
  } catch {
    vite = undefined;
  }
  if (vite === undefined || !existsSync(config))
    throw new Error(
      `the console's page is not built (no ${join(dir, 'index.html')}): run npm run build:console`,
    );
  execFileSync(process.execPath, [vite, 'build', '--config', config, '--logLevel', 'warn'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return dir;
}

export async function startConsoleSession(options: ConsoleSessionOptions): Promise<ConsoleSession> {
  const { prepared } = options;
  const assets = consoleAssets(options.assets);
  const stopper = new AbortController();
  const model = createSessionModel(prepared, prepared.scenario.durationMs);
  const topology: ChaosTopology = chaosTopologyOfLayout(prepared.layout);
  const gauges = targetNamed(prepared.scenario.target).consoleGauges;
  let run: RunState | undefined;
  let timeline: LiveTimeline | undefined;
  let scraper: NodeScraper | undefined;
  const runDir = resolve(options.cwd ?? process.cwd(), options.outDir);
  let reportPath: string | undefined;

  const stop = (): void => {
    if (stopper.signal.aborted) return;
    if (model.phase() === 'load' || model.phase() === 'starting') model.setPhase('stopping');
    model.log('info', 'stop asked: load ends, then every fault heals and the run is judged');
    stopper.abort();
  };
  const controls = createControls({
    topology,
    aliases: prepared.aliases,
    seed: prepared.seed,
    timeline: () => timeline,
    remainingMs: () => prepared.scenario.durationMs - (run ? performance.now() - run.loadStartMono : 0),
    closed: () => (model.phase() === 'load' ? undefined : `the session is ${model.phase()}: no new faults`),
    plan: (fault) => model.markManual(fault),
    stop,
  });
  const state = (): ConsoleState =>
    model.snapshot({
      topology,
      readings: scraper?.readings() ?? new Map(),
      violations: run?.live.violationsByCheck() ?? { duplicates: 0, order: 0 },
      runDir,
    });
  let server: ConsoleServer | undefined;
  const broadcastAfter =
    <A extends unknown[], T>(fn: (...args: A) => Promise<T>) =>
    async (...args: A): Promise<T> => {
      try {
        return await fn(...args);
      } finally {
        server?.broadcast();
      }
    };
  server = await startConsoleServer({
    host: options.host,
    port: options.port,
    ...(options.token === undefined ? {} : { token: options.token }),
    assets,
    state,
    catalogue: () => consoleCatalogue(topology, prepared.aliases, options.presets),
    report: () => reportPath,
    controls: {
      inject: broadcastAfter(controls.inject),
      heal: broadcastAfter(controls.heal),
      healAll: broadcastAfter(controls.healAll),
      stop: () => {
        controls.stop();
        server?.broadcast();
      },
    },
  });
  options.onListening?.(server.url);
  let failoversSeen = 0;
  const ticker = setInterval(() => {
    const now = state();
    if (now.failovers.count <= failoversSeen) return server?.broadcast(now);
    model.log('warn', `${now.failovers.count - failoversSeen} client sessions failed over`);
    failoversSeen = now.failovers.count;
    // The state again, with the line just logged in it.
    server?.broadcast();
  }, TICK_MS).unref();

  const outcome = runScenario({
    ...options,
    live: {
      stop: stopper.signal,
      onLoadStart(live, runState) {
        timeline = live;
        run = runState;
        scraper = startNodeScraper(
          () =>
            (runState.observer?.endpoints.nodes ?? []).map((n) => ({
              id: `${n.region}/${n.node}`,
              metrics: n.metrics,
            })),
          gauges,
        );
      },
      onEvent: (event) => model.observe(event),
    },
  }).then(
    (result) => {
      scraper?.stop();
      const final = resultOf(result);
      reportPath = final.report;
      model.finish(final, 'ended');
      model.log(result.judgement.ok ? 'info' : 'error', `session ended: ${result.judgement.reason}`);
      server?.broadcast();
      return result;
    },
    (error: unknown) => {
      scraper?.stop();
      model.finish(null, 'failed');
      model.log('error', `the session failed: ${error instanceof Error ? error.message : String(error)}`);
      server?.broadcast();
      throw error;
    },
  );
  return {
    stop,
    outcome,
    async close() {
      clearInterval(ticker);
      await server?.close();
    },
  };
}

function resultOf(outcome: RunOutcome): ConsoleResult {
  const { judgement, runDir } = outcome;
  return {
    exitCode: judgement.exitCode,
    passed: judgement.ok,
    runDir,
    report: join(runDir, 'report.html'),
    failures: [
      ...judgement.thresholds.filter((t) => !t.ok).map((t) => `threshold ${t.name} (actual ${t.actual})`),
      ...judgement.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.actual}`),
      ...judgement.invalidReasons,
    ],
  };
}
