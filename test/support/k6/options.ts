// Test code only, not k6: part of the stand-in (index.ts) that lets the suite run generated k6
// scripts where k6 cannot be installed; behaviour follows k6's docs.
// Reads a k6 script's exported `options` into the one scenario
// the stand-in runs: a `per-vu-iterations` scenario (vus, iterations, maxDuration, gracefulStop,
// startTime, exec, env, tags), or the top-level `vus`/`iterations` shorthand (k6's
// shared-iterations, scenario "default"; without `iterations`, one per VU). Thresholds are
// only listed in the output: judging them is k6's job, not the stand-in's.
import { z } from 'zod';
import { describeIssues } from '../../../contracts/errors.ts';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

/** k6's duration: "1m30s", "500ms", "2h", or a number of milliseconds. */
export function durationMs(value: string | number): number {
  if (typeof value === 'number') return value;
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(value)) throw new Error(`invalid duration ${JSON.stringify(value)}`);
  let ms = 0;
  for (const [, n, unit] of value.matchAll(PART)) ms += Number(n) * (UNIT_MS[unit ?? 'ms'] ?? 1);
  return ms;
}

const duration = z
  .union([
    z.number().nonnegative(),
    z.string().regex(/^(\d+(\.\d+)?(ms|s|m|h))+$/, 'a k6 duration like 1m30s'),
  ])
  .transform(durationMs);
const stringMap = z.record(z.string(), z.string());

const perVuIterations = z.object({
  executor: z.literal('per-vu-iterations'),
  vus: z.number().int().positive().default(1),
  iterations: z.number().int().positive().default(1),
  maxDuration: duration.default(600_000),
  gracefulStop: duration.default(30_000),
  startTime: duration.default(0),
  exec: z.string().default('default'),
  env: stringMap.default({}),
  tags: stringMap.default({}),
});

const threshold = z.union([z.string(), z.object({ threshold: z.string() }).loose()]);

const optionsSchema = z
  .object({
    scenarios: z
      .record(z.string(), perVuIterations)
      .refine((s) => Object.keys(s).length === 1, 'the k6 stand-in runs exactly one scenario')
      .optional(),
    vus: z.number().int().positive().optional(),
    iterations: z.number().int().positive().optional(),
    tags: stringMap.default({}),
    executionSegment: z.string().optional(),
    setupTimeout: duration.default(60_000),
    teardownTimeout: duration.default(60_000),
    thresholds: z.record(z.string(), z.array(threshold)).default({}),
  })
  .loose();

export interface ScenarioPlan {
  name: string;
  executor: 'per-vu-iterations' | 'shared-iterations';
  vus: number;
  /** Per VU for per-vu-iterations, in all for shared-iterations. */
  iterations: number;
  maxDurationMs: number;
  gracefulStopMs: number;
  startTimeMs: number;
  exec: string;
  env: Record<string, string>;
  tags: Record<string, string>;
}

export interface RunPlan {
  scenario: ScenarioPlan;
  testTags: Record<string, string>;
  thresholds: Map<string, string[]>;
  executionSegment: string | undefined;
  setupTimeoutMs: number;
  teardownTimeoutMs: number;
}

/** The plan of a run from the script's `options` export; errors name the field at fault. */
export function planOfOptions(options: unknown): RunPlan {
  const parsed = optionsSchema.safeParse(options ?? {});
  if (!parsed.success) throw new Error(`${describeIssues(parsed.error, { root: 'options' })}`);
  const o = parsed.data;
  const thresholds = new Map(
    Object.entries(o.thresholds).map(([metric, list]) => [
      metric,
      list.map((t) => (typeof t === 'string' ? t : t.threshold)),
    ]),
  );
  const common = {
    testTags: o.tags,
    thresholds,
    executionSegment: o.executionSegment,
    setupTimeoutMs: o.setupTimeout,
    teardownTimeoutMs: o.teardownTimeout,
  };
  const entry = o.scenarios === undefined ? undefined : Object.entries(o.scenarios)[0];
  if (entry !== undefined) {
    const [name, s] = entry;
    const scenario: ScenarioPlan = {
      name,
      executor: s.executor,
      vus: s.vus,
      iterations: s.iterations,
      maxDurationMs: s.maxDuration,
      gracefulStopMs: s.gracefulStop,
      startTimeMs: s.startTime,
      exec: s.exec,
      env: s.env,
      tags: s.tags,
    };
    return { ...common, scenario };
  }
  const vus = o.vus ?? 1;
  const iterations = o.iterations ?? vus;
  if (iterations < vus) throw new Error(`options.vus: ${vus} VUs but only ${iterations} iterations`);
  const scenario: ScenarioPlan = {
    name: 'default',
    executor: 'shared-iterations',
    vus,
    iterations,
    maxDurationMs: 600_000,
    gracefulStopMs: 30_000,
    startTimeMs: 0,
    exec: 'default',
    env: {},
    tags: {},
  };
  return { ...common, scenario };
}

/** One end of an execution segment: "1/3", "0.5", "50%", "1". */
function fraction(text: string, segment: string): number {
  const t = text.trim();
  const ratio = /^(\d+)\/(\d+)$/.exec(t);
  const value = ratio
    ? Number(ratio[1]) / Number(ratio[2])
    : t.endsWith('%')
      ? Number(t.slice(0, -1)) / 100
      : Number(t);
  if (t === '' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new Error(
      `execution segment ${JSON.stringify(segment)}: ${JSON.stringify(text)} is not a fraction of 1`,
    );
  }
  return value;
}

/**
 * The share [from, to) of `count` (VUs or shared iterations) an execution segment gets; ids
 * from + 1 .. to are this instance's. Contiguous: k6 may hand out the ids of a segment
 * differently, but either way every id runs in exactly one instance of a full sequence.
 */
export function segmentRange(segment: string | undefined, count: number): [number, number] {
  if (segment === undefined) return [0, count];
  const parts = segment.split(':');
  if (parts.length > 2)
    throw new Error(`execution segment ${JSON.stringify(segment)}: one "from:to" at most`);
  const [a, b] =
    parts.length === 2
      ? [fraction(parts[0] ?? '', segment), fraction(parts[1] ?? '', segment)]
      : [0, fraction(parts[0] ?? '', segment)];
  if (a >= b)
    throw new Error(`execution segment ${JSON.stringify(segment)}: its start must be before its end`);
  // Rounded first, so that 1/3 and 3/9 cut at the same VU.
  const cut = (f: number): number => Math.floor(Math.round(f * count * 1e9) / 1e9);
  return [cut(a), cut(b)];
}
