// Every checker in one streaming pass: each event is validated, taken into the run model, then
// shown to each checker; `finish` collects the verdicts into one report with everything
// summary.json, junit.xml and the HTML report need, plus the metric store thresholds read.
// Pure: no I/O, no clock, no randomness — the same history always gives the same report.

import { CHECK_KEYS, CHECKS, type CheckCounts, RUN_VALID } from '../contracts/checks.ts';
import type { HistoryEvent } from '../contracts/history.ts';
import { type ConvergenceResult, createConvergenceChecker } from './convergence.ts';
import { createDuplicatesChecker, type DuplicatesResult } from './duplicates.ts';
import { createFailoverChecker, type FailoverResult } from './failover.ts';
import { createLatencyChecker, type LatencyResult } from './latency.ts';
import { createLostChecker, type LostResult } from './lost.ts';
import { addCount, createMetricStore, type MetricStore, type Phase } from './metrics.ts';
import { createRunModel, endTime, ingest, observe, type RunModel, relSeconds } from './model.ts';
import { createOrderChecker, type OrderResult } from './order.ts';
import { createResidencyChecker, type ResidencyResult } from './residency.ts';
import { type CheckOptions, type Example, resolveCheckOptions } from './result.ts';
import { createSessionGuaranteesChecker, type SessionGuaranteesResult } from './session-guarantees.ts';

export type { FailoverPercentiles, FaultFailover, IncidentCounts } from './failover.ts';
export type { LoadSummary } from './latency.ts';
export type { CheckOptions, Example, Percentiles } from './result.ts';

export interface CheckReport {
  run: {
    runId: string | null;
    scenario: string | null;
    seed: number | null;
    regions: string[];
    ackLevel: string | null;
    /** Epoch ms of time zero (run_start, else the first event). */
    startedAt: number | null;
    durationSeconds: number;
    /** run_end was seen: false for a killed run's history. */
    complete: boolean;
    events: number;
    /** Events that did not match the history schema and were skipped. */
    invalidEvents: number;
  };
  /** False when the load generator reported itself unhealthy: the run proves nothing (exit 96). */
  valid: { ok: boolean; reasons: string[] };
  load: LatencyResult['load'];
  latency: LatencyResult['latency'];
  failover: Omit<FailoverResult, 'examples'>;
  /** A count per check of contracts/checks.ts (the compiler asks for a new one here), and the informational counts. */
  consistency: CheckCounts & {
    ackedLostStoredOnly: number;
    recovered: number;
    indeterminateMissing: number;
    failedAfterAck: number;
    /** Heal → every conversation agreed, in seconds; null when some never did or nothing was measured. */
    convergenceSeconds: number | null;
    convergence: Omit<ConvergenceResult, 'examples' | 'notes'>;
    examples: Example[];
  };
  /** Fault windows, in seconds since the run start; until is null for a fault never stopped. */
  faults: { id: string; kind: string; target: string; regions: string[]; at: number; until: number | null }[];
  phases: { marks: { name: string; at: number }[]; counts: LatencyResult['phaseCounts'] };
  series: LatencyResult['series'];
  /** Failover examples (censored clients), apart from consistency examples. */
  failoverExamples: Example[];
  /** What could not be judged, and why (a cut history, failed final reads, …). */
  notes: string[];
  /** Full per-check results. */
  checks: {
    lost: LostResult;
    duplicates: DuplicatesResult;
    order: OrderResult;
    convergence: ConvergenceResult;
    sessionGuarantees: SessionGuaranteesResult;
    residency: ResidencyResult;
    failover: FailoverResult;
    latency: LatencyResult;
  };
  /** What thresholds are evaluated on; JSON.stringify renders it as a summary. */
  metrics: MetricStore;
}

export interface CheckRun {
  /** Takes the next event in history order; events failing the schema are counted and skipped. */
  add(event: HistoryEvent): void;
  /**
   * The report on the events so far, leaving the run open: for live status and abortOnFail
   * (evaluate with `final: false`). Costs time in the state kept (messages, users), not in the
   * events seen, so calling it every few seconds of a long run is cheap next to re-checking.
   */
  snapshot(): CheckReport;
  /** The final report; no events may follow. */
  finish(): CheckReport;
}

