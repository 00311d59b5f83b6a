// The middle of a run: the load runs (the faults start and heal from its phase events, see
// history.ts) with a live status line and the abortOnFail thresholds watched on every tick;
// then every fault heals, the regions are given time to converge, and every region's final
// state is read into the history.
import type { SystemUnderTest } from '../../contracts/target.ts';
import { awaitConvergence, type LoadResult, recordFinalReads, runLoad } from '../../load/index.ts';
import { targetNamed } from '../targets/index.ts';
import type { RunHistory } from './history.ts';
import { type RunState, showStatus, ThresholdAbort, wall } from './state.ts';

/** Writes run_start, runs the load to its end (or the abort), and fills in `record.load`. */
export async function runLoadPhase(
  state: RunState,
  system: SystemUnderTest,
  history: RunHistory,
): Promise<void> {
  const { prepared, progress, record, abort, live } = state;
  const { scenario, seed } = prepared;
  history.append({
    type: 'run_start',
    t: wall(),
    runId: state.runId,
    scenario: scenario.name,
    seed,
    regions: [...scenario.topology.regions],
    ackLevel: targetNamed(scenario.target).ackLevel(scenario.topology),
  });
  const ticker = setInterval(() => showStatus(state, state.lastStats), 1000);
  ticker.unref();
  state.registry.add('status ticker', () => clearInterval(ticker));
  let loadResult: LoadResult;
  try {
    loadResult = await runLoad({
      target: system,
      spec: scenario.workload,
      workload: prepared.workload,
      durationMs: scenario.durationMs,
      seed,
      recorder: history.recorder,
      signal: abort.signal,
      stop: state.liveHooks?.stop,
      onTick: (stats) => {
        state.lastStats = stats;
        showStatus(state, stats);
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
}

/** Heals every fault; then, unless aborted, awaits convergence and records the final reads. */
export async function settle(state: RunState, system: SystemUnderTest, history: RunHistory): Promise<void> {
  const { prepared, progress, record, abort } = state;
  const { append, recorder } = history;
  state.phase = 'heal';
  showStatus(state, state.lastStats);
  await history.heal();
  state.applied = state.timeline ? await state.timeline.done : [];
  for (const error of state.timeline?.healErrors() ?? []) record.warnings.push(`heal: ${error}`);
  append({ type: 'phase', t: wall(), name: 'healed' });
  if (abort.signal.aborted) return;

  state.phase = 'converge';
  progress.log('  load stopped, faults healed; waiting for the regions to agree');
  showStatus(state, state.lastStats);
  const regions = prepared.scenario.topology.regions;
  const conversations = prepared.workload.conversations.map((c) => ({
    id: c.id,
    regions: c.residency ? regions.filter((r) => c.residency?.includes(r)) : [...regions],
  }));
  const convergence = await awaitConvergence({
    target: system,
    conversations,
    recorder,
    deadlineMs: prepared.scenario.convergenceDeadlineMs,
    signal: abort.signal,
  });
  record.convergence = {
    converged: convergence.converged.length,
    notConverged: convergence.notConverged.length,
    seconds: convergence.elapsedMs / 1000,
  };
  append({ type: 'phase', t: wall(), name: 'converged' });
  state.phase = 'read';
  append({ type: 'phase', t: wall(), name: 'final_reads' });
  await recordFinalReads({
    target: system,
    conversations: prepared.workload.conversations.map((c) => ({ id: c.id, regions: [...regions] })),
    recorder,
  });
}
