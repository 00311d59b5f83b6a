// Test code only, not k6: part of the stand-in (index.ts) that lets the suite run generated k6
// scripts where k6 cannot be installed; behaviour follows k6's docs.
// The stand-in's engine, run inside the process main.ts starts:
// it loads a k6 script once per VU (a distinct `?vu=N` URL, so module state is per VU, as k6
// gives every VU its own runtime), runs the scenario's iterations on all VUs concurrently, and
// writes k6's JSON output. An iteration ends when its function has returned (or its promise
// settled) and the VU has nothing pending (no open socket, no timer); at maxDuration no new
// iteration starts, and at maxDuration + gracefulStop whatever is still running is cut and
// counted as interrupted. An exception in a VU is printed and counted, never a crash. No
// threshold is evaluated: exitCode is 0 when no VU threw, 1 otherwise (and k6's own codes for
// the rest: 100/101 when setup()/teardown() time out, 108 after exec.test.abort(), 110 after
// exec.test.fail()).
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { TestAborted } from './execution.ts';
import { builtin } from './metrics.ts';
import { planOfOptions, type RunPlan, type ScenarioPlan, segmentRange } from './options.ts';
import { jsonOutput, type MetricInfo } from './output.ts';
import { type RunState, setRun, type VuState, vuStorage } from './state.ts';
import { allSocketsClosed } from './websockets.ts';

export interface RunOptions {
  /** The JSON output file (k6's `--out json=FILE`). */
  out: string;
  /** __ENV: the process environment, then these. */
  env?: Record<string, string>;
  /**
   * k6's --execution-segment ("1/3:2/3", "0.5:1", "50%:100%"): this run is that share of the test,
   * as one of several k6 instances. Without it, the script's options.executionSegment, else all.
   */
  executionSegment?: string;
}

export interface RunResult {
  exitCode: number;
  vus: number;
  /** Iterations that ended by themselves (with or without an exception). */
  iterations: number;
  /** Iterations cut at maxDuration + gracefulStop or by exec.test.abort(). */
  interrupted: number;
  /** One line per exception: `VU 2: Error: ...`. */
  errors: string[];
}

type ScriptFn = (data?: unknown) => unknown;
type Outcome = { how: 'completed' | 'interrupted' | 'failed'; value?: unknown };

const ITERATIONS: MetricInfo = { name: 'iterations', type: 'counter', contains: 'default' };
const ITERATION_DURATION: MetricInfo = { name: 'iteration_duration', type: 'trend', contains: 'time' };
/** k6's exit codes for what the stand-in does as k6 does. */
const SETUP_TIMEOUT = 100;
const TEARDOWN_TIMEOUT = 101;
const SCRIPT_ABORTED = 108;
const MARKED_AS_FAILED = 110;
/** After the last iteration, how long cut sockets may take to close. */
const CLOSE_WAIT_MS = 2_000;

let hooked = false;

function newVu(id: number, idInInstance = id): VuState {
  return {
    id,
    idInInstance,
    iteration: 0,
    iterationInTest: 0,
    tags: {},
    metadata: {},
    pending: new Set(),
    ended: false,
    changed: () => {},
    fail: () => {},
  };
}

