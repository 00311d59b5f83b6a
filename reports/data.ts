// ReportData = the checkers' verdicts + what the history shows over time. The verdict, the
// thresholds and the consistency counts come from summary.json whenever it has them, so the
// report never disagrees with junit.xml or the exit code; the checkers (checks/, run here over
// the same history) supply the counts, failover and phase latencies summary.json lacks and the
// per-second series; reports/analyze.ts supplies only what the checkers do not compute.

import { type CheckReport, checkHistory } from '../checks/index.ts';
import {
  CHECK_KEYS,
  CHECKS,
  checkByName,
  INFORMATIONAL,
  type InformationalKey,
} from '../contracts/checks.ts';
import { ExitCode } from '../contracts/exit-codes.ts';
import type { HistoryEvent } from '../contracts/history.ts';
import type { SummaryFile } from '../contracts/summary.ts';
import { type AnalyzeOptions, analyzeHistory, type RunAnalysis } from './analyze.ts';
import {
  type ConsistencyCheckRow,
  type ConsistencyExample,
  type FailoverFaultRow,
  type Percentiles,
  REPORT_SCHEMA_VERSION,
  type ReportData,
  type ThroughputSeries,
  type VerdictStatus,
} from './types.ts';

/** Keys of the consistency section that are not counts. */
const NOT_COUNTS = new Set(['convergenceSeconds', 'examples', 'convergence']);

/** Examples kept per check: enough to understand it, few enough to read. */
const EXAMPLES_PER_CHECK = 5;

/** The check's key in the consistency section, from an example's check name or the key itself. */
export function checkKey(name: string): string {
  return checkByName(name)?.key ?? name;
}

/** Reads a consistency section (summary.json's or the checkers') into violation and info rows. */
export function consistencyRows(section: Record<string, unknown>): {
  checks: ConsistencyCheckRow[];
  info: ConsistencyCheckRow[];
} {
  const countOf = (value: unknown): number | undefined => {
    if (typeof value === 'number' && Number.isFinite(value)) return value;
    if (typeof value === 'object' && value !== null && 'count' in value) {
      const n = (value as { count: unknown }).count;
      if (typeof n === 'number' && Number.isFinite(n)) return n;
    }
    return undefined;
  };
  const checks: ConsistencyCheckRow[] = [];
  const info: ConsistencyCheckRow[] = [];
  for (const key of CHECK_KEYS) {
    const text = CHECKS[key];
    const count = countOf(section[key]);
    if (count !== undefined) checks.push({ key, count, label: text.label, description: text.description });
  }
  for (const [key, value] of Object.entries(section)) {
    if (key in CHECKS || NOT_COUNTS.has(key)) continue;
    const count = countOf(value);
    if (count === undefined) continue;
    const text = key in INFORMATIONAL ? INFORMATIONAL[key as InformationalKey] : undefined;
    // A count the report does not know yet is shown as a violation: better a false alarm than a hidden one.
    if (text !== undefined) info.push({ key, count, label: text.label, description: text.description });
    else checks.push({ key, count, label: key, description: '' });
  }
  return { checks, info };
}

/** summary.json times may be epoch ms or seconds since the start; the report uses the latter. */
function toRunSeconds(value: number | string | null | undefined, t0: number): number | null {
  if (value === null || value === undefined) return null;
  const n = typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isFinite(n)) return null;
  return n > 1e11 ? Math.round(n - t0) / 1000 : n;
}

const nullable = (n: number | null | undefined): number | null =>
  n === undefined || n === null || !Number.isFinite(n) ? null : n;

function verdictOf(summary: SummaryFile | undefined, check: CheckReport): ReportData['verdict'] {
  if (summary === undefined) {
    const valid = check.valid.ok;
    return {
      status: valid ? 'unknown' : 'invalid',
      ok: null,
      valid,
      invalidReasons: check.valid.reasons,
      text: null,
      errors: [],
      exitCode: valid ? null : ExitCode.invalidRun,
    };
  }
  const valid = summary.valid ?? null;
  const ok = summary.ok ?? null;
  const status: VerdictStatus =
    valid === false ? 'invalid' : ok === true ? 'pass' : ok === false ? 'fail' : 'unknown';
  const exitCode =
    summary.exitCode ??
    (status === 'invalid'
      ? ExitCode.invalidRun
      : status === 'fail'
        ? ExitCode.thresholdsFailed
        : status === 'pass'
          ? ExitCode.ok
          : null);
  return {
    status,
    ok,
    valid,
    invalidReasons: summary.invalidReasons,
    text: summary.verdict ?? null,
    errors: summary.errors,
    exitCode,
  };
}

