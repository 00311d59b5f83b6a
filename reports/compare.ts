// `chatquake compare`: is the candidate run worse than the baseline beyond a tolerance, and is
// the difference more than noise? Three gated measures (delivery p99, recovery p99, throughput)
// are compared as a relative change with a seeded bootstrap interval; any consistency violation
// the candidate has and the baseline had none of is a regression outright.
//
// The bootstrap resamples the unit that varies independently enough: whole seconds of load for
// delivery latency and throughput (a second's messages share the system's state, so resampling
// single messages would understate the noise), incidents for recovery. Baseline and
// candidate are resampled independently and paired draw by draw into a distribution of the
// relative change; its central `confidence` interval is reported.
//
// Recovery (impact → served again, checks/failover.ts) is gated rather than failover: a candidate
// whose clients stop failing over and wait for the heal instead has fewer failover samples and
// could look better on failover alone; on recovery it looks as bad as it is.
//
// A measure regresses when the point change is worse than the tolerance AND the whole interval
// is on the worse side of zero: practically large and not noise. Worse than the tolerance with
// an interval that still includes zero is "inconclusive": reported, never gated on.
import type { CheckReport } from '../checks/index.ts';
import { selectSink, type TrendSink, trendPercentile } from '../checks/index.ts';
import { checkByName } from '../contracts/checks.ts';
import type { SummaryFile } from '../contracts/summary.ts';
import { type Histogram, percentile } from '../lib/histogram.ts';
import { createRandom, type Random } from '../lib/random.ts';
import type { RunAnalysis } from './analyze.ts';
import { consistencyRows } from './data.ts';

export interface CompareOptions {
  /** Tolerated relative regression, 0.1 = 10%. Default 0.1. */
  maxRegression?: number;
  /** Bootstrap resamples. Default 2000. */
  iterations?: number;
  /** Two-sided confidence of the interval. Default 0.95. */
  confidence?: number;
  /** Seed of the bootstrap, so one pair of runs always compares the same way. Default 1. */
  seed?: number;
}

/** What compare needs from one run; built by `compareInput` from a loaded run folder. */
export interface CompareInput {
  label: string;
  runId: string;
  scenario: string;
  seed: number | null;
  bugs: string[];
  valid: boolean;
  durationSeconds: number;
  /** Delivery latency histogram of each second of load (by intended send time). */
  deliveryBySecond: (Histogram | undefined)[];
  /** Acked sends in each second of load. */
  ackedBySecond: number[];
  /** Per incident recovery seconds, never-recovered incidents censored. */
  recovery: TrendSink;
  /** Violation counts by consistency key. */
  violations: Record<string, number>;
  /** For the charts, from load start: delivery p99 per `step` seconds, acked per second. */
  chart: { step: number; deliveryP99: (number | null)[]; acked: number[] };
}

export type MeasureKey = 'deliveryP99' | 'recoveryP99' | 'throughput';

export type MeasureVerdict = 'regressed' | 'inconclusive' | 'ok' | 'improved' | 'not comparable';

export interface MeasureComparison {
  key: MeasureKey;
  label: string;
  unit: 'ms' | 's' | '/s';
  /** True when a bigger number is worse (latencies); false for throughput. */
  higherIsWorse: boolean;
  /** Infinity: a recovery percentile among incidents that never recovered. Null: no samples. */
  baseline: number | null;
  candidate: number | null;
  /** How much worse the candidate is, relative: +0.25 = 25% worse, -0.1 = 10% better. */
  worse: number | null;
  /** The bootstrap interval of `worse`. */
  interval: [number, number] | null;
  verdict: MeasureVerdict;
  note: string;
}

export interface ConsistencyComparison {
  key: string;
  label: string;
  baseline: number;
  candidate: number;
  /** The candidate has violations of a check the baseline had none of: a regression. */
  isNew: boolean;
}

