// Command-line flags of `run` and `validate`, and how they override a scenario. The flags come
// from the commands' tables (options.ts), are parsed with node:util parseArgs and validated with
// zod; every error names the flag and the value given, and an unknown flag gets the nearest
// known one as a suggestion.
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { RegionName } from '../../contracts/target.ts';
import { parseDuration } from '../../lib/duration.ts';
import { WORKLOAD_LIMITS } from '../../load/index.ts';
import type { Scenario } from '../scenario/scenario.ts';
import { SCENARIO_LIMITS, ScenarioError } from '../scenario/scenario.ts';
import { KNOWN_BUGS, TARGET_NAMES } from '../targets/index.ts';
import { type CommandSpec, parseArgsOptions, spellings, unknownFlagProblem } from './flag-table.ts';
import { runSpec, validateSpec } from './options.ts';

const BugName = z.enum(KNOWN_BUGS);

/**
 * A number as a flag gives it: the text must be a plain decimal number ("12", "0.5", "-3",
 * "1e3"); anything else (an empty string, "0x10", "12abc") stays text and zod reports it as not
 * a number, instead of Number('') quietly making it 0.
 */
export const numeric = (inner: z.ZodNumber) =>
  z.preprocess((value) => {
    if (typeof value !== 'string') return value;
    const text = value.trim();
    return /^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i.test(text) ? Number(text) : value;
  }, inner);

/** A whole number from `min` to `max`, with an error that says both. */
const whole = (min: number, max: number) =>
  numeric(
    z
      .number('must be a number')
      .int('must be a whole number')
      .min(min, `must be at least ${min}`)
      .max(max, `must be at most ${max}`),
  );

// The same bounds as the scenario fields these flags override (docs/SCENARIOS.md, "Limits").
const MAX_DURATION_SECONDS = SCENARIO_LIMITS.durationMs / 1000;

/** How many `--tag`s a run may carry, and how long a key and a value may be. */
export const TAG_LIMITS = { count: 32, keyLength: 64, valueLength: 256 } as const;

/** The image docker mode runs when --image is not given. */
export function defaultImage(): string {
  return process.env.CHATQUAKE_IMAGE ?? 'chatquake:local';
}

const Flags = z.strictObject({
  scenario: z.string().min(1),
  out: z.string().min(1, 'must not be empty').optional(),
  seed: whole(0, SCENARIO_LIMITS.seed).optional(),
  target: z.enum(TARGET_NAMES, `must be one of: ${TARGET_NAMES.join(', ')}`).optional(),
  durationSeconds: z
    .number()
    .gt(0, 'must be above 0: a run of 0s would send nothing')
    .max(MAX_DURATION_SECONDS, `must be at most ${MAX_DURATION_SECONDS}s (24h)`)
    .optional(),
  rate: numeric(
    z
      .number('must be a number')
      .gt(0, 'must be above 0: a run at rate 0 would send nothing')
      .max(
        WORKLOAD_LIMITS.ratePerSecond,
        `must be at most ${WORKLOAD_LIMITS.ratePerSecond} messages a second`,
      ),
  ).optional(),
  users: whole(1, WORKLOAD_LIMITS.users).optional(),
  regions: z
    .array(RegionName)
    .min(1, 'name at least one region')
    .max(SCENARIO_LIMITS.regions, `at most ${SCENARIO_LIMITS.regions} regions`)
    .optional(),
  nodes: whole(1, SCENARIO_LIMITS.nodesPerRegion).optional(),
  bugs: z.array(BugName).default([]),
  env: z.record(z.string(), z.string()).default({}),
  tags: z.record(z.string(), z.string()).default({}),
  summaryExport: z.string().min(1, 'must not be empty').optional(),
  noThresholds: z.boolean().default(false),
  metricsPort: whole(0, 65535).optional(),
  metricsHost: z
    .string()
    .regex(/^[0-9a-zA-Z.:-]+$/, 'must be an address such as 127.0.0.1 or 0.0.0.0')
    .default('127.0.0.1'),
  prometheus: z.string().min(1, 'must not be empty').optional(),
  quiet: z.boolean().default(false),
  mode: z.enum(['local', 'docker', 'compose'], 'must be local, docker or compose').default('local'),
  image: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._/:@-]*$/i, 'must be an image reference such as chatquake:local')
    .default(defaultImage),
});