/** Per-second counts into the report's buckets, as events per second. */
function bucketed(values: readonly number[], step: number, buckets: number): number[] {
  const out = new Array<number>(buckets).fill(0);
  values.forEach((n, i) => {
    const b = Math.floor(i / step);
    if (b < buckets) out[b] = (out[b] ?? 0) + n;
  });
  return out.map((n) => Math.round((n / step) * 1000) / 1000);
}

function throughputOf(check: CheckReport, analysis: RunAnalysis): ReportData['throughput'] {
  const n = analysis.x.length;
  const of = (s: {
    sent: number[];
    acked: number[];
    delivered: number[];
    errors: number[];
  }): ThroughputSeries => ({
    sent: bucketed(s.sent, analysis.step, n),
    acked: bucketed(s.acked, analysis.step, n),
    delivered: bucketed(s.delivered, analysis.step, n),
    errors: bucketed(s.errors, analysis.step, n),
  });
  return {
    all: of(check.series.total),
    byRegion: Object.fromEntries(Object.entries(check.series.regions).map(([r, s]) => [r, of(s)])),
  };
}

function failoverRows(analysis: RunAnalysis, check: CheckReport): FailoverFaultRow[] {
  const source = check.failover.faults;
  const lostExamples = check.checks.lost.examples.filter((e) => e.check === 'acked-lost');
  const lostAtLeast = lostExamples.length < check.consistency.ackedLost;
  const windows = analysis.faults;
  // Rows and windows are both in fault start order; match in order on kind and target.
  const used = new Set<number>();
  const rows = source.map((row): FailoverFaultRow => {
    const match = windows.findIndex(
      (w, i) => !used.has(i) && w.kind === row.kind && (row.target === '' || w.target === row.target),
    );
    if (match >= 0) used.add(match);
    const w = match >= 0 ? windows[match] : undefined;
    const start = w?.start ?? toRunSeconds(row.start, analysis.t0);
    const end = w === undefined ? toRunSeconds(row.end, analysis.t0) : w.end;
    const until = end ?? analysis.durationSeconds;
    const reconnect = match >= 0 ? analysis.reconnects[match] : undefined;
    return {
      fault: match >= 0 ? match : null,
      kind: row.kind,
      target: row.target,
      start,
      end,
      clients: row.clients,
      failedOver: row.failedOver,
      rodeOut: row.rodeOut,
      neverRecovered: row.neverRecovered,
      unobserved: row.unobserved,
      failover: percentilesOf(row.seconds),
      recovery: percentilesOf(row.recoverySeconds),
      lost:
        start === null
          ? 0
          : lostExamples.filter((e) => e.t !== undefined && e.t >= start && e.t < until).length,
      lostAtLeast,
      reconnect: reconnect ?? { disconnected: 0, reconnected: 0, samples: [] },
    };
  });
  return rows;
}

function consistencyOf(
  analysis: RunAnalysis,
  check: CheckReport,
  summary: SummaryFile | undefined,
): ReportData['consistency'] {
  const section = summary?.consistency;
  const source = section === undefined ? 'history' : 'summary';
  const counts = consistencyRows(
    section === undefined ? (check.consistency as unknown as Record<string, unknown>) : section,
  );
  const rawExamples: {
    check: string;
    message: string;
    conv?: string | null;
    cmid?: string | null;
    region?: string | null;
    t?: number | null;
  }[] = section === undefined ? check.consistency.examples : section.examples;
  const perCheck = new Map<string, number>();
  const examples: ConsistencyExample[] = [];
  for (const e of rawExamples) {
    const key = checkKey(e.check);
    const n = perCheck.get(key) ?? 0;
    if (n >= EXAMPLES_PER_CHECK) continue;
    perCheck.set(key, n + 1);
    examples.push({
      check: key,
      message: e.message,
      conv: e.conv ?? null,
      cmid: e.cmid ?? null,
      region: e.region ?? null,
      t: toRunSeconds(e.t, analysis.t0),
    });
  }
  const convergence =
    section === undefined ? check.consistency.convergenceSeconds : nullable(section.convergenceSeconds);
  return { source, ...counts, examples, convergenceSeconds: convergence ?? null };
}

const percentilesOf = (p: {
  count?: number;
  p50?: number | null;
  p90?: number | null;
  p99?: number | null;
  max?: number | null;
}): Percentiles => ({
  count: p.count ?? 0,
  p50: nullable(p.p50),
  p90: nullable(p.p90),
  p99: nullable(p.p99),
  max: nullable(p.max),
});

export interface BuildOptions {
  /** Extra warnings to show (missing files, unreadable lines). */
  warnings?: string[];
}

