// Thresholds in k6's grammar, so CI users can bring theirs over:
//   {"delivery_latency_ms": ["p(99)<800"], "acked_lost": ["count==0"],
//    "failover_seconds{fault:regionOutage}": [{"threshold": "p(99)<5", "abortOnFail": true, "delayAbortEval": "10s"}]}
// An expression is `aggregation operator number`; aggregations are avg, min, max, med, p(N)
// and count for trends, count and rate for counters, rate for rates; operators are k6's
// (<, <=, >, >=, ==, ===, !=), scanned in k6's order. A key may select a sub-metric by tag:
// `metric{tag:value,tag:value}`. Every mistake is reported with the key and expression it is in.
//
// Empty metrics follow k6: while a run is in progress (`final: false`) a threshold on a metric
// with no samples is skipped; at the end it is judged on zeros (an empty trend's p(99) is 0, an
// empty rate is 0, an empty counter's count is 0).

import { z } from 'zod';
import { CHECK_KEYS, CHECKS } from '../contracts/checks.ts';
import { parseDuration } from '../lib/duration.ts';
import {
  AGGREGATIONS,
  type Aggregation,
  aggregate,
  isEmptySink,
  isMetricName,
  METRIC_CATALOGUE,
  METRIC_NAMES,
  type MetricName,
  type MetricStore,
  PHASES,
  selectSink,
  supportsAggregation,
  TAG_NAMES,
  type TagName,
  type Tags,
} from './metrics.ts';

export const OPERATORS = ['<=', '<', '>=', '>', '===', '==', '!='] as const;
export type Operator = (typeof OPERATORS)[number];

export interface ParsedThreshold {
  /** The key as written, e.g. `delivery_latency_ms{phase:fault}`. */
  key: string;
  metric: MetricName;
  tags: Tags;
  /** The expression as written, e.g. `p(99)<800`. */
  expression: string;
  aggregation: Aggregation;
  operator: Operator;
  value: number;
  abortOnFail: boolean;
  /** abortOnFail waits until the run has lasted this long; undefined = at once. */
  delayAbortEvalMs: number | undefined;
}

export interface ThresholdResult {
  /** The key as written (metric and tag filter). */
  metric: string;
  expression: string;
  /** `<key> - <expression>`, the way k6 names a threshold in JUnit. */
  name: string;
  /** The aggregated value; null when skipped (no samples mid-run). +Infinity: censored samples. */
  actual: number | null;
  ok: boolean;
  /** The threshold failed, has abortOnFail, and its delayAbortEval has passed. */
  abort?: boolean;
  skipped?: boolean;
}

const ThresholdObject = z
  .object({
    threshold: z.string(),
    abortOnFail: z.boolean().optional(),
    delayAbortEval: z.union([z.string(), z.number()]).optional(),
  })
  .strict();

const SHAPE =
  'expected an expression string, a {threshold, abortOnFail?, delayAbortEval?} object, or an array of them';
const ThresholdsInput = z.record(
  z.string(),
  z.union([z.string(), ThresholdObject, z.array(z.union([z.string(), ThresholdObject]))], {
    error: SHAPE,
  }),
  { error: 'expected an object mapping metric names to thresholds' },
);

export type ThresholdsInput = z.input<typeof ThresholdsInput>;

/** Every consistency check must find nothing; scenarios extend this (see extendThresholds). */
export const defaultThresholds: Record<string, string[]> = Object.fromEntries(
  CHECK_KEYS.map((key) => [CHECKS[key].metric, ['count==0']]),
);

/** `base` with `extra`'s expressions appended per key (duplicates dropped). */
export function extendThresholds(base: ThresholdsInput, extra: ThresholdsInput = {}): ThresholdsInput {
  const out: Record<string, (string | z.input<typeof ThresholdObject>)[]> = {};
  for (const source of [base, extra]) {
    for (const [key, value] of Object.entries(source)) {
      const list = Array.isArray(value) ? value : [value];
      const into = out[key] ?? [];
      out[key] = into;
      for (const item of list) {
        const text = JSON.stringify(item);
        if (!into.some((existing) => JSON.stringify(existing) === text)) into.push(item);
      }
    }
  }
  return out;
}

