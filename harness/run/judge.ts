// The verdict of a run: the checkers over the saved history, the thresholds over their
// metrics, and the exit code that follows (k6's: 0 pass, 99 failed, 105 aborted by a signal,
// 1 error; 96, chatquake's own, for an invalid run). With --no-thresholds (run.json's
// `noThresholds`) failed thresholds and checks are reported but not gating: the run exits 0
// unless it broke itself (an error, a signal, an invalid or unfinished run).
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
import { iterateHistorySync } from '../../load/index.ts';
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
  /** What of the history could be judged: a cut, malformed lines, a run that never finished. */
  coverage: HistoryCoverage;
}

/** What the judge could read of a run folder, beside the events themselves. */
export interface HistoryCoverage {
  /** run.json is still the plan written at the start: the run was killed before it finished. */
  unfinished: boolean;
  /** 1-based numbers of the lines of history.jsonl that are not history events. */
  malformedLines: number[];
  /** Why the history cannot be judged whole; any of them makes a finished run invalid (96). */
  problems: string[];
  /** What the summary should say about the history besides (a killed run's cut, for one). */
  notes: string[];
}

export interface JudgeOptions {
  runDir: string;
  record: RunRecord;
  thresholds: ThresholdSet;
  /** Judge these instead of reading <runDir>/history.jsonl. */
  events?: HistoryEvent[];
}

/** What the checkers read: the events, and once they are read, how the file ended. */
interface ReadHistory {
  events: Iterable<HistoryEvent>;
  readonly truncated: boolean;
  readonly invalidLines: number[];
}

/**
 * The history streamed from the file, never held whole: a 5M-event history is about 2 GB as
 * objects, and the checkers keep only per-message state. `truncated` and `invalidLines` are
 * known once the checkers have read it through.
 */
function readEvents(options: JudgeOptions): ReadHistory {
  if (options.events !== undefined) return { events: options.events, truncated: false, invalidLines: [] };
  const path = join(options.runDir, 'history.jsonl');
  if (!existsSync(path)) return { events: [], truncated: false, invalidLines: [] };
  const stream = iterateHistorySync(path);
  return {
    events: stream,
    get truncated() {
      return stream.truncated;
    },
    get invalidLines() {
      return stream.invalidLines;
    },
  };
}

export function judgeRun(options: JudgeOptions): Judgement {
  const { record } = options;
  const read = readEvents(options);
  const report = checkHistory(read.events);
  const thresholds = evaluateThresholds(options.thresholds.parsed, report.metrics, { final: true });
  const checks = checkRows(report).filter((r) => r.name !== 'run-valid');
  const coverage = assessHistory(record, report, read);
  const invalidReasons = [
    ...new Set([...(record.load?.invalidReasons ?? []), ...report.valid.reasons, ...coverage.problems]),
  ];
  const valid = report.valid.ok && (record.load?.valid ?? true) && coverage.problems.length === 0;
  const failed = [
    ...checks.filter((c) => !c.ok).map((c) => `${c.name} (${c.actual})`),
    ...thresholds.filter((t) => !t.ok).map((t) => t.name),
  ];
  const { exitCode, reason } = decide({
    record,
    report,
    coverage,
    valid,
    invalidReasons,
    failed,
    gating: record.noThresholds !== true,
  });
  return {
    report,
    thresholds,
    checks,
    valid,
    invalidReasons,
    ok: exitCode === ExitCode.ok,
    exitCode,
    reason,
    truncated: read.truncated,
    coverage,
  };
}

/** run.json as written at the start and never rewritten: the run was killed (SIGKILL, OOM). */
function isUnfinished(record: RunRecord): boolean {
  return record.wallSeconds === 0 && record.endedAt === record.startedAt;
}

function lineList(lines: number[]): string {
  const shown = lines.slice(0, 5).join(', ');
  return lines.length > 5 ? `${shown}, …` : shown;
}

/**
 * What of the history can be judged. A finished run's history must hold the sends run.json
 * counts, end with run_end and read cleanly; a killed run's is judged up to where it stops.
 */
