// The faults of a run, started on load_start: the timeline that applies and reverts them, and
// the fault_start / fault_stop events it causes in the history.
//
// The history must say a fault started before anything it caused (the checkers read the
// file in order, and a killed node drops its clients before the timeline has finished
// applying the fault and reports it). So fault_start is written at the planned time, by a
// timer of our own, or when the timeline reports the fault if that comes first.
//
// A session run by hand (`chatquake up`) plans no fault: its live timeline starts empty and
// each fault injected joins the plan (prepared.faults) as it is scheduled, so the history,
// run.json and the report tell it exactly as they tell a planned one.
import {
  type ChaosBackends,
  createLiveTimeline,
  type LiveTimeline,
  type ResolvedFault,
  runTimeline,
  type TimelineEvent,
} from '../../chaos/index.ts';
import type { HistoryEvent } from '../../contracts/history.ts';
import { plannedFaultRecord } from './run-dir.ts';
import { type RunState, wall } from './state.ts';

/**
 * A fault injected by hand joins the run's plan as it is scheduled: prepared.faults (faults.json,
 * the fault_start event) and run.json's record (its applied and reverted times).
 */
function planLiveFault(state: RunState, fault: ResolvedFault): void {
  state.prepared.faults.push(fault);
  state.record.faults.push(plannedFaultRecord(fault));
}

export interface FaultSchedule {
  /** Arms the fault_start timers and starts the timeline into `state.timeline`; load started at `t`. */
  start(t: number): void;
}

/**
 * Registers the clearing of the fault_start timers with the cleanup registry at once; `append`
 * writes to the history (and throws once it is closed).
 */
export function createFaultSchedule(
  state: RunState,
  backends: ChaosBackends,
  append: (event: HistoryEvent) => void,
): FaultSchedule {
  const { prepared, abort, progress } = state;
  const startWritten = new Set<string>();
  const startTimers: NodeJS.Timeout[] = [];
  state.registry.add('fault start timers', () => {
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

  const start = (loadStart: number): void => {
    for (const fault of prepared.faults) {
      const timer = setTimeout(() => writeFaultStart(fault.id), Math.max(0, loadStart + fault.at - wall()));
      timer.unref();
      startTimers.push(timer);
    }
    abort.signal.addEventListener('abort', () => startTimers.forEach(clearTimeout), { once: true });
    const onEvent = (e: TimelineEvent): void => {
      if (e.type === 'fault_start') writeFaultStart(e.faultId);
      else if (startWritten.has(e.faultId)) {
        try {
          append({ type: 'fault_stop', t: e.t, faultId: e.faultId });
        } catch {
          // The history is already closed (a heal after an error); faults.json still has it.
        }
      }
      progress.log(
        `  ${((e.t - loadStart) / 1000).toFixed(1).padStart(5)}s  ${e.type === 'fault_start' ? 'fault ' : 'healed'} ${e.faultId}  ${e.target}`,
      );
    };
    const hooks = state.liveHooks;
    if (hooks === undefined) {
      state.timeline = runTimeline({
        faults: prepared.faults,
        backends,
        startAt: loadStart,
        signal: abort.signal,
        onEvent,
      });
      return;
    }
    const live = createLiveTimeline({ backends, startAt: loadStart, signal: abort.signal, onEvent });
    // As for a planned fault, fault_start goes to the history before the fault acts: a killed
    // node drops its clients before its kill has been reported.
    const timeline: LiveTimeline = {
      ...live,
      inject: (fault, onScheduled) =>
        live.inject(fault, (shifted) => {
          onScheduled?.(shifted);
          planLiveFault(state, shifted);
          writeFaultStart(shifted.id);
        }),
    };
    state.timeline = timeline;
    hooks.onLoadStart(timeline, state);
  };
  return { start };
}
