// chatquake's thresholds as k6 `options.thresholds` over the generated script's custom metrics,
// so that k6 itself fails a run on what it can see (latency, errors, throughput) as it goes. A
// k6 instance sees only its own VUs, and it cannot see the consistency checks (a lost or
// duplicated message shows only when every history is merged): those, and anything the script
// has no metric or tag for, are left to `chatquake ingest k6`, each with its reason.
import type { ThresholdEntry, ThresholdsSpec } from '../scenario/scenario.ts';

type K6Kind = 'trend' | 'counter' | 'rate';

/** chatquake metric → the script's metric, its kind and the tags its samples carry. */
export const K6_METRICS: Record<string, { metric: string; kind: K6Kind; tags: readonly string[] }> = {
  delivery_latency_ms: { metric: 'im_delivery_ms', kind: 'trend', tags: ['region'] },
  ack_latency_ms: { metric: 'im_ack_ms', kind: 'trend', tags: ['region'] },
  ack_latency_actual_ms: { metric: 'im_ack_actual_ms', kind: 'trend', tags: ['region'] },
  send_error_rate: { metric: 'im_send_errors', kind: 'rate', tags: ['region'] },
  failover_seconds: { metric: 'im_failover_s', kind: 'trend', tags: ['region'] },
  messages_sent: { metric: 'im_sent', kind: 'counter', tags: ['region'] },
  messages_acked: { metric: 'im_acked', kind: 'counter', tags: ['region'] },
  messages_delivered: { metric: 'im_delivered', kind: 'counter', tags: ['region'] },
};

/** Aggregations k6 judges per metric kind. */
const K6_AGGREGATIONS: Record<K6Kind, RegExp> = {
  trend: /^(avg|min|max|med|p\(\s*[\d.]+\s*\))$/,
  counter: /^(count|rate)$/,
  rate: /^rate$/,
};

/** Why a chatquake metric has no k6 counterpart. */
const LEFT_REASONS: Record<string, string> = {
  delivery_latency_actual_ms: 'the receiver does not know when the message actually left',
  recovery_seconds: 'measured per incident from the merged history',
  failover_rate: 'measured per incident from the merged history',
  convergence_seconds: "needs the regions' digests after the run",
  run_invalid: "judged from the load generator's health",
};

export type K6Threshold = string | { threshold: string; abortOnFail?: boolean; delayAbortEval?: string };

export interface K6Thresholds {
  thresholds: Record<string, K6Threshold[]>;
  /** chatquake threshold keys (and expressions) k6 does not judge, and why. */
  leftOut: { key: string; reason: string }[];
}

const CONSISTENCY = 'a consistency check: it needs every instance’s history merged';

/** `metric{tag:value,...}` → its parts; undefined when the key is not of that form. */
function splitKey(key: string): { name: string; tags: [string, string][] } | undefined {
  const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\{(.*)\})?\s*$/.exec(key);
  if (m === null) return undefined;
  const tags = (m[2] ?? '')
    .split(',')
    .filter((p) => p.trim() !== '')
    .map((p): [string, string] => {
      const colon = p.indexOf(':');
      return [p.slice(0, colon).trim(), p.slice(colon + 1).trim()];
    });
  return { name: m[1] as string, tags };
}

function expressionOf(entry: ThresholdEntry): string {
  return typeof entry === 'string' ? entry : entry.threshold;
}

/** The entry in k6's form: a numeric delayAbortEval (ms) becomes a duration string. */
function k6Entry(entry: ThresholdEntry): K6Threshold {
  if (typeof entry === 'string') return entry;
  const { threshold, abortOnFail, delayAbortEval } = entry;
  return {
    threshold,
    ...(abortOnFail === undefined ? {} : { abortOnFail }),
    ...(delayAbortEval === undefined
      ? {}
      : { delayAbortEval: typeof delayAbortEval === 'number' ? `${delayAbortEval}ms` : delayAbortEval }),
  };
}

/** Maps merged chatquake thresholds to k6's; what k6 cannot judge is listed with its reason. */
export function k6Thresholds(spec: ThresholdsSpec): K6Thresholds {
  const thresholds: Record<string, K6Threshold[]> = {};
  const leftOut: K6Thresholds['leftOut'] = [];
  for (const [key, value] of Object.entries(spec)) {
    const entries = Array.isArray(value) ? value : [value];
    const parts = splitKey(key);
    const target = parts === undefined ? undefined : K6_METRICS[parts.name];
    if (parts === undefined || target === undefined) {
      const reason = parts === undefined ? 'not a metric key' : (LEFT_REASONS[parts.name] ?? CONSISTENCY);
      leftOut.push({ key, reason });
      continue;
    }
    const foreign = parts.tags.find(([tag]) => !target.tags.includes(tag));
    if (foreign !== undefined) {
      leftOut.push({
        key,
        reason: `${target.metric} has no "${foreign[0]}" tag (k6 does not know the run's phases or faults)`,
      });
      continue;
    }
    const k6Key =
      parts.tags.length === 0
        ? target.metric
        : `${target.metric}{${parts.tags.map(([t, v]) => `${t}:${v}`).join(',')}}`;
    for (const entry of entries) {
      const expression = expressionOf(entry);
      const aggregation = expression.split(/[<>=!]/)[0]?.trim() ?? '';
      if (!K6_AGGREGATIONS[target.kind].test(aggregation)) {
        leftOut.push({
          key: `${key} ${expression}`,
          reason: `k6 has no "${aggregation}" for a ${target.kind}`,
        });
        continue;
      }
      const list = thresholds[k6Key] ?? [];
      thresholds[k6Key] = list;
      list.push(k6Entry(entry));
    }
  }
  return { thresholds, leftOut };
}