export interface CompareResult {
  baseline: Omit<CompareInput, 'deliveryBySecond' | 'ackedBySecond' | 'recovery' | 'violations' | 'chart'>;
  candidate: Omit<CompareInput, 'deliveryBySecond' | 'ackedBySecond' | 'recovery' | 'violations' | 'chart'>;
  options: Required<CompareOptions>;
  measures: MeasureComparison[];
  consistency: ConsistencyComparison[];
  regressed: boolean;
  /** One sentence per reason the candidate regressed. */
  reasons: string[];
  /** Things that make the comparison weaker (different scenarios, invalid runs, short runs). */
  caveats: string[];
  charts: {
    baseline: CompareInput['chart'];
    candidate: CompareInput['chart'];
  };
}

export const DEFAULT_COMPARE_OPTIONS: Required<CompareOptions> = {
  maxRegression: 0.1,
  iterations: 2000,
  confidence: 0.95,
  seed: 1,
};

// ---- inputs ---------------------------------------------------------------------------------

export function compareInput(
  label: string,
  analysis: RunAnalysis,
  check: CheckReport,
  summary: SummaryFile | undefined,
): CompareInput {
  const [from, to] = analysis.loadWindow;
  const section = summary?.consistency ?? (check.consistency as unknown as Record<string, unknown>);
  const violations = Object.fromEntries(consistencyRows(section).checks.map((r) => [r.key, r.count]));
  const acked = check.series.total.acked;
  const ackedBySecond = Array.from({ length: Math.max(0, to - from) }, (_, i) => acked[from + i] ?? 0);
  const recovery = selectSink(check.metrics, 'recovery_seconds');
  if (recovery.type !== 'trend') throw new Error('recovery_seconds is not a trend');
  const p99s = analysis.latency.delivery.all.p99;
  const step = analysis.step;
  return {
    label,
    runId: summary?.runId ?? analysis.runId ?? label,
    scenario: summary?.scenario ?? analysis.scenario ?? 'unknown',
    seed: summary?.seed ?? analysis.seed,
    bugs: summary?.topology?.bugs ?? [],
    valid: summary?.valid ?? check.valid.ok,
    durationSeconds: analysis.durationSeconds,
    deliveryBySecond: analysis.deliveryBySecond.slice(from, to),
    ackedBySecond,
    recovery,
    violations,
    chart: {
      step,
      deliveryP99: analysis.x
        .filter((x) => x >= from && x < to)
        .map((x) => p99s[Math.floor(x / step)] ?? null),
      acked: ackedBySecond,
    },
  };
}

// ---- statistics -----------------------------------------------------------------------------

/** Delivery p99 of a set of seconds (indexes into `seconds`; repeats allowed). */
function p99OfSeconds(seconds: readonly (Histogram | undefined)[], picks: Iterable<number>): number | null {
  const buckets = new Map<number, number>();
  let count = 0;
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const i of picks) {
    const h = seconds[i];
    if (h === undefined || h.count === 0) continue;
    for (const [b, n] of h.buckets) buckets.set(b, (buckets.get(b) ?? 0) + n);
    count += h.count;
    sum += h.sum;
    if (h.min < min) min = h.min;
    if (h.max > max) max = h.max;
  }
  if (count === 0) return null;
  return percentile({ count, sum, min, max, buckets }, 99);
}

function mean(values: readonly number[], picks: Iterable<number>): number | null {
  let total = 0;
  let n = 0;
  for (const i of picks) {
    total += values[i] ?? 0;
    n++;
  }
  return n === 0 ? null : total / n;
}

/** n indexes drawn uniformly with replacement from [0, n). */
function* resample(random: Random, n: number): Generator<number> {
  for (let i = 0; i < n; i++) yield Math.floor(random.next() * n);
}