function installGlobals(env: Record<string, string>): void {
  const g = globalThis as Record<string, unknown>;
  g.__ENV = env;
  Object.defineProperty(globalThis, '__VU', {
    configurable: true,
    get: () => vuStorage.getStore()?.idInInstance ?? 0,
  });
  Object.defineProperty(globalThis, '__ITER', {
    configurable: true,
    get: () => vuStorage.getStore()?.iteration ?? 0,
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? String(error)) : String(error);
}

export async function runInProcess(script: string, options: RunOptions): Promise<RunResult> {
  if (!hooked) {
    register(new URL('./hooks.ts', import.meta.url).href);
    hooked = true;
  }
  const url = pathToFileURL(script).href;
  const errors: string[] = [];
  const report = (who: string, error: unknown): void => {
    const line = `${who}: ${describe(error)}`;
    errors.push(line);
    console.error(`k6 stand-in: ${line}`);
  };
  const env = { ...(process.env as Record<string, string>), ...options.env };
  installGlobals(env);
  let output: ReturnType<typeof jsonOutput>;
  try {
    output = jsonOutput(options.out, (metric) => run.thresholds.get(metric) ?? []);
  } catch (error) {
    report('out', error);
    return { exitCode: 1, vus: 0, iterations: 0, interrupted: 0, errors };
  }
  const cuts = new Set<() => void>();
  const run: RunState = {
    scenario: { name: 'default', executor: 'shared-iterations', startTime: 0, planned: 0, tags: {} },
    startedAt: Date.now(),
    testTags: {},
    options: {},
    thresholds: new Map(),
    output,
    phase: 'init',
    initVu: undefined,
    counters: { completed: 0, interrupted: 0, vusActive: 0, vusInitialized: 0, started: 0 },
    abort: (reason) => {
      run.aborted ??= reason;
      for (const cut of [...cuts]) cut();
    },
    failed: undefined,
    aborted: undefined,
  };
  setRun(run);
  // What escapes the k6 APIs (a promise nobody awaits, a callback of Node's own) is an error of
  // the run, never a crash of the runner.
  const onEscape = (reason: unknown): void => report(`VU ${vuStorage.getStore()?.id ?? '?'}`, reason);
  process.on('unhandledRejection', onEscape);
  process.on('uncaughtException', onEscape);
  try {
    return await execute(url, run, { env, segment: options.executionSegment }, cuts, report, errors);
  } catch (error) {
    report('init', error);
    return { exitCode: 1, vus: 0, iterations: 0, interrupted: 0, errors };
  } finally {
    process.off('unhandledRejection', onEscape);
    process.off('uncaughtException', onEscape);
    run.phase = 'done';
    run.output.close();
    setRun(undefined);
  }
}

async function load(url: string, vu: VuState, run: RunState): Promise<Record<string, unknown>> {
  run.initVu = vu;
  try {
    return (await import(`${url}?vu=${vu.id}`)) as Record<string, unknown>;
  } finally {
    run.initVu = undefined;
  }
}

function exported(module: Record<string, unknown>, name: string): ScriptFn | undefined {
  const fn = module[name];
  if (fn === undefined) return undefined;
  if (typeof fn !== 'function') throw new Error(`the script's export ${name} is not a function`);
  return fn as ScriptFn;
}

async function execute(
  url: string,
  run: RunState,
  given: { env: Record<string, string>; segment: string | undefined },
  cuts: Set<() => void>,
  report: (who: string, error: unknown) => void,
  errors: string[],
): Promise<RunResult> {
  const vu0 = newVu(0);
  const first = await load(url, vu0, run);
  const plan: RunPlan = planOfOptions(first.options);
  const { scenario } = plan;
  run.options = (first.options ?? {}) as Record<string, unknown>;
  run.thresholds = plan.thresholds;
  run.testTags = plan.testTags;
  const segment = given.segment ?? plan.executionSegment;
  const [from, to] = segmentRange(segment, scenario.vus);
  const [iterFrom, iterTo] = segmentRange(segment, scenario.iterations);
  const iterations = scenario.executor === 'per-vu-iterations' ? scenario.iterations : iterTo - iterFrom;
  run.scenario = {
    name: scenario.name,
    executor: scenario.executor,
    startTime: 0,
    planned: scenario.executor === 'per-vu-iterations' ? (to - from) * iterations : iterations,
    tags: scenario.tags,
  };
  Object.assign(given.env, scenario.env);
  const vus: { vu: VuState; fn: ScriptFn }[] = [];
  for (let id = from + 1; id <= to; id++) {
    const vu = newVu(id, id - from);
    const module = await load(url, vu, run);
    const fn = exported(module, scenario.exec);
    if (fn === undefined) throw new Error(`the script exports no function ${scenario.exec}`);
    vus.push({ vu, fn });
    run.counters.vusInitialized++;
  }
  run.phase = 'run';
  const attempt = (vu: VuState, fn: ScriptFn, data: unknown): Promise<Outcome> =>
    iterate(vu, fn, data, cuts, (error) => report(`VU ${vu.id}`, error));
  /** setup() and teardown() are cut at their timeouts, as k6 does; being cut is their error. */
  let timedOut: number | undefined;
  const bounded = async (name: string, fn: ScriptFn, arg: unknown, ms: number): Promise<Outcome> => {
    const timer = setTimeout(() => {
      for (const cut of [...cuts]) cut();
    }, ms);
    const outcome = await attempt(vu0, fn, arg);
    clearTimeout(timer);
    if (outcome.how === 'interrupted' && run.aborted === undefined) {
      report(name, new Error(`${name}() did not finish within ${ms} ms`));
      timedOut ??= name === 'setup' ? SETUP_TIMEOUT : TEARDOWN_TIMEOUT;
    }
    return outcome;
  };

  let data: string | undefined;
  const setup = exported(first, 'setup');
  if (setup !== undefined) {
    const outcome = await bounded('setup', setup, undefined, plan.setupTimeoutMs);
    if (outcome.how !== 'completed') {
      const exitCode = run.aborted !== undefined ? SCRIPT_ABORTED : (timedOut ?? 1);
      return { exitCode, vus: 0, iterations: 0, interrupted: 0, errors };
    }
    data = outcome.value === undefined ? undefined : JSON.stringify(outcome.value);
  }
  // As in k6, setup()'s result crosses as JSON: every VU, and teardown(), gets its own copy.
  const copy = (): unknown => (data === undefined ? undefined : JSON.parse(data));

  await runScenario(run, scenario, { vus, iterations, iterFrom }, cuts, (vu, fn) => attempt(vu, fn, copy()));

  const teardown = exported(first, 'teardown');
  // As in k6, an aborted test still runs teardown().
  if (teardown !== undefined) {
    vu0.iteration = 0;
    await bounded('teardown', teardown, copy(), plan.teardownTimeoutMs);
  }
  await Promise.race([allSocketsClosed(), new Promise((ok) => setTimeout(ok, CLOSE_WAIT_MS).unref())]);
  const exitCode =
    run.aborted !== undefined
      ? SCRIPT_ABORTED
      : (timedOut ?? (errors.length > 0 ? 1 : run.failed !== undefined ? MARKED_AS_FAILED : 0));
  return {
    exitCode,
    vus: vus.length,
    iterations: run.counters.completed,
    interrupted: run.counters.interrupted,
    errors,
  };
}

/**
 * The scenario proper: every VU runs its iterations (per-vu-iterations) or takes them from the
 * shared pool (shared-iterations); none starts after maxDuration, and whatever still runs at
 * maxDuration + gracefulStop is cut.
 */
async function runScenario(
  run: RunState,
  scenario: ScenarioPlan,
  share: { vus: { vu: VuState; fn: ScriptFn }[]; iterations: number; iterFrom: number },
  cuts: Set<() => void>,
  attempt: (vu: VuState, fn: ScriptFn) => Promise<Outcome>,
): Promise<void> {
  const { vus, iterations, iterFrom } = share;
  if (scenario.startTimeMs > 0) await new Promise((ok) => setTimeout(ok, scenario.startTimeMs));
  run.scenario.startTime = Date.now();
  let stopping = false;
  const stopTimer = setTimeout(() => {
    stopping = true;
  }, scenario.maxDurationMs);
  const cutTimer = setTimeout(() => {
    for (const cut of [...cuts]) cut();
  }, scenario.maxDurationMs + scenario.gracefulStopMs);
  let shared = iterations;
  const another = (done: number): boolean => {
    if (stopping || run.aborted !== undefined) return false;
    if (scenario.executor === 'per-vu-iterations') return done < iterations;
    if (shared <= 0) return false;
    shared--;
    return true;
  };
  await Promise.all(
    vus.map(async ({ vu, fn }) => {
      run.counters.vusActive++;
      for (let done = 0; another(done); done++) {
        vu.iteration = done;
        // Unique across the instances of a segmented test, as k6 promises (its numbers may differ).
        vu.iterationInTest =
          scenario.executor === 'per-vu-iterations'
            ? (vu.id - 1) * scenario.iterations + done
            : iterFrom + run.counters.started;
        run.counters.started++;
        const started = performance.now();
        const outcome = await attempt(vu, fn);
        if (outcome.how === 'interrupted') {
          run.counters.interrupted++;
          continue;
        }
        run.counters.completed++;
        vuStorage.run(vu, () => {
          builtin(ITERATIONS, 1);
          builtin(ITERATION_DURATION, performance.now() - started);
        });
      }
      run.counters.vusActive--;
    }),
  );
  clearTimeout(stopTimer);
  clearTimeout(cutTimer);
}

/**
 * One iteration of one VU: resolves when the function has returned or its promise settled and
 * nothing is pending, when an exception fails it, or when it is cut.
 */
function iterate(
  vu: VuState,
  fn: ScriptFn,
  data: unknown,
  cuts: Set<() => void>,
  report: (error: unknown) => void,
): Promise<Outcome> {
  return new Promise<Outcome>((resolve) => {
    vu.ended = false;
    let returned = false;
    let settled = false;
    let value: unknown;
    const finish = (how: Outcome['how']): void => {
      if (vu.ended) return;
      vu.ended = true;
      cuts.delete(cut);
      for (const pending of [...vu.pending]) pending.cancel();
      vu.pending.clear();
      resolve({ how, value });
    };
    const cut = (): void => finish('interrupted');
    const idle = (): void => {
      if (vu.ended || !returned || vu.pending.size > 0) return;
      if (settled) {
        finish('completed');
        return;
      }
      // An unsettled promise with nothing left to wake it: k6's event loop would end here too.
      setImmediate(() => {
        if (!vu.ended && vu.pending.size === 0) finish('completed');
      });
    };
    vu.changed = idle;
    vu.fail = (error) => {
      if (vu.ended) return;
      if (error instanceof TestAborted) {
        finish('interrupted');
        return;
      }
      report(error);
      finish('failed');
    };
    cuts.add(cut);
    vuStorage.run(vu, () => {
      try {
        const result = fn(data);
        returned = true;
        if (result instanceof Promise) {
          result.then(
            (v) => {
              value = v;
              settled = true;
              idle();
            },
            (error) => vu.fail(error),
          );
        } else {
          value = result;
          settled = true;
        }
      } catch (error) {
        returned = true;
        vu.fail(error);
        return;
      }
      idle();
    });
  });
}