export function createCheckRun(options: Partial<CheckOptions> = {}): CheckRun {
  const resolved = resolveCheckOptions(options);
  const model = createRunModel();
  const lost = createLostChecker(resolved);
  const duplicates = createDuplicatesChecker(resolved);
  const order = createOrderChecker(resolved);
  const convergence = createConvergenceChecker(resolved);
  const session = createSessionGuaranteesChecker(resolved);
  const residency = createResidencyChecker(resolved);
  const failover = createFailoverChecker(resolved);
  const latency = createLatencyChecker(resolved);
  let finished = false;

  return {
    add(raw) {
      if (finished) throw new Error('checks: add() after finish()');
      const e = ingest(model, raw);
      if (e === undefined) return;
      observe(model, e);
      // One call site per checker, not a loop over them: each site sees one function, which V8
      // can inline, where a loop's one site sees eight and dispatches every event through a stub.
      lost.add(e, model);
      duplicates.add(e, model);
      order.add(e, model);
      convergence.add(e, model);
      session.add(e, model);
      residency.add(e, model);
      failover.add(e, model);
      latency.add(e, model);
    },
    snapshot() {
      if (finished) throw new Error('checks: snapshot() after finish()');
      return report();
    },
    finish() {
      if (finished) throw new Error('checks: finish() called twice');
      finished = true;
      return report();
    },
  };

  // Every checker's finish() leaves its state alone, so the report can be taken any number of times.
  function report(): CheckReport {
    const metrics = createMetricStore();
    metrics.durationMs = runDurationMs(model);
    const results = {
      lost: lost.finish(model, metrics),
      duplicates: duplicates.finish(model, metrics),
      order: order.finish(model, metrics),
      convergence: convergence.finish(model, metrics),
      sessionGuarantees: session.finish(model, metrics),
      residency: residency.finish(model, metrics),
      failover: failover.finish(model, metrics),
      latency: latency.finish(model, metrics),
    };
    noteUnanswered(model);
    addCount(metrics, 'run_invalid', model.health.invalid ? 1 : 0);
    return buildReport(model, results, metrics);
  }
}

/** Checks a whole history (an array, or any iterable such as a generator over a file's lines). */
export function checkHistory(
  events: Iterable<HistoryEvent>,
  options: Partial<CheckOptions> = {},
): CheckReport {
  const run = createCheckRun(options);
  for (const e of events) run.add(e);
  return run.finish();
}

function runDurationMs(model: RunModel): number {
  if (Number.isNaN(model.t0)) return 0;
  return Math.max(0, endTime(model) - model.t0);
}