const all = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** Recovery p99 of a resample of the incidents (censored ones rank above all times). */
function recoveryP99(sink: TrendSink, random: Random | undefined): number | null {
  const total = sink.hist.count + sink.censored;
  if (total === 0) return null;
  if (random === undefined) return trendPercentile(sink, 99);
  // Draw client ranks; the p99 of the resample is the value at the p99-th smallest drawn rank.
  const ranks = Array.from({ length: total }, () => 1 + Math.floor(random.next() * total)).sort(
    (a, b) => a - b,
  );
  const rank = ranks[Math.max(1, Math.ceil(0.99 * total)) - 1] as number;
  return trendPercentile(sink, ((rank - 0.5) / total) * 100);
}

/** Relative change, signed so that positive is worse; handles censored (infinite) values. */
export function worseBy(baseline: number, candidate: number, higherIsWorse: boolean): number {
  const b = higherIsWorse ? baseline : candidate;
  const c = higherIsWorse ? candidate : baseline;
  if (b === c) return 0;
  if (!Number.isFinite(c)) return Number.POSITIVE_INFINITY;
  if (!Number.isFinite(b)) return -1;
  if (b === 0) return Number.POSITIVE_INFINITY;
  return c / b - 1;
}

const byValue = (a: number, b: number): number => (a < b ? -1 : a > b ? 1 : 0);

function quantile(sorted: readonly number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.floor(q * (sorted.length - 1))));
  return sorted[i] as number;
}

interface Estimator {
  point: (input: CompareInput) => number | null;
  draw: (input: CompareInput, random: Random) => number | null;
}

const ESTIMATORS: Record<MeasureKey, Estimator> = {
  deliveryP99: {
    point: (x) => p99OfSeconds(x.deliveryBySecond, all(x.deliveryBySecond.length)),
    draw: (x, r) => p99OfSeconds(x.deliveryBySecond, resample(r, x.deliveryBySecond.length)),
  },
  recoveryP99: {
    point: (x) => recoveryP99(x.recovery, undefined),
    draw: (x, r) => recoveryP99(x.recovery, r),
  },
  throughput: {
    point: (x) => mean(x.ackedBySecond, all(x.ackedBySecond.length)),
    draw: (x, r) => mean(x.ackedBySecond, resample(r, x.ackedBySecond.length)),
  },
};

const MEASURES: {
  key: MeasureKey;
  label: string;
  unit: MeasureComparison['unit'];
  higherIsWorse: boolean;
}[] = [
  { key: 'deliveryP99', label: 'delivery p99', unit: 'ms', higherIsWorse: true },
  { key: 'recoveryP99', label: 'recovery p99', unit: 's', higherIsWorse: true },
  { key: 'throughput', label: 'throughput (acked/s)', unit: '/s', higherIsWorse: false },
];

function compareMeasure(
  spec: (typeof MEASURES)[number],
  baseline: CompareInput,
  candidate: CompareInput,
  options: Required<CompareOptions>,
): MeasureComparison {
  const estimator = ESTIMATORS[spec.key];
  const b = estimator.point(baseline);
  const c = estimator.point(candidate);
  const base = { ...spec, baseline: b, candidate: c };
  if (b === null || c === null) {
    const missing = b === null && c === null ? 'either run' : b === null ? 'the baseline' : 'the candidate';
    return {
      ...base,
      worse: null,
      interval: null,
      verdict: 'not comparable',
      note: `no samples in ${missing}`,
    };
  }
  if (!Number.isFinite(b) && !Number.isFinite(c)) {
    return {
      ...base,
      worse: null,
      interval: null,
      verdict: 'not comparable',
      note: 'in both runs more than 1% of affected clients never recovered, so both p99s are "never"',
    };
  }
  const worse = worseBy(b, c, spec.higherIsWorse);
  const root = createRandom(options.seed).fork(spec.key);
  const rb = root.fork('baseline');
  const rc = root.fork('candidate');
  const draws: number[] = [];
  for (let i = 0; i < options.iterations; i++) {
    const db = estimator.draw(baseline, rb);
    const dc = estimator.draw(candidate, rc);
    if (db !== null && dc !== null) draws.push(worseBy(db, dc, spec.higherIsWorse));
  }
  draws.sort(byValue);
  const alpha = (1 - options.confidence) / 2;
  const interval: [number, number] | null =
    draws.length === 0 ? null : [quantile(draws, alpha), quantile(draws, 1 - alpha)];
  const tolerance = options.maxRegression;
  let verdict: MeasureVerdict;
  let note: string;
  const pct = (x: number): string => (Number.isFinite(x) ? `${Math.round(x * 100)}%` : 'never');
  if (worse === Number.POSITIVE_INFINITY && interval !== null && interval[0] > 0) {
    verdict = 'regressed';
    note = 'more than 1% of the affected clients never recovered in the candidate, unlike the baseline';
  } else if (worse > tolerance) {
    if (interval !== null && interval[0] > 0) {
      verdict = 'regressed';
      note = `${pct(worse)} worse, beyond the ${pct(tolerance)} tolerance, and the interval excludes no change`;
    } else {
      verdict = 'inconclusive';
      note = `${pct(worse)} worse, but within the noise: the interval includes no change`;
    }
  } else if (worse < -tolerance && interval !== null && interval[1] < 0) {
    verdict = 'improved';
    note = `${pct(-worse)} better`;
  } else {
    verdict = 'ok';
    note = `within the ${pct(tolerance)} tolerance`;
  }
  return { ...base, worse, interval, verdict, note };
}

