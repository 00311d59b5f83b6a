// The naming rules every /metrics of ours follows (docs/METRICS.md, ANCHORS "Prometheus and
// Grafana"), as a checker the tests run over a node's prom-client registry and over the fault
// proxy's exposition text: one prefix per application, `_total` on counters and only on them,
// base units, histograms rather than summaries, and no per-user, per-conversation or
// per-message label that would give every id its own series.
import type { Registry } from 'prom-client';

export interface MetricFamily {
  name: string;
  type: string;
  labels: readonly string[];
}

/** Label names that would hold an id (`*_id` too): one series per user, conversation or message. */
export const FORBIDDEN_LABELS = new Set([
  'user',
  'users',
  'from',
  'member',
  'conversation',
  'conv',
  'message',
  'msg',
  'cmid',
  'seq',
  'id',
  'session',
]);

/** Unit words that are not base units: seconds and bytes are. */
const NON_BASE_UNITS =
  /_(milliseconds|millis|ms|microseconds|us|nanoseconds|ns|minutes|hours|days|kilobytes|kb|megabytes|mb|bits)(_|$)/;
/** Words that say a histogram measures a duration or a size, so its name must end in a base unit. */
const MEASURES = /(duration|latency|time|wait|lag|size|length|bytes|seconds)/;

export interface LintOptions {
  /** Prefixes a name may start with (the application's, and any third party's it keeps). */
  prefixes: readonly string[];
}

/** Every rule a family breaks, as sentences naming it; empty when it follows them all. */
export function lintFamily(family: MetricFamily, options: LintOptions): string[] {
  const { name, type } = family;
  const problems: string[] = [];
  const say = (what: string): void => {
    problems.push(`${name} (${type}): ${what}`);
  };
  if (!/^[a-z][a-z0-9_]*$/.test(name)) say('is not snake_case');
  if (!options.prefixes.some((p) => name.startsWith(p)))
    say(`does not start with ${options.prefixes.join(' or ')}`);
  if (type === 'counter' && !name.endsWith('_total')) say('is a counter without the _total suffix');
  if (type !== 'counter' && name.endsWith('_total')) say('ends in _total but is not a counter');
  if (type === 'summary') say('is a summary; use a histogram (quantiles aggregate across instances)');
  if (!['counter', 'gauge', 'histogram'].includes(type)) say(`has type ${type}`);
  if (NON_BASE_UNITS.test(name)) say('names a unit that is not a base unit (use _seconds or _bytes)');
  if (type === 'histogram' && MEASURES.test(name) && !/_(seconds|bytes)$/.test(name))
    say('is a histogram of a duration or size without a _seconds or _bytes suffix');
  for (const label of family.labels) {
    if (FORBIDDEN_LABELS.has(label) || label.endsWith('_id')) say(`has label ${label}, an id`);
    if (label.startsWith('__') || label === 'le' || label === 'quantile') say(`has reserved label ${label}`);
  }
  return problems;
}

export function lintFamilies(families: readonly MetricFamily[], options: LintOptions): string[] {
  return families.flatMap((f) => lintFamily(f, options));
}

/** The families a prom-client registry declares, with their label names (values not needed). */
export async function familiesOfRegistry(registry: Registry): Promise<MetricFamily[]> {
  const defaults = Object.keys((await registry.getMetricsAsJSON())[0]?.values[0]?.labels ?? {});
  return registry.getMetricsAsArray().map((metric) => {
    const declared = (metric as unknown as { labelNames?: string[] }).labelNames ?? [];
    return { name: metric.name, type: metric.type.toString(), labels: [...declared, ...defaults] };
  });
}

/** The families of an exposition text: each `# TYPE` line, with the label names its samples use. */
export function familiesOfText(text: string): MetricFamily[] {
  const families = new Map<string, { name: string; type: string; labels: Set<string> }>();
  let current: { name: string; type: string; labels: Set<string> } | undefined;
  for (const line of text.split('\n')) {
    const typed = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (typed !== null) {
      current = { name: typed[1] ?? '', type: typed[2] ?? '', labels: new Set() };
      families.set(current.name, current);
      continue;
    }
    if (line === '' || line.startsWith('#') || current === undefined) continue;
    const labels = /^[^{\s]+\{(.*)\}\s/.exec(line)?.[1] ?? '';
    for (const match of labels.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) current.labels.add(match[1] ?? '');
  }
  return [...families.values()].map((f) => ({ name: f.name, type: f.type, labels: [...f.labels] }));
}