function buildReport(model: RunModel, checks: CheckReport['checks'], metrics: MetricStore): CheckReport {
  const notes: string[] = [];
  if (model.events === 0) notes.push('the history holds no valid events: nothing was judged');
  else {
    if (!model.hasRunStart)
      notes.push('no run_start: times are relative to the first event and regions are those events name');
    if (Number.isNaN(model.runEndT)) {
      notes.push(
        `no run_end: the history stops at ${relSeconds(model, model.lastT).toFixed(1)}s (a killed run?); open faults and connections were judged as ending there`,
      );
    }
  }
  if (model.invalidEvents > 0) {
    notes.push(
      `${model.invalidEvents} events did not match the history schema and were skipped (first: ${model.firstInvalid})`,
    );
  }
  if (checks.latency.load.pending > 0) {
    notes.push(
      `${checks.latency.load.pending} sends had no outcome (ack, failure or indeterminate) by the end`,
    );
  }
  notes.push(...checks.lost.unjudged, ...checks.convergence.notes, ...checks.sessionGuarantees.notes);

  const { examples: failoverExamples, ...failover } = checks.failover;
  const { examples: _convExamples, notes: _convNotes, ...convergence } = checks.convergence;
  const examples = [
    ...checks.lost.examples,
    ...checks.duplicates.examples,
    ...checks.order.examples,
    ...checks.convergence.examples,
    ...checks.sessionGuarantees.examples,
    ...checks.residency.examples,
  ];

  const phaseMarks = model.phases.map((p) => ({ name: p.name, at: relSeconds(model, p.t) }));
  const counts: Record<Phase, LatencyResult['phaseCounts'][Phase]> = checks.latency.phaseCounts;

  return {
    run: {
      runId: model.runId ?? null,
      scenario: model.scenario ?? null,
      seed: model.seed ?? null,
      regions: model.regions,
      ackLevel: model.ackLevel ?? null,
      startedAt: Number.isNaN(model.t0) ? null : model.t0,
      durationSeconds: runDurationMs(model) / 1000,
      complete: !Number.isNaN(model.runEndT),
      events: model.events,
      invalidEvents: model.invalidEvents,
    },
    valid: { ok: !model.health.invalid, reasons: model.health.reasons },
    load: checks.latency.load,
    latency: checks.latency.latency,
    failover,
    consistency: {
      ackedLost: checks.lost.ackedLost,
      ackedLostStoredOnly: checks.lost.ackedLostStoredOnly,
      unexpected: checks.lost.unexpected,
      failedButAppeared: checks.lost.failedButAppeared,
      recovered: checks.lost.recovered,
      indeterminateMissing: checks.lost.indeterminateMissing,
      failedAfterAck: checks.lost.failedAfterAck,
      duplicates: checks.duplicates.duplicates,
      orderViolations: checks.order.orderViolations,
      divergentConversations: checks.order.divergentConversations,
      readYourWritesViolations: checks.sessionGuarantees.readYourWritesViolations,
      monotonicReadViolations: checks.sessionGuarantees.monotonicReadViolations,
      silentGaps: checks.sessionGuarantees.silentGaps,
      residencyViolations: checks.residency.residencyViolations,
      unconvergedConversations: checks.convergence.unconverged,
      convergenceSeconds: checks.convergence.allConvergedSeconds,
      convergence,
      examples,
    },
    faults: model.faults.map((f) => ({
      id: f.id,
      kind: f.kind,
      target: f.target,
      regions: f.regions,
      at: relSeconds(model, f.start),
      until: Number.isNaN(f.end) ? null : relSeconds(model, f.end),
    })),
    phases: { marks: phaseMarks, counts },
    series: checks.latency.series,
    failoverExamples,
    notes,
    checks,
    metrics,
  };
}

export interface CheckRow {
  /** Stable check name, e.g. "acked-lost". */
  name: string;
  ok: boolean;
  /** The count the check found (0 when ok, except for run-valid where it is 1 when invalid). */
  actual: number;
  /** The check's explanations, one sentence each. */
  examples: string[];
}

/** One row per check, for junit.xml and console summaries. */
export function checkRows(report: CheckReport): CheckRow[] {
  const c = report.consistency;
  const byCheck = (name: string): string[] =>
    c.examples.filter((e) => e.check === name).map((e) => e.message);
  const row = (name: string, actual: number): CheckRow => ({
    name,
    ok: actual === 0,
    actual,
    examples: byCheck(name),
  });
  return [
    ...CHECK_KEYS.map((key) => row(CHECKS[key].name, c[key])),
    {
      name: RUN_VALID,
      ok: report.valid.ok,
      actual: report.valid.ok ? 0 : 1,
      examples: report.valid.reasons,
    },
  ];
}

export { selectSink, summarizeMetrics, type TrendSink, trendPercentile } from './metrics.ts';
export {
  defaultThresholds,
  evaluateThresholds,
  extendThresholds,
  type ParsedThreshold,
  parseThresholds,
  type ThresholdResult,
} from './thresholds.ts';

/**
 * A run in which the target answered none of its sends (no ack, no refusal) proves nothing about
 * it: every check would pass on an empty history of outcomes. It is marked invalid, as a stalled
 * load generator is, rather than passed.
 */
function noteUnanswered(model: RunModel): void {
  let sent = 0;
  for (const m of model.messages) {
    if (Number.isNaN(m.sendT)) continue;
    sent++;
    if (m.acked || !Number.isNaN(m.failedT)) return;
  }
  if (sent === 0) return;
  model.health.invalid = true;
  model.health.reasons.push(
    `none of the ${sent} sends got an answer (no ack, no refusal): the target never served the load, so nothing was judged`,
  );
}
