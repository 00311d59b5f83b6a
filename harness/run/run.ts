// One run, start to finish: bring up the topology, record the history while load and faults
// run side by side, heal, await convergence, read every region's final state, tear everything
// down, then judge the history and write the results. Teardown is certain: everything started
// is registered with the cleanup registry, which runs on success, on error and on a signal.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, relative, resolve } from 'node:path';
import {
  type AppliedFault,
  createProcessBackend,
  createToxiproxyBackend,
  runTimeline,
  type TimelineRun,
} from '../../chaos/index.ts';
import type { HistoryEvent } from '../../contracts/history.ts';
import type { Summary } from '../../contracts/summary.ts';
import { createRandom } from '../../lib/random.ts';
import {
  awaitConvergence,
  createRecorder,
  type HistoryRecorder,
  type LiveStats,
  type LoadResult,
  recordFinalReads,
  runLoad,
} from '../../load/index.ts';
import type { Progress } from '../cli/progress.ts';
import { type CleanupRegistry, cleanup as defaultCleanup } from '../local/cleanup.ts';
import { createLocalSystem, createProcessControl } from '../local/system.ts';
import { type LocalTopology, startLocalTopology } from '../local/topology.ts';
import { writeReport, writeResults } from '../results/results.ts';
import type { PreparedRun } from '../scenario/prepare.ts';
import { createAdminBackend } from '../targets/reference/admin.ts';
import { createReferenceTarget } from '../targets/reference/target.ts';
import { createLiveJudge, type Judgement, judgeRun, type LiveJudge } from './judge.ts';
import type { RunRecord } from './run-record.ts';

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
}

export interface RunOutcome {
  runDir: string;
  judgement: Judgement;
  record: RunRecord;
  summary: Summary;
}