function quote(text: string): string {
  return JSON.stringify(text);
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function parseAggregation(text: string): Aggregation | { error: string } {
  if (
    text === 'avg' ||
    text === 'min' ||
    text === 'max' ||
    text === 'med' ||
    text === 'count' ||
    text === 'rate'
  ) {
    return text;
  }
  const m = /^p\(\s*([^)]*?)\s*\)$/.exec(text);
  if (m !== null) {
    const p = m[1] as string;
    if (!NUMBER.test(p)) return { error: `percentile "${p}" is not a number` };
    const n = Number(p);
    if (n < 0 || n > 100) return { error: `percentile ${n} is outside 0–100` };
    return { p: n };
  }
  if (text === '')
    return { error: 'the aggregation is missing (use avg, min, max, med, p(N), count or rate)' };
  return { error: `unknown aggregation "${text}" (use avg, min, max, med, p(N), count or rate)` };
}

function aggregationName(agg: Aggregation): string {
  return typeof agg === 'object' ? `p(${agg.p})` : agg;
}

interface ParsedKey {
  metric: MetricName;
  tags: Tags;
}

function parseKey(key: string): ParsedKey | string {
  const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\{(.*)\})?\s*$/.exec(key);
  if (m === null) return 'not a metric name, nor metric{tag:value}';
  const name = m[1] as string;
  if (!isMetricName(name)) return `unknown metric "${name}"; known metrics: ${METRIC_NAMES.join(', ')}`;
  const def = METRIC_CATALOGUE[name];
  const tags: Tags = {};
  const filter = m[2];
  if (filter !== undefined) {
    if (filter.trim() === '') return 'empty tag filter {}';
    for (const part of filter.split(',')) {
      const colon = part.indexOf(':');
      if (colon < 0) return `tag filter "${part.trim()}" is not tag:value`;
      const tag = part.slice(0, colon).trim();
      const value = part
        .slice(colon + 1)
        .trim()
        .replace(/^(["'])(.*)\1$/, '$2');
      if (!(TAG_NAMES as readonly string[]).includes(tag)) {
        return `unknown tag "${tag}"; tags are ${TAG_NAMES.join(', ')}`;
      }
      if (!(def.tags as readonly string[]).includes(tag)) {
        return `${name} has no "${tag}" tag${def.tags.length > 0 ? `; its tags are ${def.tags.join(', ')}` : ''}`;
      }
      if (value === '') return `tag "${tag}" has no value`;
      if (tag === 'phase' && !(PHASES as readonly string[]).includes(value)) {
        return `phase "${value}" is not one of ${PHASES.join(', ')}`;
      }
      if (tags[tag as TagName] !== undefined) return `tag "${tag}" given twice`;
      tags[tag as TagName] = value;
    }
  }
  return { metric: name, tags };
}

function parseExpression(
  expression: string,
  metric: MetricName,
): { aggregation: Aggregation; operator: Operator; value: number } | string {
  let split: [string, Operator, string] | undefined;
  for (const op of OPERATORS) {
    const at = expression.indexOf(op);
    if (at >= 0) {
      split = [expression.slice(0, at).trim(), op, expression.slice(at + op.length).trim()];
      break;
    }
  }
  if (split === undefined) return 'no operator (use <, <=, >, >=, ==, === or !=)';
  const [lhs, operator, rhs] = split;
  const aggregation = parseAggregation(lhs);
  if (typeof aggregation === 'object' && 'error' in aggregation) return aggregation.error;
  if (!NUMBER.test(rhs)) return `right-hand side "${rhs}" is not a number`;
  const type = METRIC_CATALOGUE[metric].type;
  if (!supportsAggregation(type, aggregation)) {
    return `${aggregationName(aggregation)} does not apply to ${metric}, a ${type}; use ${AGGREGATIONS[type].join(', ')}`;
  }
  return { aggregation, operator, value: Number(rhs) };
}

function describeIssue(issue: z.ZodError['issues'][number]): string {
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `[${quote(String(p))}]`)).join('');
  return `thresholds${path}: ${issue.message}`;
}