function assessHistory(record: RunRecord, report: CheckReport, read: ReadHistory): HistoryCoverage {
  const unfinished = isUnfinished(record);
  const problems: string[] = [];
  const notes: string[] = [];
  const malformed = read.invalidLines.length + report.run.invalidEvents;
  if (malformed > 0) {
    const where = read.invalidLines.length > 0 ? ` (line ${lineList(read.invalidLines)})` : '';
    problems.push(
      `${malformed} line${malformed === 1 ? '' : 's'} of history.jsonl ${malformed === 1 ? 'is not a history event' : 'are not history events'}${where}: the history is damaged, so what they held was not judged`,
    );
  }
  const sends = report.load.sent;
  if (unfinished) {
    notes.push(
      `the run did not finish (run.json is the plan written at its start): the history is cut${read.truncated ? ' mid-line' : ''} where the run stopped, and was judged up to there`,
    );
    return { unfinished, malformedLines: read.invalidLines, problems, notes };
  }
  if (read.truncated)
    problems.push('history.jsonl ends mid-line although run.json says the run finished: the history is cut');
  const counted = record.load?.sent;
  if (counted !== undefined && sends < counted)
    problems.push(`the history is cut: it holds ${sends} of the ${counted} sends run.json counts`);
  else if (report.run.events > 0 && !report.run.complete)
    problems.push('the history is cut: it has no run_end although run.json says the run finished');
  if (counted !== undefined && sends > counted)
    problems.push(
      `the history holds ${sends} sends, more than the ${counted} run.json counts: lines were repeated or mixed from another run`,
    );
  if (sends === 0 && (counted === undefined || counted === 0))
    problems.push('no load: the history holds no sends, so there is nothing to judge');
  return { unfinished, malformedLines: read.invalidLines, problems, notes };
}

export interface Decision {
  record: RunRecord;
  report: CheckReport;
  coverage: HistoryCoverage;
  valid: boolean;
  invalidReasons: string[];
  /** Names of the failed checks and thresholds. */
  failed: string[];
  /** False with --no-thresholds: failed thresholds and checks do not fail the run. */
  gating: boolean;
}

function listed(names: string[]): string {
  return `${names.length} failed: ${names.slice(0, 4).join(', ')}${names.length > 4 ? ', …' : ''}`;
}

/** The exit code and its one-line reason; an invalid, cut or empty run is never a pass. */
export function decide(d: Decision): { exitCode: number; reason: string } {
  const { record, report, failed } = d;
  if (record.errors.length > 0)
    return { exitCode: ExitCode.error, reason: `the run failed: ${record.errors[0]}` };
  if (record.interrupted?.reason === 'signal') {
    return {
      exitCode: ExitCode.externalAbort,
      reason: `interrupted (${record.interrupted.detail}); the results cover the run up to then`,
    };
  }
  if (d.coverage.unfinished) {
    const found = failed.length > 0 ? `; ${listed(failed)}` : '';
    return {
      exitCode: ExitCode.error,
      reason: `the run did not finish (killed?): the history was judged up to where it is cut: ${report.load.sent} sent, ${report.load.acked} acked${found}`,
    };
  }
  if (!d.valid) {
    return {
      exitCode: ExitCode.invalidRun,
      reason: `invalid run: ${d.invalidReasons.join('; ') || 'the load generator reported itself unhealthy'}`,
    };
  }
  if (!d.gating) {
    return {
      exitCode: ExitCode.ok,
      reason:
        failed.length > 0
          ? `${listed(failed)}, not gating (--no-thresholds)`
          : 'all thresholds and checks passed (--no-thresholds: they were not gating)',
    };
  }
  if (record.interrupted?.reason === 'threshold') {
    // k6: a threshold with abortOnFail that failed mid-run fails the run, whatever the end says.
    return {
      exitCode: ExitCode.thresholdsFailed,
      reason: `stopped early: ${record.interrupted.detail} failed with abortOnFail`,
    };
  }
  if (failed.length > 0) return { exitCode: ExitCode.thresholdsFailed, reason: listed(failed) };
  return { exitCode: ExitCode.ok, reason: 'all thresholds and checks passed' };
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
  /** The same count split: a session seeing one message twice, and a push stream going backwards. */
  violationsByCheck(): { duplicates: number; order: number };
  /** A failed abortOnFail threshold's name, or undefined. Costly: call at most once a second. */
  abortReason(elapsedMs: number): string | undefined;
}

const LIVE_CHECK_INTERVAL_MS = 5000;

export function createLiveJudge(
  prepared: Pick<PreparedRun, 'thresholds'>,
  options: { abortOnFail?: boolean } = {},
): LiveJudge {
  // --no-thresholds: a threshold does not fail the run, so it does not stop it either.
  const abortable =
    options.abortOnFail === false ? [] : prepared.thresholds.parsed.filter((t) => t.abortOnFail);
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
    violationsByCheck: () => ({ duplicates, order: backwards }),
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