export function buildReportData(
  analysis: RunAnalysis,
  check: CheckReport,
  summary: SummaryFile | undefined,
  options: BuildOptions = {},
): ReportData {
  const load = summary?.load;
  const sent = load?.sent ?? check.load.sent;
  const failed = load?.failed ?? check.load.failed;
  const indeterminate = load?.indeterminate ?? check.load.indeterminate;
  const failoverFaults = failoverRows(analysis, check);
  const consistency = consistencyOf(analysis, check, summary);
  const topologyRegions = summary?.topology?.regions ?? [];
  const regionNames = [...analysis.regions];
  for (const r of topologyRegions) if (!regionNames.includes(r.name)) regionNames.push(r.name);
  // summary.json's notes are the checkers' notes (plus the runner's); take one copy.
  const warnings = [
    ...(options.warnings ?? []),
    ...(summary?.warnings ?? []),
    ...analysis.warnings,
    ...(summary === undefined ? check.notes : summary.notes),
  ];
  if (summary === undefined) {
    warnings.unshift(
      'summary.json is missing: no thresholds; the checks were run on the history for this report.',
    );
  }
  const fo = check.failover;

  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    run: {
      runId: summary?.runId ?? analysis.runId ?? 'unknown',
      scenario: summary?.scenario ?? analysis.scenario ?? 'unknown',
      description: summary?.description ?? null,
      seed: summary?.seed ?? analysis.seed,
      startedAt: summary?.startedAt ?? (analysis.t0 > 0 ? new Date(analysis.t0).toISOString() : null),
      t0: analysis.t0,
      durationSeconds: summary?.durationSeconds ?? analysis.durationSeconds,
      commit: summary?.commit ?? null,
      ackLevel: summary?.topology?.ack ?? analysis.ackLevel,
      bugs: summary?.topology?.bugs ?? [],
      regions: regionNames.map((name) => {
        const nodes = topologyRegions.find((r) => r.name === name)?.nodes;
        return { name, nodes: nodes === undefined ? null : Array.isArray(nodes) ? nodes.length : nodes };
      }),
      users: analysis.users,
      conversations: analysis.conversations,
      load: {
        sent,
        acked: load?.acked ?? check.load.acked,
        failed,
        indeterminate,
        delivered: load?.delivered ?? check.load.delivered,
        sendRatePerSecond: nullable(load?.sendRatePerSecond) ?? check.load.sendRatePerSecond,
        deliverRatePerSecond: nullable(load?.deliverRatePerSecond) ?? check.load.deliverRatePerSecond,
      },
      phases: analysis.phases,
    },
    verdict: verdictOf(summary, check),
    thresholds: (summary?.thresholds ?? []).map((t) => ({
      metric: t.metric,
      expression: t.expression,
      actual: t.actual ?? null,
      ok: t.ok,
    })),
    headline: {
      ackP99: nullable(summary?.latency?.ackMs?.p99) ?? check.latency.ackMs.p99,
      deliveryP99: nullable(summary?.latency?.deliveryMs?.p99) ?? check.latency.deliveryMs.p99,
      failoverP99Seconds: fo.seconds.p99,
      recoveryP99Seconds: fo.recoverySeconds.p99,
      neverRecovered: fo.neverRecovered,
      violations: consistency.checks.reduce((n, c) => n + c.count, 0),
      errorRate: sent > 0 ? (failed + indeterminate) / sent : null,
    },
    time: { step: analysis.step, x: analysis.x },
    lanes: analysis.lanes,
    faults: analysis.faults,
    throughput: throughputOf(check, analysis),
    latency: analysis.latency,
    connections: analysis.connections,
    samples: analysis.samples,
    failover: {
      overall: { ...percentilesOf(fo.seconds), censored: fo.seconds.censored },
      recovery: { ...percentilesOf(fo.recoverySeconds), censored: fo.recoverySeconds.censored },
      counts: {
        incidents: fo.incidents,
        clients: fo.clients,
        failedOver: fo.failedOver,
        rodeOut: fo.rodeOut,
        neverRecovered: fo.neverRecovered,
        unobserved: fo.unobserved,
      },
      faults: failoverFaults,
    },
    matrix: { regions: analysis.regions, cells: analysis.matrix },
    phases: {
      rows: (['before', 'fault', 'after'] as const).map((phase) => ({
        phase,
        delivery: percentilesOf(check.latency.byPhase[phase].deliveryMs),
        ack: percentilesOf(check.latency.byPhase[phase].ackMs),
      })),
      perFault: analysis.faultPhases,
    },
    consistency,
    warnings,
  };
}

/** Examples the in-process checkers keep per check: enough to count losses per fault window. */
export const REPORT_CHECK_EXAMPLES = 5000;

/** The whole pipeline for a history already in memory. */
export function reportDataFromHistory(
  events: readonly HistoryEvent[],
  summary: SummaryFile | undefined,
  options: AnalyzeOptions & BuildOptions = {},
): ReportData {
  const check = checkHistory(events, { maxExamples: REPORT_CHECK_EXAMPLES });
  return buildReportData(analyzeHistory(events, options), check, summary, options);
}
