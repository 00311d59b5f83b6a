// Test code only, not k6: part of the stand-in (index.ts) that lets the suite run generated k6
// scripts where k6 cannot be installed; behaviour follows k6's docs.
// It is the shared state of one run of the k6 stand-in (the
// runner and the stand-in's k6/* modules), so that the suite can run generated k6 scripts where
// k6 cannot be installed. Which VU is running is carried by AsyncLocalStorage, which timers and
// socket callbacks keep, the way k6 gives every VU its own runtime.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Output } from './output.ts';

/** Something a VU waits for before its iteration may end: an open socket, a pending timer. */
export interface Pending {
  /** Cut it now (the iteration is interrupted or failed): close the socket, clear the timer. */
  cancel(): void;
}

export interface VuState {
  /** exec.vu.idInTest, 1-based; 0 is the VU that runs setup() and teardown(). */
  id: number;
  /** exec.vu.idInInstance: the same unless the run is one execution segment of several. */
  idInInstance: number;
  /** The iteration under way in this VU, 0-based (k6's __ITER). */
  iteration: number;
  /** The same iteration numbered across the whole test (exec.scenario.iterationInTest). */
  iterationInTest: number;
  /** exec.vu.metrics.tags: added to every sample of this VU. */
  tags: Record<string, string>;
  /** exec.vu.metrics.metadata. */
  metadata: Record<string, string>;
  pending: Set<Pending>;
  /** Set once the iteration ended: callbacks still queued do nothing. */
  ended: boolean;
  /** Something in pending went away: the iteration may now be over. */
  changed(): void;
  /** An exception in one of this VU's callbacks: the iteration fails. */
  fail(error: unknown): void;
}

export interface ScenarioState {
  name: string;
  executor: string;
  /** Unix ms, the same for every VU of the run. */
  startTime: number;
  /** Iterations planned in all, for exec.scenario.progress. */
  planned: number;
  tags: Record<string, string>;
}

export interface RunState {
  scenario: ScenarioState;
  /** Unix ms at the start of the run (init included). */
  startedAt: number;
  testTags: Record<string, string>;
  /** The script's exported options, for exec.test.options. */
  options: Record<string, unknown>;
  /** metric name → the threshold expressions the script gave it (listed in the output, not judged). */
  thresholds: Map<string, string[]>;
  output: Output;
  /** 'init' while the VUs' modules load: metrics may be declared only then, as in k6. */
  phase: 'init' | 'run' | 'done';
  /** The VU whose module is being loaded (init code runs outside any AsyncLocalStorage context). */
  initVu: VuState | undefined;
  counters: {
    completed: number;
    interrupted: number;
    vusActive: number;
    vusInitialized: number;
    /** Iterations started in all, for exec.scenario.iterationInTest. */
    started: number;
  };
  /** exec.test.abort(reason): the whole test stops. */
  abort(reason: string): void;
  /** exec.test.fail(message): the test goes on but is marked failed. */
  failed: string | undefined;
  aborted: string | undefined;
}

export const vuStorage = new AsyncLocalStorage<VuState>();

let run: RunState | undefined;

export function setRun(state: RunState | undefined): void {
  run = state;
}

/** The run under way; k6 modules used outside a run are a mistake of the caller. */
export function currentRun(): RunState {
  if (run === undefined) throw new Error('k6 stand-in: no run under way (load k6 scripts through runK6)');
  return run;
}

/** The VU whose code is running, or undefined outside any VU (the runner itself). */
export function currentVu(): VuState | undefined {
  return vuStorage.getStore() ?? run?.initVu;
}

/** The VU whose code is running; k6 APIs that need one throw outside it, as k6's do. */
export function requireVu(what: string): VuState {
  const vu = vuStorage.getStore();
  if (vu === undefined) throw new Error(`${what} is not supported in the init context`);
  return vu;
}

/**
 * Runs fn as the VU's code: its exceptions, and the rejection of a promise it returns (an async
 * handler), fail the VU's iteration instead of escaping.
 */
export function callAsVu(vu: VuState, fn: () => unknown): void {
  if (vu.ended) return;
  vuStorage.run(vu, () => {
    try {
      const result = fn();
      if (result instanceof Promise) result.catch((error: unknown) => vu.fail(error));
    } catch (error) {
      vu.fail(error);
    }
  });
}