/**
 * Parses thresholds in k6's object form. Throws one Error listing every problem, each naming
 * its key and expression: `thresholds["delivery_latency_ms"][0]: "p(99)<<800" is not a valid
 * expression: right-hand side "<800" is not a number`.
 */
export function parseThresholds(input: unknown): ParsedThreshold[] {
  const shape = ThresholdsInput.safeParse(input ?? {});
  if (!shape.success) throw new Error(shape.error.issues.map(describeIssue).join('\n'));
  const problems: string[] = [];
  const parsed: ParsedThreshold[] = [];
  for (const [key, raw] of Object.entries(shape.data)) {
    const where = `thresholds[${quote(key)}]`;
    const parsedKey = parseKey(key);
    if (typeof parsedKey === 'string') {
      problems.push(`${where}: ${parsedKey}`);
      continue;
    }
    const items = Array.isArray(raw) ? raw : [raw];
    items.forEach((item, i) => {
      const at = Array.isArray(raw) ? `${where}[${i}]` : where;
      const spec: z.output<typeof ThresholdObject> = typeof item === 'string' ? { threshold: item } : item;
      const expression = spec.threshold;
      const result = parseExpression(expression, parsedKey.metric);
      if (typeof result === 'string') {
        problems.push(`${at}: ${quote(expression)} is not a valid expression: ${result}`);
        return;
      }
      let delayAbortEvalMs: number | undefined;
      if (spec.delayAbortEval !== undefined) {
        try {
          delayAbortEvalMs = parseDuration(spec.delayAbortEval);
        } catch (error) {
          problems.push(`${at}.delayAbortEval: ${(error as Error).message}`);
          return;
        }
      }
      parsed.push({
        key,
        metric: parsedKey.metric,
        tags: parsedKey.tags,
        expression,
        ...result,
        abortOnFail: spec.abortOnFail ?? false,
        delayAbortEvalMs,
      });
    });
  }
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return parsed;
}

function compare(actual: number, op: Operator, value: number): boolean {
  switch (op) {
    case '<':
      return actual < value;
    case '<=':
      return actual <= value;
    case '>':
      return actual > value;
    case '>=':
      return actual >= value;
    case '==':
    case '===':
      return actual === value;
    case '!=':
      return actual !== value;
  }
}

export interface EvaluateOptions {
  /** Run time so far: a counter's rate is per second of it, and delayAbortEval is judged against it. Default: the store's duration. */
  elapsedMs?: number;
  /** False while the run is in progress: thresholds on metrics without samples are skipped, as k6 does. Default true. */
  final?: boolean;
}

export function evaluateThresholds(
  parsed: readonly ParsedThreshold[],
  metrics: MetricStore,
  options: EvaluateOptions = {},
): ThresholdResult[] {
  const elapsedMs = options.elapsedMs ?? metrics.durationMs;
  const final = options.final ?? true;
  return parsed.map((t) => {
    const base = { metric: t.key, expression: t.expression, name: `${t.key} - ${t.expression}` };
    const sink = selectSink(metrics, t.metric, t.tags);
    if (!final && isEmptySink(sink)) return { ...base, actual: null, ok: true, skipped: true };
    const actual = aggregate(sink, t.aggregation, elapsedMs);
    const ok = compare(actual, t.operator, t.value);
    const result: ThresholdResult = { ...base, actual, ok };
    if (!ok && t.abortOnFail && (t.delayAbortEvalMs === undefined || elapsedMs > t.delayAbortEvalMs)) {
      result.abort = true;
    }
    return result;
  });
}