export type RunFlags = z.infer<typeof Flags>;

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [];

/**
 * Parses `<scenario> [flags]` for `run` (or `validate`, with its own table); throws ScenarioError
 * (exit 104) naming the flag and the value given.
 */
export function parseRunFlags(argv: string[], command = 'run', table?: CommandSpec): RunFlags {
  const spec = table ?? (command === 'validate' ? validateSpec : runSpec);
  const fail = (message: string): never => {
    throw new ScenarioError(`chatquake ${command}: ${message}`);
  };
  const unknown = unknownFlagProblem(argv, spec);
  if (unknown !== undefined) throw new ScenarioError(unknown);
  const valueOptions = new Set(spec.flags.filter((f) => f.value !== undefined).flatMap(spellings));
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({
      args: joinNegativeValues(argv, valueOptions),
      allowPositionals: true,
      strict: true,
      options: parseArgsOptions(spec.flags),
    }) as { values: Values; positionals: string[] };
  } catch (error) {
    return fail((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length === 0) fail('name a scenario or a file');
  if (positionals.length > 1) fail(`one scenario at a time (got ${positionals.join(', ')})`);
  if (values.users !== undefined && values.vus !== undefined)
    fail('--users and --vus are the same flag: give one of them');
  const usersFlag = values.vus !== undefined ? '--vus' : '--users';
  const duration = str(values.duration);
  const raw = {
    scenario: positionals[0],
    out: str(values.out),
    seed: str(values.seed),
    target: str(values.target),
    durationSeconds: duration === undefined ? undefined : parseSeconds(duration, fail),
    rate: str(values.rate),
    users: str(values.users) ?? str(values.vus),
    regions: str(values.regions)
      ?.split(',')
      .map((r) => r.trim())
      .filter((r) => r !== ''),
    nodes: str(values.nodes),
    bugs: strings(values.bug),
    env: keyValues('--env', strings(values.env), fail, envKeyProblem),
    tags: parseTags(strings(values.tag), fail),
    summaryExport: str(values['summary-export']),
    noThresholds: values['no-thresholds'] === true,
    metricsPort: str(values['metrics-port']),
    metricsHost: str(values['metrics-host']),
    prometheus: str(values.prometheus),
    quiet: values.quiet === true,
    mode: str(values.mode),
    image: str(values.image),
  };
  const result = Flags.safeParse(raw);
  if (!result.success) {
    const flagOf = (key: string) => (key === 'users' ? usersFlag : (FLAG_NAMES[key] ?? key));
    const given = (key: string, index: unknown): string => {
      const value = key === 'users' ? raw.users : (values as Record<string, unknown>)[FLAG_KEYS[key] ?? key];
      const shown = Array.isArray(value)
        ? value[Number(index)]
        : key === 'regions' && index !== undefined
          ? raw.regions?.[Number(index)]
          : value;
      return typeof shown === 'string' ? ` (got ${JSON.stringify(shown)})` : '';
    };
    throw new ScenarioError(
      result.error.issues
        .map((issue) => {
          const key = String(issue.path[0] ?? '');
          const index = issue.path.length > 1 ? issue.path[1] : undefined;
          return `chatquake ${command}: ${flagOf(key)}: ${issue.message}${given(key, index)}`;
        })
        .join('\n'),
    );
  }
  const flags = result.data;
  if (flags.regions !== undefined && new Set(flags.regions).size !== flags.regions.length)
    fail(`--regions: a region is named twice (got ${JSON.stringify(str(values.regions))})`);
  for (const [flag, file] of [
    ['--summary-export', flags.summaryExport],
    ['--prometheus', flags.prometheus],
  ] as const) {
    const problem = file === undefined ? undefined : exportFileProblem(flag, file);
    if (problem !== undefined) fail(problem);
  }
  return flags;
}

const FLAG_NAMES: Record<string, string> = {
  scenario: '<scenario>',
  out: '--out',
  seed: '--seed',
  target: '--target',
  durationSeconds: '--duration',
  rate: '--rate',
  users: '--users',
  regions: '--regions',
  nodes: '--nodes',
  bugs: '--bug',
  env: '--env',
  tags: '--tag',
  summaryExport: '--summary-export',
  noThresholds: '--no-thresholds',
  metricsPort: '--metrics-port',
  metricsHost: '--metrics-host',
  prometheus: '--prometheus',
  quiet: '--quiet',
  mode: '--mode',
  image: '--image',
};

/** The parseArgs key of a field whose name differs from its flag's. */
const FLAG_KEYS: Record<string, string> = {
  bugs: 'bug',
  tags: 'tag',
  summaryExport: 'summary-export',
  metricsPort: 'metrics-port',
  metricsHost: 'metrics-host',
};

/** `KEY=VALUE` flags into an object; a malformed one or a key given twice names the flag. */
function keyValues(
  flag: string,
  entries: string[],
  fail: (message: string) => never,
  keyProblem: (key: string, value: string) => string | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq <= 0) fail(`${flag}: expected KEY=VALUE (got ${JSON.stringify(entry)})`);
    const key = entry.slice(0, eq);
    const value = entry.slice(eq + 1);
    const problem = keyProblem(key, value);
    if (problem !== undefined) fail(`${flag}: ${problem} (got ${JSON.stringify(entry)})`);
    if (Object.hasOwn(out, key)) fail(`${flag}: ${key} is given twice`);
    out[key] = value;
  }
  return out;
}

