// Scenario files: `export default defineScenario({...})`. A scenario names the topology, the
// workload, the faults and the thresholds of one run; command-line flags override its values.
// Validation happens here, at the boundary, with errors that name the field the way a user
// would write it: `scenario.chaos[2].duration: invalid duration "10 parsecs"`.

import { existsSync } from 'node:fs';
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { type FaultSpec, FaultSpec as FaultSpecSchema } from '../../chaos/index.ts';
import { describeIssues } from '../../contracts/errors.ts';
import { RegionName } from '../../contracts/target.ts';
import { KNOWN_BUGS, TARGET_NAMES } from '../targets/index.ts';
import { isDataScenario, readDataScenario } from './data-file.ts';

const BugName = z.enum(KNOWN_BUGS);

import { formatDuration, parseDuration } from '../../lib/duration.ts';
import {
  WORKLOAD_LIMITS,
  type WorkloadSpec,
  type WorkloadSpecInput,
  WorkloadSpec as WorkloadSpecSchema,
} from '../../load/index.ts';

export const DEFAULT_REGIONS = ['eu-west', 'us-east', 'ap-south'] as const;

/**
 * The upper bound of every number of a scenario outside its workload (whose bounds are
 * WORKLOAD_LIMITS in load/workload.ts) and its faults (chaos/faults/spec.ts). The flags of `run`
 * and `validate` use the same bounds; docs/SCENARIOS.md ("Limits") lists them all.
 */
export const SCENARIO_LIMITS = {
  /** The load's duration, and any other duration in a scenario (24 h). */
  durationMs: WORKLOAD_LIMITS.durationMs,
  /** How long the regions may take to agree after the heal (1 h). */
  convergenceDeadlineMs: 3_600_000,
  regions: 16,
  nodesPerRegion: 8,
  leaseMs: 60_000,
  seed: 2 ** 32 - 1,
  faults: 256,
} as const;

