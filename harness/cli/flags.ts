// Command-line flags of `run` and `validate`, and how they override a scenario. Parsed with
// node:util parseArgs, validated with zod, errors naming the flag.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { RegionName } from '../../contracts/target.ts';
import { KNOWN_BUGS } from '../targets/index.ts';

const BugName = z.enum(KNOWN_BUGS);

import { parseDuration } from '../../lib/duration.ts';
import { WORKLOAD_LIMITS } from '../../load/index.ts';
import type { Scenario } from '../scenario/scenario.ts';
import { SCENARIO_LIMITS, ScenarioError } from '../scenario/scenario.ts';

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

const Flags = z.strictObject({
  scenario: z.string().min(1),
  out: z.string().min(1).optional(),
  seed: whole(0, SCENARIO_LIMITS.seed).optional(),
  durationSeconds: numeric(
    z
      .number('must be a number')
      .gt(0, 'must be above 0: a run of 0s would send nothing')
      .max(MAX_DURATION_SECONDS, `must be at most ${MAX_DURATION_SECONDS} (24h)`),
  ).optional(),
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
  regions: z.array(RegionName).min(1).max(SCENARIO_LIMITS.regions).optional(),
  nodes: whole(1, SCENARIO_LIMITS.nodesPerRegion).optional(),
  bugs: z.array(BugName).default([]),
  quiet: z.boolean().default(false),
});

export type RunFlags = z.infer<typeof Flags>;

const FLAG_NAMES: Record<string, string> = {
  scenario: '<scenario>',
  out: '--out',
  seed: '--seed',
  durationSeconds: '--duration',
  rate: '--rate',
  users: '--users',
  regions: '--regions',
  nodes: '--nodes',
  bugs: '--bug',
  quiet: '--quiet',
};

/** The options of `run` and `validate` that take a value, by long and short name. */
const VALUE_OPTIONS = new Set([
  '--out',
  '-o',
  '--seed',
  '--duration',
  '-d',
  '--rate',
  '--users',
  '-u',
  '--regions',
  '--nodes',
  '--bug',
]);

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

/** Parses `<scenario> [flags]`; throws ScenarioError (exit 2) naming the flag. */
export function parseRunFlags(argv: string[], command = 'run'): RunFlags {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: joinNegativeValues(argv, VALUE_OPTIONS),
      allowPositionals: true,
      strict: true,
      options: {
        out: { type: 'string', short: 'o' },
        seed: { type: 'string' },
        duration: { type: 'string', short: 'd' },
        rate: { type: 'string' },
        users: { type: 'string', short: 'u' },
        regions: { type: 'string' },
        nodes: { type: 'string' },
        bug: { type: 'string', multiple: true },
        quiet: { type: 'boolean', short: 'q' },
      },
    });
  } catch (error) {
    throw new ScenarioError(`chatquake ${command}: ${(error as Error).message}`);
  }
  const { values, positionals } = parsed;
  if (positionals.length === 0) throw new ScenarioError(`chatquake ${command}: name a scenario or a file`);
  if (positionals.length > 1) {
    throw new ScenarioError(`chatquake ${command}: one scenario at a time (got ${positionals.join(', ')})`);
  }
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const raw = {
    scenario: positionals[0],
    out: str(values.out),
    seed: str(values.seed),
    durationSeconds:
      str(values.duration) === undefined ? undefined : parseSeconds(str(values.duration) as string),
    rate: str(values.rate),
    users: str(values.users),
    regions: str(values.regions)
      ?.split(',')
      .map((r) => r.trim())
      .filter((r) => r !== ''),
    nodes: str(values.nodes),
    bugs: Array.isArray(values.bug) ? values.bug.filter((b): b is string => typeof b === 'string') : [],
    quiet: values.quiet === true,
  };
  const result = Flags.safeParse(raw);
  if (!result.success) {
    const text = result.error.issues
      .map((issue) => {
        const key = String(issue.path[0] ?? '');
        const flag = FLAG_NAMES[key] ?? key;
        const index = issue.path.length > 1 ? ` (${String(issue.path[1])})` : '';
        return `chatquake ${command}: ${flag}${index}: ${issue.message}`;
      })
      .join('\n');
    throw new ScenarioError(text);
  }
  const flags = result.data;
  if (flags.regions !== undefined && new Set(flags.regions).size !== flags.regions.length) {
    throw new ScenarioError(`chatquake ${command}: --regions: a region is named twice`);
  }
  return flags;
}

/** "30", "30s", "1m" or "500ms" as seconds (a bare number is seconds, unlike in scenario files). */
function parseSeconds(text: string): number | string {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(trimmed);
  if (m === null) return text; // zod reports it as not a number
  const unit = { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * unit;
}

/**
 * Applies flags over a scenario. `--duration` stretches the whole scenario (stages and fault
 * times) by the same factor, so a shortened run keeps its shape; `--rate` scales a staged rate
 * so that its first stage reaches the given rate; `--regions` replaces the region list.
 */
export function applyFlags(scenario: Scenario, flags: RunFlags): Scenario {
  const next: Scenario = structuredClone(scenario);
  if (flags.seed !== undefined) next.seed = flags.seed;
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