/**
 * `--tag KEY=VALUE`s (run, up, ingest): each key a Prometheus label name, given once, within
 * TAG_LIMITS; `fail` is called with the flag-naming message.
 */
export function parseTags(entries: string[], fail: (message: string) => never): Record<string, string> {
  const tags = keyValues('--tag', entries, fail, tagProblem);
  const count = Object.keys(tags).length;
  if (count > TAG_LIMITS.count) fail(`--tag: at most ${TAG_LIMITS.count} tags (got ${count})`);
  return tags;
}

/** An environment variable's name as a shell would take it. */
function envKeyProblem(key: string): string | undefined {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key)
    ? undefined
    : 'the name must be letters, digits and _, not starting with a digit';
}

/** Tag keys are Prometheus label names, so the tags can become labels later unchanged. */
function tagProblem(key: string, value: string): string | undefined {
  if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(key))
    return 'the key must be letters, digits and _, not starting with a digit (a Prometheus label name)';
  if (key.startsWith('__')) return 'keys starting with __ are reserved (as in Prometheus)';
  if (key.length > TAG_LIMITS.keyLength) return `the key must be at most ${TAG_LIMITS.keyLength} characters`;
  if (value.length > TAG_LIMITS.valueLength)
    return `the value must be at most ${TAG_LIMITS.valueLength} characters`;
  return undefined;
}

/** `--summary-export FILE` (or `--prometheus FILE`) can be written: not a folder, and no file where a folder must be. */
function exportFileProblem(flag: string, path: string): string | undefined {
  const full = resolve(path);
  const example = flag === '--prometheus' ? 'targets.json' : 'summary.json';
  if (existsSync(full) && statSync(full).isDirectory())
    return `${flag}: ${path} is a folder: name a file, such as ${join(path, example)}`;
  for (let dir = dirname(full); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(dir)) {
      return statSync(dir).isDirectory() ? undefined : `${flag}: ${path}: ${dir} is not a folder`;
    }
  }
  return undefined;
}

