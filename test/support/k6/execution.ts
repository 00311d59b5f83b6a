// Test code only, not k6: part of the stand-in (index.ts) that lets the suite run generated k6
// scripts where k6 cannot be installed; behaviour follows k6's docs.
// The stand-in's k6/execution: what k6's docs say the running
// VU, its scenario, this instance and the test can read, for the VU whose code is running
// (found through AsyncLocalStorage, or the VU whose init code is loading).
import { currentRun, currentVu, requireVu } from './state.ts';

/** Thrown by exec.test.abort(): stops the VU that called it; the runner stops the rest. */
export class TestAborted extends Error {
  override name = 'TestAborted';
}

export const scenario = {
  get name(): string {
    return currentRun().scenario.name;
  },
  get executor(): string {
    return currentRun().scenario.executor;
  },
  get startTime(): number {
    return currentRun().scenario.startTime;
  },
  get progress(): number {
    const run = currentRun();
    const done = run.counters.completed + run.counters.interrupted;
    return run.scenario.planned === 0 ? 1 : Math.min(1, done / run.scenario.planned);
  },
  get iterationInInstance(): number {
    return requireVu('exec.scenario.iterationInInstance').iterationInTest;
  },
  get iterationInTest(): number {
    return requireVu('exec.scenario.iterationInTest').iterationInTest;
  },
};

export const instance = {
  get iterationsInterrupted(): number {
    return currentRun().counters.interrupted;
  },
  get iterationsCompleted(): number {
    return currentRun().counters.completed;
  },
  get vusActive(): number {
    return currentRun().counters.vusActive;
  },
  get vusInitialized(): number {
    return currentRun().counters.vusInitialized;
  },
  get currentTestRunDuration(): number {
    return Date.now() - currentRun().startedAt;
  },
};

export const vu = {
  get idInInstance(): number {
    return currentVu()?.idInInstance ?? 0;
  },
  get idInTest(): number {
    return currentVu()?.id ?? 0;
  },
  get iterationInInstance(): number {
    return requireVu('exec.vu.iterationInInstance').iteration;
  },
  get iterationInScenario(): number {
    return requireVu('exec.vu.iterationInScenario').iteration;
  },
  get tags(): Record<string, string> {
    return requireVu('exec.vu.tags').tags;
  },
  metrics: {
    get tags(): Record<string, string> {
      return requireVu('exec.vu.metrics.tags').tags;
    },
    get metadata(): Record<string, string> {
      return requireVu('exec.vu.metrics.metadata').metadata;
    },
  },
};

export const test = {
  abort(reason?: string): never {
    const why = reason ?? 'test aborted';
    currentRun().abort(why);
    throw new TestAborted(why);
  },
  fail(message?: string): void {
    currentRun().failed ??= message ?? 'test marked failed';
  },
  get options(): Record<string, unknown> {
    return currentRun().options;
  },
};

export default { scenario, instance, vu, test };