/** A k6-style duration string ("30s", "1m30s") or milliseconds, at most `maxMs`. */
function boundedDuration(maxMs: number, options: { positive?: boolean } = {}) {
  return z.union([z.string(), z.number()]).superRefine((value, ctx) => {
    let ms: number;
    try {
      ms = parseDuration(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return;
    }
    if (ms > maxMs) ctx.addIssue({ code: 'custom', message: `must be at most ${formatDuration(maxMs)}` });
    if (options.positive && ms <= 0)
      ctx.addIssue({ code: 'custom', message: 'must be above 0: a run of 0s would send nothing' });
  });
}

const Duration = boundedDuration(SCENARIO_LIMITS.durationMs);

/** k6's threshold forms: "p(99)<500" or {threshold, abortOnFail?, delayAbortEval?}. */
export const ThresholdEntry = z.union([
  z.string().min(1),
  z.strictObject({
    threshold: z.string().min(1),
    abortOnFail: z.boolean().optional(),
    delayAbortEval: Duration.optional(),
  }),
]);
export type ThresholdEntry = z.infer<typeof ThresholdEntry>;
export const ThresholdsSpec = z.record(z.string().min(1), z.union([ThresholdEntry, z.array(ThresholdEntry)]));
export type ThresholdsSpec = z.infer<typeof ThresholdsSpec>;

export const TopologySpec = z.strictObject({
  regions: z
    .array(RegionName)
    .min(1)
    .max(SCENARIO_LIMITS.regions)
    .default([...DEFAULT_REGIONS]),
  nodesPerRegion: z.number().int().min(1).max(SCENARIO_LIMITS.nodesPerRegion).default(1),
  ack: z.enum(['stored', 'replicated']).default('replicated'),
  /** The directory's lease, ms: how long a dead home keeps its conversations. */
  leaseMs: z.number().int().min(200).max(SCENARIO_LIMITS.leaseMs).default(2000),
  /** Server bug knobs, for showing that the checks catch them. Usually set with --bug. */
  bugs: z.array(BugName).default([]),
});
export type TopologySpec = z.infer<typeof TopologySpec>;
/** The topology as a scenario writes it: every field optional. */
export type TopologyInput = z.input<typeof TopologySpec>;
/** One fault as a scenario writes it (docs/FAULTS.md). */
export type FaultInput = z.input<typeof FaultSpecSchema>;
/** Thresholds as a scenario writes them: metric → k6-style expression(s). */
export type ThresholdsInput = z.input<typeof ThresholdsSpec>;

export const ScenarioSpec = z.strictObject({
  name: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits and . _ - only'),
  description: z.string().min(1),
  /** Default seed; --seed overrides. */
  seed: z.number().int().min(0).max(SCENARIO_LIMITS.seed).optional(),
  /** The system under test (docs/TARGETS.md); --target overrides. Default the reference server. */
  target: z.enum(TARGET_NAMES, `must be one of: ${TARGET_NAMES.join(', ')}`).default('reference'),
  /** The target's own settings, checked against its schema once the target is known. */
  targetOptions: z.record(z.string(), z.unknown()).default({}),
  /** How long load runs. Faults are timed from the start of load. */
  duration: boundedDuration(SCENARIO_LIMITS.durationMs, { positive: true }),
  topology: TopologySpec.prefault({}),
  workload: z.custom<WorkloadSpecInput>().default({}),
  chaos: z.array(z.unknown()).max(SCENARIO_LIMITS.faults).default([]),
  /** Merged over the checks' defaults: a metric named here replaces the default for it. */
  thresholds: ThresholdsSpec.default({}),
  /** Server bug knobs this scenario is built to catch: with each, its thresholds must fail. */
  catches: z.array(BugName).default([]),
  convergence: z
    .strictObject({
      /** How long after heal all regions may take to agree. Default 20s. */
      deadline: boundedDuration(SCENARIO_LIMITS.convergenceDeadlineMs).optional(),
    })
    .optional(),
});

/** What a scenario file exports: everything optional that has a default. */
export type ScenarioInput = Omit<z.input<typeof ScenarioSpec>, 'workload' | 'chaos' | 'thresholds'> & {
  workload?: WorkloadSpecInput;
  chaos?: FaultInput[];
  thresholds?: ThresholdsInput;
};

/** A scenario as validated: defaults applied, workload and faults parsed. */
export interface Scenario {
  name: string;
  description: string;
  seed: number | undefined;
  /** A name in harness/targets' table. */
  target: string;
  targetOptions: Record<string, unknown>;
  durationMs: number;
  topology: TopologySpec;
  workload: WorkloadSpec;
  chaos: FaultSpec[];
  thresholds: ThresholdsSpec;
  catches: string[];
  convergenceDeadlineMs: number;
}

export const DEFAULT_CONVERGENCE_DEADLINE_MS = 20_000;

/** Marks a scenario file's default export; returns its argument, typed. */
export function defineScenario(scenario: ScenarioInput): ScenarioInput {
  return scenario;
}

/**
 * A problem with a scenario or a flag: the CLI prints the message and exits 104 (k6's
 * InvalidConfig), or 107 when the scenario file's own code failed while loading.
 */
export class ScenarioError extends Error {
  override name = 'ScenarioError';
  /**
   * The scenario file's own code is still running (its top-level await timed out while a timer
   * of its own is pending): the CLI must exit by itself once it has said so, or it never ends.
   */
  readonly stillRunning: boolean;
  /** The file's own code threw or never settled while loading (k6's ScriptException, 107). */
  readonly scriptException: boolean;
  constructor(message: string, options: { stillRunning?: boolean; scriptException?: boolean } = {}) {
    super(message);
    this.stillRunning = options.stillRunning ?? false;
    this.scriptException = options.scriptException ?? false;
  }
}

/** Validates a scenario object (a file's default export). Throws ScenarioError naming each bad field. */
export function parseScenario(raw: unknown, root = 'scenario'): Scenario {
  const parsed = ScenarioSpec.safeParse(raw);
  const problems: string[] = [];
  if (!parsed.success) problems.push(describeIssues(parsed.error, { root, separator: '\n' }));
  // Workload and faults are checked even when the rest is wrong, so one run shows every mistake.
  const record = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  const workload = WorkloadSpecSchema.safeParse(record.workload ?? {});
  if (!workload.success)
    problems.push(describeIssues(workload.error, { root: `${root}.workload`, separator: '\n' }));
  const chaos: FaultSpec[] = [];
  if (Array.isArray(record.chaos)) {
    record.chaos.forEach((entry, index) => {
      const fault = FaultSpecSchema.safeParse(entry);
      if (fault.success) chaos.push(fault.data);
      else problems.push(describeIssues(fault.error, { root: `${root}.chaos[${index}]`, separator: '\n' }));
    });
  }
  if (problems.length > 0 || !parsed.success || !workload.success)
    throw new ScenarioError(problems.join('\n'));
  const spec = parsed.data;

  return {
    name: spec.name,
    description: spec.description,
    seed: spec.seed,
    target: spec.target,
    targetOptions: spec.targetOptions,
    durationMs: parseDuration(spec.duration),
    topology: spec.topology,
    workload: workload.data as WorkloadSpec,
    chaos,
    thresholds: spec.thresholds,
    catches: spec.catches,
    convergenceDeadlineMs:
      spec.convergence?.deadline !== undefined
        ? parseDuration(spec.convergence.deadline)
        : DEFAULT_CONVERGENCE_DEADLINE_MS,
  };
}

const SCENARIOS_DIR = new URL('../../scenarios/', import.meta.url);

/** Where a scenario argument points: a built-in name, or a file path. */
export function scenarioPath(ref: string, cwd = process.cwd()): string {
  if (/^[a-z0-9][a-z0-9-]*$/.test(ref)) {
    const builtin = new URL(`${ref}.ts`, SCENARIOS_DIR);
    if (existsSync(builtin)) return builtin.pathname;
  }
  const path = isAbsolute(ref) ? ref : resolvePath(cwd, ref);
  if (existsSync(path)) return path;
  throw new ScenarioError(
    `scenario "${ref}": no built-in scenario of that name and no such file (see \`chatquake list\`)`,
  );
}

/** How long a scenario file's own code may run while it loads (its top-level await included). */
export const SCENARIO_LOAD_TIMEOUT_MS = 30_000;

/**
 * Imports a scenario file, bounded: a top-level await that never settles used to end the CLI
 * with Node's bare exit 13 and no message (nothing left to run), or hang it forever (a timer
 * still pending). Either is now a ScenarioError naming the file. The timer is unref'd, so an
 * await with nothing left to wake it is seen at once, when the event loop empties.
 */
async function importBounded(path: string, timeoutMs: number): Promise<unknown> {
  const { tsImport } = await import('tsx/esm/api');
  // A scenario's `import ... from 'chatquake'` reaches the package's index.js, which takes this
  // instance of the API rather than compiling harness/ a second time (see index.js).
  const api = await import('../index.ts');
  (globalThis as Record<symbol, unknown>)[Symbol.for('chatquake.api')] ??= api;
  let onStall: (() => void) | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stalled = new Promise<never>((_, reject) => {
    const fail = (why: string, stillRunning: boolean) =>
      reject(
        new ScenarioError(`scenario ${path}: its top-level await never settled (${why})`, {
          stillRunning,
          scriptException: true,
        }),
      );
    onStall = () => fail('nothing was left to wake it', false);
    timer = setTimeout(() => fail(`still waiting after ${formatDuration(timeoutMs)}`, true), timeoutMs);
    timer.unref();
    process.once('beforeExit', onStall);
  });
  try {
    return await Promise.race([tsImport(pathToFileURL(path).href, import.meta.url), stalled]);
  } finally {
    clearTimeout(timer);
    if (onStall) process.removeListener('beforeExit', onStall);
  }
}

/**
 * Loads and validates a scenario file (TypeScript, JavaScript, JSON or YAML) or a built-in by
 * name. Data files are read, not run: their "$schema" key is dropped, the rest is validated the same.
 */
export async function loadScenario(
  ref: string,
  cwd = process.cwd(),
  options: { timeoutMs?: number } = {},
): Promise<Scenario & { path: string }> {
  const path = scenarioPath(ref, cwd);
  if (isDataScenario(path)) {
    const read = readDataScenario(path);
    if (!read.ok) throw new ScenarioError(read.problem);
    return { ...parseScenario(read.data), path };
  }
  let module: unknown;
  try {
    module = await importBounded(path, options.timeoutMs ?? SCENARIO_LOAD_TIMEOUT_MS);
  } catch (error) {
    if (error instanceof ScenarioError) throw error;
    throw new ScenarioError(`scenario ${path}: cannot load: ${(error as Error).message}`, {
      scriptException: true,
    });
  }
  const exported = defaultExport(module);
  if (exported === undefined) {
    throw new ScenarioError(
      `scenario ${path}: no default export (use \`export default defineScenario({...})\`)`,
    );
  }
  return { ...parseScenario(exported), path };
}

function defaultExport(module: unknown): unknown {
  if (typeof module !== 'object' || module === null) return undefined;
  let value: unknown = (module as { default?: unknown }).default;
  // tsImport of a CommonJS-looking module can nest the default one level deeper.
  if (typeof value === 'object' && value !== null && 'default' in value && !('name' in value)) {
    value = (value as { default?: unknown }).default;
  }
  return value;
}
