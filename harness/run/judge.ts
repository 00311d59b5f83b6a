// The verdict of a run: the checkers over the saved history, the thresholds over their
// metrics, and the exit code that follows (k6's: 0 pass, 99 failed, 97 invalid, 1 error).
// `run` calls it when a run ends; `check` calls it again on a saved run folder.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ThresholdResult } from '../../checks/index.ts';
import {
  type CheckReport,
  type CheckRow,
  checkHistory,
  checkRows,
  evaluateThresholds,
} from '../../checks/index.ts';
import type { HistoryEvent } from '../../contracts/history.ts';
import { readHistorySync } from '../../load/index.ts';
import { ExitCode } from '../cli/exit-codes.ts';
import type { PreparedRun } from '../scenario/prepare.ts';
import type { ThresholdSet } from '../scenario/thresholds.ts';
import type { RunRecord } from './run-record.ts';

export interface Judgement {
  report: CheckReport;
  thresholds: ThresholdResult[];
  /** One row per consistency check (run validity is reported apart, as `valid`). */
  checks: CheckRow[];
  valid: boolean;
  invalidReasons: string[];
  /** Every threshold and every check passed, the run is valid and nothing went wrong. */
  ok: boolean;
  exitCode: number;
  /** Why the exit code is not 0, in one line. */
  reason: string;
  /** The history ended mid-line (a killed run); what was before it was judged. */
  truncated: boolean;
}

export interface JudgeOptions {
  runDir: string;
  record: RunRecord;
  thresholds: ThresholdSet;
  /** Judge these instead of reading <runDir>/history.jsonl. */
  events?: HistoryEvent[];
}

export function judgeRun(options: JudgeOptions): Judgement {
  const { record } = options;
  let events = options.events;
  let truncated = false;
  if (events === undefined) {
    const path = join(options.runDir, 'history.jsonl');
    if (existsSync(path)) {
      const read = readHistorySync(path);
      events = read.events;
      truncated = read.truncated;
    } else events = [];
  }
  const report = checkHistory(events);
  const thresholds = evaluateThresholds(options.thresholds.parsed, report.metrics, { final: true });
  const rows = checkRows(report);
  const checks = rows.filter((r) => r.name !== 'run-valid');
  const invalidReasons = [...new Set([...(record.load?.invalidReasons ?? []), ...report.valid.reasons])];
  const valid = report.valid.ok && (record.load?.valid ?? true);

  const failedThresholds = thresholds.filter((t) => !t.ok);
  const failedChecks = checks.filter((c) => !c.ok);
  let exitCode: number;
  let reason: string;
  if (record.errors.length > 0) {
    exitCode = ExitCode.error;
    reason = `the run failed: ${record.errors[0]}`;
  } else if (record.interrupted?.reason === 'signal') {
    exitCode = ExitCode.error;
    reason = `interrupted (${record.interrupted.detail}); the results cover the run up to then`;
  } else if (!valid) {
    exitCode = ExitCode.invalid;
    reason = `invalid run: ${invalidReasons.join('; ') || 'the load generator reported itself unhealthy'}`;
  } else if (record.interrupted?.reason === 'threshold') {
    // k6: a threshold with abortOnFail that failed mid-run fails the run, whatever the end says.
    exitCode = ExitCode.thresholdsFailed;
    reason = `stopped early: ${record.interrupted.detail} failed with abortOnFail`;
  } else if (failedThresholds.length > 0 || failedChecks.length > 0) {
    exitCode = ExitCode.thresholdsFailed;
    const names = [
      ...failedChecks.map((c) => `${c.name} (${c.actual})`),
      ...failedThresholds.map((t) => t.name),
    ];
    reason = `${names.length} failed: ${names.slice(0, 4).join(', ')}${names.length > 4 ? ', …' : ''}`;
  } else if (record.load === null || events.length === 0) {
    // Nothing ran (an empty history): nothing passed either.
    exitCode = ExitCode.error;
    reason = 'no load ran, so there is nothing to judge';
  } else {
    exitCode = ExitCode.ok;
    reason = 'all thresholds and checks passed';
  }
  return {
    report,
    thresholds,
    checks,
    valid,
    invalidReasons,
    ok: exitCode === ExitCode.ok,
    exitCode,
    reason,
    truncated,
  };
}

/**
 * Live signals while a run is going: a cheap count of violations a session can see on its own
 * (a message delivered twice, a conversation's stream going backwards), for the status line;
 * and, only when some threshold has abortOnFail, a periodic full check of the history so far
 * to decide whether to stop the run early (k6 semantics, delayAbortEval included).
 */
export interface LiveJudge {
  add(event: HistoryEvent): void;
  violations(): number;
  /** A failed abortOnFail threshold's name, or undefined. Costly: call at most once a second. */
  abortReason(elapsedMs: number): string | undefined;
}

const LIVE_CHECK_INTERVAL_MS = 5000;

export function createLiveJudge(prepared: Pick<PreparedRun, 'thresholds'>): LiveJudge {
  const abortable = prepared.thresholds.parsed.filter((t) => t.abortOnFail);
  const seen = new Set<string>();
  const lastSeq = new Map<string, number>();
  let duplicates = 0;
  let backwards = 0;
  const events: HistoryEvent[] | undefined = abortable.length > 0 ? [] : undefined;
  let lastCheck = Number.NEGATIVE_INFINITY;

  return {
    add(event) {
      events?.push(event);
      if (event.type !== 'deliver') return;
      const key = `${event.session}\u0000${event.conv}\u0000${event.from}\u0000${event.cmid}`;
      if (seen.has(key)) duplicates++;
      else seen.add(key);
      if (event.via === 'push') {
        const stream = `${event.session}\u0000${event.conv}`;
        const last = lastSeq.get(stream) ?? 0;
        if (event.seq < last) backwards++;
        else lastSeq.set(stream, event.seq);
      }
    },
    violations: () => duplicates + backwards,
    abortReason(elapsedMs) {
      if (events === undefined) return undefined;
      const now = performance.now();
      if (now - lastCheck < LIVE_CHECK_INTERVAL_MS) return undefined;
      lastCheck = now;
      const report = checkHistory(events);
      const results = evaluateThresholds(abortable, report.metrics, { elapsedMs, final: false });
      const failed = results.find((r) => r.abort === true);
      return failed === undefined ? undefined : `${failed.name} (actual ${failed.actual})`;
    },
  };
}