/**
 * `--rate -5` as `--rate=-5`: parseArgs refuses a value that starts with a dash as "ambiguous";
 * a number with a minus sign is clearly a value, so it is joined to its flag and then judged by
 * its range, with an error naming the flag. Exported for the other commands' numeric flags.
 */
export function joinNegativeValues(argv: readonly string[], valueOptions: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const next = argv[i + 1];
    if (valueOptions.has(arg) && next !== undefined && /^-(\d|\.\d)/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/**
 * "30", "30s", "1m30s" or "500ms" as seconds: a bare number is seconds, unlike in scenario
 * files (where it is milliseconds, as in k6's options). Anything else names the flag and value.
 */
function parseSeconds(text: string, fail: (message: string) => never): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  try {
    return parseDuration(trimmed) / 1000;
  } catch {
    return fail(`--duration: invalid duration ${JSON.stringify(text)} (use 30, 90s, 2m, 1m30s or 500ms)`);
  }
}

/**
 * Applies flags over a scenario. `--duration` stretches the whole scenario (stages and fault
 * times) by the same factor, so a shortened run keeps its shape; `--rate` scales a staged rate
 * so that its first stage reaches the given rate; `--regions` replaces the region list.
 */
export function applyFlags(scenario: Scenario, flags: RunFlags): Scenario {
  const next: Scenario = structuredClone(scenario);
  if (flags.seed !== undefined) next.seed = flags.seed;
  if (flags.target !== undefined && flags.target !== next.target) {
    // Another target's options mean nothing to this one.
    next.target = flags.target;
    next.targetOptions = {};
  }
  if (flags.regions !== undefined) next.topology.regions = flags.regions;
  if (flags.nodes !== undefined) next.topology.nodesPerRegion = flags.nodes;
  if (flags.bugs.length > 0) next.topology.bugs = [...new Set([...next.topology.bugs, ...flags.bugs])];
  if (flags.users !== undefined) next.workload.users = flags.users;
  if (flags.rate !== undefined) {
    const rate = next.workload.rate;
    if (typeof rate === 'number') next.workload.rate = flags.rate;
    else {
      const base = rate.stages[0]?.target ?? 0;
      const factor = base > 0 ? flags.rate / base : 0;
      next.workload.rate = {
        ...rate,
        startRate: base > 0 ? rate.startRate * factor : flags.rate,
        stages: rate.stages.map((s) => ({ ...s, target: base > 0 ? s.target * factor : (flags.rate ?? 0) })),
      };
    }
  }
  if (flags.durationSeconds !== undefined) {
    const durationMs = Math.round(flags.durationSeconds * 1000);
    const factor = durationMs / scenario.durationMs;
    next.durationMs = durationMs;
    const rate = next.workload.rate;
    if (typeof rate === 'object') {
      next.workload.rate = {
        ...rate,
        stages: rate.stages.map((s) => ({ ...s, duration: scaleDuration(s.duration, factor) })),
      };
    }
    next.chaos = next.chaos.map((fault) => scaleFault(fault, factor));
  }
  return next;
}

function scaleDuration(value: string | number, factor: number): number {
  return Math.max(0, Math.round(parseDuration(value) * factor));
}

type Fault = Scenario['chaos'][number];

function scaleFault(fault: Fault, factor: number): Fault {
  const scaled: Record<string, unknown> = { ...fault };
  for (const key of ['at', 'duration', 'restartAfter', 'period'] as const) {
    const value = scaled[key];
    if (typeof value === 'string' || typeof value === 'number') {
      // A period shorter than a second would flap faster than clients can notice; keep it.
      scaled[key] =
        key === 'period' ? Math.max(1000, scaleDuration(value, factor)) : scaleDuration(value, factor);
    }
  }
  return scaled as Fault;
}