function stamp(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}-${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`;
}

/** A fresh run folder: runs/20260101-120000-region-outage, with -2, -3 if taken. */
export function newRunDir(base: string, scenario: string, now = new Date()): string {
  const stem = join(base, `${stamp(now)}-${scenario}`);
  let dir = stem;
  for (let n = 2; existsSync(dir); n++) dir = `${stem}-${n}`;
  return dir;
}

/** Harness wall-clock ms, the history's time base. */
const wall = (): number => performance.timeOrigin + performance.now();

export async function runScenario(options: RunOptions): Promise<RunOutcome> {
  const { prepared, progress } = options;
  const registry = options.registry ?? defaultCleanup;
  const cwd = options.cwd ?? process.cwd();
  const { scenario, seed } = prepared;
  const startedAt = new Date();
  const runDir = resolve(cwd, options.outDir ?? newRunDir(join(cwd, 'runs'), scenario.name, startedAt));
  mkdirSync(runDir, { recursive: true });
  clearRunFiles(runDir);
  const runId = `${stamp(startedAt)}-${scenario.name}-${seed}`;
  const shown = relative(cwd, runDir) || '.';
  progress.log(`chatquake: ${scenario.name} (seed ${seed}${prepared.seedDrawn ? ', drawn' : ''}) → ${shown}`);

  const record: RunRecord = {
    schemaVersion: 1,
    runId,
    scenario: {
      name: scenario.name,
      description: scenario.description,
      path: prepared.path,
      durationMs: scenario.durationMs,
      topology: scenario.topology,
      workload: scenario.workload,
      chaos: scenario.chaos,
      thresholds: scenario.thresholds,
      convergenceDeadlineMs: scenario.convergenceDeadlineMs,
    },
    seed,
    startedAt: startedAt.toISOString(),
    endedAt: startedAt.toISOString(),
    wallSeconds: 0,
    host: hostname(),
    topology: { regions: scenario.topology.regions.map((name) => ({ name, nodes: [] })) },
    aliases: prepared.aliases,
    thresholds: prepared.thresholds.raw,
    faults: prepared.faults.map((f) => ({
      id: f.id,
      kind: f.kind,
      target: f.target,
      regions: f.regions,
      plannedAt: f.at,
      plannedUntil: f.until,
      appliedAt: null,
      revertedAt: null,
    })),
    load: null,
    convergence: null,
    interrupted: null,
    errors: [],
    warnings: [],
  };
  writeFileSync(join(runDir, 'run.json'), `${JSON.stringify(record, null, 2)}\n`);

  const historyPath = join(runDir, 'history.jsonl');
  const abort = new AbortController();
  const onOuterAbort = () => abort.abort(options.signal?.reason);
  if (options.signal?.aborted) abort.abort(options.signal.reason);
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });

  let topology: LocalTopology | undefined;
  let recorder: HistoryRecorder | undefined;
  let timeline: TimelineRun | undefined;
  let loadResult: LoadResult | undefined;
  let applied: AppliedFault[] = [];
  const live = createLiveJudge(prepared);
  let phase = 'start';
  const started = performance.now();
  let loadStartMono = 0;
  let lastStats: LiveStats | undefined;

  const statusLine = (stats: LiveStats | undefined) => {
    const activeFaults = timeline?.active().map((f) => f.id) ?? [];
    progress.update({
      phase,
      elapsedMs: loadStartMono > 0 ? performance.now() - loadStartMono : 0,
      totalMs: scenario.durationMs,
      sentPerSec: stats?.sentPerSec ?? 0,
      deliveredPerSec: stats?.deliveredPerSec ?? 0,
      deliveryP99Ms: stats?.deliveryP99Ms ?? Number.NaN,
      reconnects: stats?.reconnects ?? 0,
      activeFaults,
      violations: live.violations(),
      sent: stats?.sent ?? 0,
      acked: stats?.acked ?? 0,
      delivered: stats?.delivered ?? 0,
      healthy: stats?.healthy ?? true,
    });
  };

  try {
    phase = 'setup';
    topology = await startLocalTopology({
      runDir,
      regions: scenario.topology.regions,
      nodesPerRegion: scenario.topology.nodesPerRegion,
      ack: scenario.topology.ack,
      leaseMs: scenario.topology.leaseMs,
      bugs: scenario.topology.bugs,
      seed,
      // Credentials are per run and random: they have nothing to do with what the seed replays.
      secret: randomBytes(16).toString('hex'),
      adminToken: randomBytes(16).toString('hex'),
      toxiproxyUrl: options.toxiproxyUrl,
      registry,
      onStatus: (message) => progress.log(`  ${message}`),
    });
    const topo = topology;
    record.topology = { regions: topo.describe().regions };
    if (abort.signal.aborted) throw new Interrupted();

    // The adapter reads these arrays on every call: a node added mid-run is appended here.
    const referenceRegions = topo.regionEndpoints();
    const clientRandom = createRandom(seed).fork('client');
    const target = createReferenceTarget({
      regions: referenceRegions,
      secret: topo.secret,
      adminToken: topo.adminToken,
      random: () => clientRandom.next(),
    });
    const system = createLocalSystem(topo, target);
    const processBackend = createProcessBackend(
      createProcessControl(topo, {
        onNodeAdded: (info) => {
          const region = referenceRegions.find((r) => r.name === info.region);
          region?.endpoints.push(info.clientUrl);
          region?.adminUrls.push(info.httpUrl);
        },
      }),
    );
    const backends = {
      proxy: createToxiproxyBackend(topo.proxyApiUrl),
      process: processBackend,
      admin: createAdminBackend({
        adminToken: topo.adminToken,
        adminUrlOf: (id: string) => {
          const slash = id.indexOf('/');
          return topo.node(id.slice(0, slash), id.slice(slash + 1)).httpUrl;
        },
      }),
    };
    // The history must say a fault started before anything it caused (the checkers read the
    // file in order, and a killed node drops its clients before the timeline has finished
    // applying the fault and reports it). So fault_start is written at the planned time, by a
    // timer of our own, or when the timeline reports the fault if that comes first.
    const startWritten = new Set<string>();
    const startTimers: NodeJS.Timeout[] = [];
    registry.add('fault start timers', () => {
      for (const timer of startTimers) clearTimeout(timer);
    });
    const writeFaultStart = (id: string): void => {
      if (startWritten.has(id) || abort.signal.aborted) return;
      const fault = prepared.faults.find((f) => f.id === id);
      if (fault === undefined) return;
      startWritten.add(id);
      try {
        append({
          type: 'fault_start',
          t: wall(),
          faultId: fault.id,
          kind: fault.kind,
          target: fault.target,
          regions: fault.regions,
        });
      } catch {
        // The history is closed: the run is over.
      }
    };

    const file = createRecorder(historyPath);
    recorder = file;
    registry.add('close history', () => file.close());
    let healStarted: Promise<void> | undefined;
    const heal = (): Promise<void> => {
      healStarted ??= timeline ? timeline.healAll() : Promise.resolve();
      return healStarted;
    };
    // Load start and stop come from inside runLoad: the recorder is where they show up first,
    // so the timeline starts on load_start and heals on load_stop, exactly on time.
    const append = (event: HistoryEvent): void => {
      file.append(event);
      live.add(event);
      if (event.type === 'phase' && event.name === 'load_start' && timeline === undefined) {
        loadStartMono = performance.now();
        phase = 'load';
        for (const fault of prepared.faults) {
          const timer = setTimeout(() => writeFaultStart(fault.id), Math.max(0, event.t + fault.at - wall()));
          timer.unref();
          startTimers.push(timer);
        }
        abort.signal.addEventListener('abort', () => startTimers.forEach(clearTimeout), { once: true });
        timeline = runTimeline({
          faults: prepared.faults,
          backends,
          startAt: event.t,
          signal: abort.signal,
          onEvent: (e) => {
            if (e.type === 'fault_start') writeFaultStart(e.faultId);
            else if (startWritten.has(e.faultId)) {
              try {
                append({ type: 'fault_stop', t: e.t, faultId: e.faultId });
              } catch {
                // The history is already closed (a heal after an error); faults.json still has it.
              }
            }
            progress.log(
              `  ${((e.t - event.t) / 1000).toFixed(1).padStart(5)}s  ${e.type === 'fault_start' ? 'fault ' : 'healed'} ${e.faultId}  ${e.target}`,
            );
          },
        });
      } else if (event.type === 'phase' && event.name === 'load_stop') {
        phase = 'drain';
        void heal();
      }
    };
    const wrapped: HistoryRecorder = {
      get path() {
        return file.path;
      },
      get count() {
        return file.count;
      },
      append,
      flush: () => file.flush(),
      close: () => file.close(),
    };

    append({
      type: 'run_start',
      t: wall(),
      runId,
      scenario: scenario.name,
      seed,
      regions: [...scenario.topology.regions],
      ackLevel: scenario.topology.ack,
    });
    const ticker = setInterval(() => statusLine(lastStats), 1000);
    ticker.unref();
    registry.add('status ticker', () => clearInterval(ticker));
    try {
      loadResult = await runLoad({
        target: system,
        spec: scenario.workload,
        workload: prepared.workload,
        durationMs: scenario.durationMs,
        seed,
        recorder: wrapped,
        signal: abort.signal,
        onTick: (stats) => {
          lastStats = stats;
          statusLine(stats);
          const abortReason = live.abortReason(stats.elapsedMs);
          if (abortReason !== undefined && !abort.signal.aborted) {
            progress.log(`  threshold failed with abortOnFail: ${abortReason}; stopping the run`);
            record.interrupted = { reason: 'threshold', detail: abortReason };
            abort.abort(new ThresholdAbort(abortReason));
          }
        },
      });
    } finally {
      clearInterval(ticker);
    }
    record.load = {
      sent: loadResult.sent,
      acked: loadResult.acked,
      delivered: loadResult.delivered,
      failed: loadResult.failed,
      indeterminate: loadResult.indeterminate,
      valid: loadResult.valid,
      invalidReasons: loadResult.invalidReasons,
      aborted: loadResult.aborted,
      lateSends: loadResult.lateSends,
      unsent: loadResult.unsent,
      sendLagP99Ms: loadResult.sendLagP99Ms,
      sendLagMaxMs: loadResult.sendLagMaxMs,
      eventLoopDelayP99Ms: loadResult.eventLoopDelayP99Ms,
    };

    phase = 'heal';
    statusLine(lastStats);
    await heal();
    applied = timeline ? await timeline.done : [];
    for (const error of timeline?.healErrors() ?? []) record.warnings.push(`heal: ${error}`);
    append({ type: 'phase', t: wall(), name: 'healed' });

    if (!abort.signal.aborted) {
      phase = 'converge';
      progress.log('  load stopped, faults healed; waiting for the regions to agree');
      statusLine(lastStats);
      const regions = scenario.topology.regions;
      const conversations = prepared.workload.conversations.map((c) => ({
        id: c.id,
        regions: c.residency ? regions.filter((r) => c.residency?.includes(r)) : [...regions],
      }));
      const convergence = await awaitConvergence({
        target: system,
        conversations,
        recorder: wrapped,
        deadlineMs: scenario.convergenceDeadlineMs,
        signal: abort.signal,
      });
      record.convergence = {
        converged: convergence.converged.length,
        notConverged: convergence.notConverged.length,
        seconds: convergence.elapsedMs / 1000,
      };
      append({ type: 'phase', t: wall(), name: 'converged' });
      phase = 'read';
      append({ type: 'phase', t: wall(), name: 'final_reads' });
      await recordFinalReads({
        target: system,
        conversations: prepared.workload.conversations.map((c) => ({ id: c.id, regions: [...regions] })),
        recorder: wrapped,
      });
    }
  } catch (error) {
    if (error instanceof Interrupted || abort.signal.aborted) {
      // Reported below from the signal.
    } else {
      record.errors.push(error instanceof Error ? error.message : String(error));
    }
  } finally {
    options.signal?.removeEventListener('abort', onOuterAbort);
    if (abort.signal.aborted && record.interrupted === null) {
      const reason = abort.signal.reason;
      record.interrupted = {
        reason: 'signal',
        detail: typeof reason === 'string' ? reason : reason instanceof Error ? reason.message : 'aborted',
      };
    }
    phase = 'stop';
    // Nodes added mid-run (scaleOut) belong in the record too.
    if (topology !== undefined) record.topology = { regions: topology.describe().regions };
    if (timeline !== undefined) {
      await timeline.healAll().catch(() => {});
      if (applied.length === 0) applied = await timeline.done;
    }
    if (recorder !== undefined) {
      try {
        recorder.append({
          type: 'run_end',
          t: wall(),
          ...(record.interrupted ? { reason: `interrupted: ${record.interrupted.detail}` } : {}),
        });
      } catch {
        // Closed already by an error path.
      }
      await recorder.close().catch(() => {});
    }
    progress.done();
    if (topology !== undefined) {
      progress.log('  stopping the topology');
      await topology.close();
    }
  }

  record.faults = record.faults.map((f) => {
    const a = applied.find((x) => x.id === f.id);
    return a === undefined
      ? f
      : { ...f, appliedAt: a.appliedAt, revertedAt: a.revertedAt, ...(a.error ? { error: a.error } : {}) };
  });
  const endedAt = new Date();
  record.endedAt = endedAt.toISOString();
  record.wallSeconds = (performance.now() - started) / 1000;
  writeFileSync(join(runDir, 'run.json'), `${JSON.stringify(record, null, 2)}\n`);
  writeFileSync(join(runDir, 'faults.json'), `${JSON.stringify(faultsFile(prepared, record), null, 2)}\n`);

  progress.log('  checking the history');
  let judgement: Judgement;
  try {
    judgement = judgeRun({ runDir, record, thresholds: prepared.thresholds });
  } catch (error) {
    // A checker that crashes must still leave a summary behind that says so (exit 1).
    record.errors.push(
      `checking the history failed: ${error instanceof Error ? error.message : String(error)}`,
    );
    judgement = judgeRun({ runDir, record, thresholds: prepared.thresholds, events: [] });
  }
  const summary = writeResults(runDir, record, judgement);
  await writeReport(runDir, summary, progress);
  return { runDir, judgement, record, summary };
}

/** The files a run writes; an earlier run's in the same --out folder are removed first. */
export const RUN_FILES = [
  'history.jsonl',
  'run.json',
  'faults.json',
  'summary.json',
  'junit.xml',
  'report.html',
  'logs',
  'data',
] as const;

function clearRunFiles(runDir: string): void {
  for (const name of RUN_FILES) rmSync(join(runDir, name), { recursive: true, force: true });
}

function faultsFile(prepared: PreparedRun, record: RunRecord) {
  return {
    aliases: prepared.aliases,
    faults: prepared.faults.map((f) => {
      const applied = record.faults.find((x) => x.id === f.id);
      return {
        id: f.id,
        kind: f.kind,
        target: f.target,
        regions: f.regions,
        at: f.at,
        until: f.until,
        appliedAt: applied?.appliedAt ?? null,
        revertedAt: applied?.revertedAt ?? null,
        ...(applied?.error ? { error: applied.error } : {}),
        actions: f.actions,
        reverts: f.reverts,
        ...(f.steps ? { steps: f.steps } : {}),
      };
    }),
  };
}

class Interrupted extends Error {}

export class ThresholdAbort extends Error {
  override name = 'ThresholdAbort';
}

export type { LiveJudge };
