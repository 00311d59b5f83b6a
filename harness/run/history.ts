// A run's history.jsonl as the run writes it: every event goes to the file and to the live
// judge, and the load's own phase events drive the faults. Load start and stop come from
// inside runLoad: the recorder is where they show up first, so the timeline starts on
// load_start and heals on load_stop, exactly on time.
import { join } from 'node:path';
import type { ChaosBackends } from '../../chaos/index.ts';
import type { HistoryEvent } from '../../contracts/history.ts';
import { createRecorder, type HistoryRecorder } from '../../load/index.ts';
import { createFaultSchedule } from './faults.ts';
import type { RunState } from './state.ts';

export interface RunHistory {
  /** Writes one event; throws once the file is closed. */
  append(event: HistoryEvent): void;
  /** The recorder load/ writes through: the same file, by way of `append`. */
  recorder: HistoryRecorder;
  /** Heals every fault; every call after the first waits for the same heal. */
  heal(): Promise<void>;
}

/** Opens the history into `state.recorder`, registered with the cleanup registry. */
export function openHistory(state: RunState, backends: ChaosBackends): RunHistory {
  const faults = createFaultSchedule(state, backends, (event) => append(event));
  const file = createRecorder(join(state.runDir, 'history.jsonl'));
  state.recorder = file;
  state.registry.add('close history', () => file.close());
  let healStarted: Promise<void> | undefined;
  const heal = (): Promise<void> => {
    healStarted ??= state.timeline ? state.timeline.healAll() : Promise.resolve();
    return healStarted;
  };
  const append = (event: HistoryEvent): void => {
    file.append(event);
    state.live.add(event);
    state.observer?.observe(event);
    state.liveHooks?.onEvent(event);
    if (event.type === 'phase' && event.name === 'load_start' && state.timeline === undefined) {
      state.loadStartMono = performance.now();
      state.phase = 'load';
      faults.start(event.t);
    } else if (event.type === 'phase' && event.name === 'load_stop') {
      state.phase = 'drain';
      void heal();
    }
  };
  const recorder: HistoryRecorder = {
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
  return { append, recorder, heal };
}
