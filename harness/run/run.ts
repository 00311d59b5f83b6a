// One run, start to finish: bring up the topology, record the history while load and faults
// run side by side, heal, await convergence, read every region's final state, tear everything
// down, then judge the history and write the results. Teardown is certain: everything started
// is registered with the cleanup registry, which runs on success, on error and on a signal.
// This file runs the phases in order over one RunState (state.ts); each phase has its module.
// Before it starts anything it clears what a crashed earlier run in the same tree left behind,
// and it keeps its own record of what it started (started.json) for the next one.
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, relative, resolve } from 'node:path';
import type { Summary } from '../../contracts/summary.ts';
import { withIdPrefix } from '../../load/index.ts';
import type { Progress } from '../cli/progress.ts';
import { clearDockerLeftovers, describeDockerCleared } from '../docker/leftovers.ts';
import { type CleanupRegistry, cleanup as defaultCleanup } from '../local/cleanup.ts';
import { createRunLedger } from '../local/ledger.ts';
import { clearLeftovers, describeCleared } from '../local/leftovers.ts';
import type { PreparedRun } from '../scenario/prepare.ts';
import { targetNamed } from '../targets/index.ts';
import { finishRun } from './finish.ts';
import { openHistory } from './history.ts';
import type { Judgement, LiveJudge } from './judge.ts';
import { runLoadPhase, settle } from './load-phase.ts';
import { startObserving } from './observe.ts';
import { initialRecord, newRunDir, openRunDir, writeRunJson } from './run-dir.ts';
import type { RunRecord } from './run-record.ts';
import { connectSystem, startRunTracing, startTopology, type TopologyMode } from './start.ts';
import { createRunState, type LiveRunHooks } from './state.ts';
import { followSignal, noteFailure, tearDown } from './teardown.ts';

export { newRunDir, RUN_FILES } from './run-dir.ts';
export { ThresholdAbort } from './state.ts';

export interface RunOptions {
  prepared: PreparedRun;
  /** The run folder; default runs/<time>-<scenario> under cwd. */
  outDir?: string;
  cwd?: string;
  progress: Progress;
  /** Aborting stops the run early (SIGINT): faults heal, processes stop, partial results are written. */
  signal?: AbortSignal;
  registry?: CleanupRegistry;
  /** Use this Toxiproxy instead of the embedded proxy (default $TOXIPROXY_URL). */
  toxiproxyUrl?: string;
  /** `--tag KEY=VALUE`s, written to run.json, summary.json and junit.xml. */
  tags?: Record<string, string>;
  /** `--no-thresholds`: failed thresholds and checks do not fail the run (nor abort it early). */
  noThresholds?: boolean;
  /** `--mode`/`--image`: processes on this machine (default) or containers. */
  where?: TopologyMode;
  /** `--metrics-port`: serve the harness's /metrics on 127.0.0.1 (0: a free port); default off. */
  metricsPort?: number;
  /** `--metrics-host`: the address the harness's /metrics binds; default 127.0.0.1. */
  metricsHost?: string;
  /** `--prometheus FILE`: a Prometheus file_sd targets file of the run's processes. */
  prometheusFile?: string;
  /** A session run by hand (`chatquake up`): faults injected live, load ended by `stop`. */
  live?: LiveRunHooks;
}

export interface RunOutcome {
  runDir: string;
  judgement: Judgement;
  record: RunRecord;
  summary: Summary;
}

export async function runScenario(options: RunOptions): Promise<RunOutcome> {
  const { progress } = options;
  const prepared = ownIds(options.prepared, options.where);
  const cwd = options.cwd ?? process.cwd();
  const { scenario, seed } = prepared;
  const startedAt = new Date();
  const runDir = resolve(cwd, options.outDir ?? newRunDir(join(cwd, 'runs'), scenario.name, startedAt));
  // Before the folder is opened: a reused --out folder may be the crashed run.
  const where = options.where ?? { mode: 'local' };
  // Docker mode: containers and networks a crashed run left are found by their label. Not from
  // inside a compose harness: its pid namespace cannot tell a live owner on the host from a dead one.
  const dockerCleared = where.mode === 'docker' ? await clearDockerLeftovers() : undefined;
  const cleared = await clearLeftovers({
    searchDirs: [dirname(runDir), join(cwd, 'runs')],
    clearedBy: `${basename(runDir)} (pid ${process.pid})`,
  });
  const runId = openRunDir(runDir, prepared, startedAt);
  const ledger = createRunLedger(runDir, runId);
  const shown = relative(cwd, runDir) || '.';
  progress.log(`chatquake: ${scenario.name} (seed ${seed}${prepared.seedDrawn ? ', drawn' : ''}) → ${shown}`);
  // Shown even with --quiet: the user must hear that processes were killed.
  const clearedLine = describeCleared(cleared, cwd);
  if (clearedLine !== undefined) process.stderr.write(`${clearedLine}\n`);
  const dockerLine = dockerCleared === undefined ? undefined : describeDockerCleared(dockerCleared);
  if (dockerLine !== undefined) process.stderr.write(`${dockerLine}\n`);
  const record = initialRecord(prepared, runId, startedAt, {
    tags: options.tags ?? {},
    noThresholds: options.noThresholds ?? false,
  });
  writeRunJson(runDir, record);

  const abort = new AbortController();
  const stopFollowing = followSignal(abort, options.signal);
  const registry = options.registry ?? defaultCleanup;
  const state = createRunState({
    prepared,
    progress,
    registry,
    runDir,
    runId,
    record,
    abort,
    ledger,
    liveHooks: options.live,
  });
  const flushTraces = await startRunTracing(state);
  let closeTarget = async () => {};
  try {
    const runtime = await targetNamed(prepared.scenario.target).runtime();
    const topology = await startTopology(state, runtime, options.toxiproxyUrl, where);
    state.observer = await startObserving(state, topology, {
      metricsPort: options.metricsPort,
      metricsHost: options.metricsHost,
      prometheusFile: options.prometheusFile,
      proxyApiUrl: ownProxy(where, options.toxiproxyUrl) ? topology.proxyApiUrl : undefined,
    });
    const connected = connectSystem(topology, runtime, {
      seed,
      targetOptions: prepared.targetOptions,
      ledger,
      onNodeAdded: () => state.observer?.refresh(),
    });
    const { system, backends } = connected;
    closeTarget = connected.close;
    const history = openHistory(state, backends);
    await runLoadPhase(state, system, history);
    await settle(state, system, history);
  } catch (error) {
    noteFailure(state, error);
  } finally {
    stopFollowing();
    await closeTarget().catch((error: unknown) =>
      record.warnings.push(`closing the target: ${String(error)}`),
    );
    await tearDown(state);
    await flushTraces();
    ledger.finish();
    const problem = ledger.problem();
    if (problem !== undefined) record.warnings.push(problem);
  }
  const { judgement, summary } = await finishRun(state);
  return { runDir, judgement, record, summary };
}

/** Whether the fault proxy serves our /metrics: not an external Toxiproxy in local mode. */
function ownProxy(where: TopologyMode, toxiproxyUrl: string | undefined): boolean {
  const external = toxiproxyUrl ?? process.env.TOXIPROXY_URL;
  return where.mode !== 'local' || external === undefined || external === '';
}

/** An attached compose topology keeps earlier runs' data: this run's ids get a prefix of their own. */
function ownIds(prepared: PreparedRun, where: TopologyMode | undefined): PreparedRun {
  if (where?.mode !== 'compose') return prepared;
  return { ...prepared, workload: withIdPrefix(prepared.workload, `r${randomBytes(3).toString('hex')}.`) };
}

export type { LiveJudge };