function describe(x: CompareInput): CompareResult['baseline'] {
  const { deliveryBySecond: _d, ackedBySecond: _a, recovery: _f, violations: _v, chart: _c, ...rest } = x;
  return rest;
}

export function compareRuns(
  baseline: CompareInput,
  candidate: CompareInput,
  options: CompareOptions = {},
): CompareResult {
  const resolved = { ...DEFAULT_COMPARE_OPTIONS, ...options };
  if (!(resolved.maxRegression >= 0)) throw new Error('compare: maxRegression must be 0 or more');
  if (!(resolved.confidence > 0 && resolved.confidence < 1))
    throw new Error('compare: confidence must be in (0, 1)');
  if (!Number.isInteger(resolved.iterations) || resolved.iterations < 100) {
    throw new Error('compare: iterations must be an integer of at least 100');
  }
  const measures = MEASURES.map((spec) => compareMeasure(spec, baseline, candidate, resolved));
  const keys = [...new Set([...Object.keys(baseline.violations), ...Object.keys(candidate.violations)])];
  const consistency = keys.map((key) => {
    const b = baseline.violations[key] ?? 0;
    const c = candidate.violations[key] ?? 0;
    return {
      key,
      label: checkByName(key)?.info.label ?? key,
      baseline: b,
      candidate: c,
      isNew: b === 0 && c > 0,
    };
  });
  const reasons = [
    ...measures.filter((m) => m.verdict === 'regressed').map((m) => `${m.label} regressed: ${m.note}`),
    ...consistency
      .filter((c) => c.isNew)
      .map((c) => `new consistency violation: ${c.label} ${c.candidate} (baseline 0)`),
  ];
  const caveats: string[] = [];
  if (baseline.scenario !== candidate.scenario) {
    caveats.push(
      `different scenarios (${baseline.scenario} vs ${candidate.scenario}): the runs may not be comparable`,
    );
  }
  for (const [name, x] of [
    ['baseline', baseline],
    ['candidate', candidate],
  ] as const) {
    if (!x.valid) caveats.push(`the ${name} run is invalid: its load generator could not keep up`);
    if (x.deliveryBySecond.length < 30) {
      caveats.push(`the ${name} has only ${x.deliveryBySecond.length} s of load: intervals are wide`);
    }
  }
  return {
    baseline: describe(baseline),
    candidate: describe(candidate),
    options: resolved,
    measures,
    consistency,
    regressed: reasons.length > 0,
    reasons,
    caveats,
    charts: { baseline: baseline.chart, candidate: candidate.chart },
  };
}
