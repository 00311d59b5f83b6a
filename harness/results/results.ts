// The files a run leaves for people and CI: summary.json (the numbers and the verdict),
// junit.xml (one testcase per threshold and per check), report.html (drawn by reports/), and
// the end-of-run text on the console.
import { execFileSync } from 'node:child_process';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FailoverPercentiles, IncidentCounts, Percentiles } from '../../checks/index.ts';
import { checkByMetric, pickCheckCounts } from '../../contracts/checks.ts';
import { ExitCode } from '../../contracts/exit-codes.ts';
import { type FailoverSummary, SUMMARY_SCHEMA_VERSION, type Summary } from '../../contracts/summary.ts';
import type { Judgement } from '../run/judge.ts';
import type { RunRecord } from '../run/run-record.ts';
import { TARGETS } from '../targets/index.ts';
import { type JunitCase, renderJunit } from './junit.ts';

type P4 = Summary['latency']['ackMs'];
type Counted = FailoverSummary['seconds'];

const r = (n: number | null): number | null => (n === null ? null : round(n));
const counted = (p: FailoverPercentiles): Counted => ({
  count: p.count,
  censored: p.censored,
  p50: r(p.p50),
  p99: r(p.p99),
  max: r(p.max),
});
const incidentFigures = (c: IncidentCounts): IncidentCounts => ({
  incidents: c.incidents,
  clients: c.clients,
  failedOver: c.failedOver,
  rodeOut: c.rodeOut,
  neverRecovered: c.neverRecovered,
  unobserved: c.unobserved,
});
const p4 = (p: Percentiles): P4 => ({ p50: r(p.p50), p90: r(p.p90), p99: r(p.p99), max: r(p.max) });

/** JSON has no Infinity: a censored percentile is written as the string "Infinity". */
function jsonActual(value: number | null): number | string | null {
  if (value === null) return null;
  if (Number.isFinite(value)) return round(value);
  return Number.isNaN(value) ? null : value > 0 ? 'Infinity' : '-Infinity';
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

let commitCache: string | null | undefined;
function gitCommit(): string | null {
  if (commitCache !== undefined) return commitCache;
  try {
    commitCache = execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: new URL('../..', import.meta.url),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 2000,
    }).trim();
  } catch {
    commitCache = null;
  }
  return commitCache;
}

export function buildSummary(record: RunRecord, judgement: Judgement, warnings: string[] = []): Summary {
  const { report } = judgement;
  const c = report.consistency;
  const byPhase: Summary['latency']['byPhase'] = {};
  for (const [phase, set] of Object.entries(report.latency.byPhase)) {
    byPhase[phase] = { ackMs: p4(set.ackMs), deliveryMs: p4(set.deliveryMs) };
  }
  const loadStart = report.phases.marks.find((m) => m.name === 'load_start')?.at ?? 0;
  const nodesOf = (name: string) => record.topology.regions.find((r) => r.name === name)?.nodes ?? [];
  return {
    schemaVersion: SUMMARY_SCHEMA_VERSION,
    runId: record.runId,
    scenario: record.scenario.name,
    description: record.scenario.description,
    seed: record.seed,
    startedAt: record.startedAt,
    durationSeconds: round(report.run.durationSeconds),
    wallSeconds: round(record.wallSeconds),
    commit: gitCommit(),
    ok: judgement.ok,
    valid: judgement.valid,
    invalidReasons: judgement.invalidReasons,
    exitCode: judgement.exitCode,
    verdict: judgement.reason,
    interrupted: record.interrupted,
    tags: record.tags ?? {},
    noThresholds: record.noThresholds === true,
    errors: record.errors,
    warnings: [...(record.warnings ?? []), ...warnings],
    topology: {
      target: record.scenario.target ?? 'reference',
      regions: record.scenario.topology.regions.map((name) => ({
        name,
        nodes: nodesOf(name).length,
        nodeNames: nodesOf(name),
      })),
      // A run.json from a target this build does not know keeps what its scenario said.
      ack:
        TARGETS[record.scenario.target ?? 'reference']?.ackLevel(record.scenario.topology) ??
        record.scenario.topology.ack,
      leaseMs: record.scenario.topology.leaseMs,
      bugs: record.scenario.topology.bugs,
    },
    load: {
      sent: report.load.sent,
      acked: report.load.acked,
      failed: report.load.failed,
      indeterminate: report.load.indeterminate,
      pending: report.load.pending,
      delivered: report.load.delivered,
      loadSeconds: round(report.load.loadSeconds),
      sendRatePerSecond: round(report.load.sendRatePerSecond),
      deliverRatePerSecond: round(report.load.deliverRatePerSecond),
      lateSends: record.load?.lateSends ?? null,
      sendLagP99Ms: record.load?.sendLagP99Ms ?? null,
    },
    latency: { ackMs: p4(report.latency.ackMs), deliveryMs: p4(report.latency.deliveryMs), byPhase },
    failover: {
      ...incidentFigures(report.failover),
      seconds: counted(report.failover.seconds),
      recoverySeconds: counted(report.failover.recoverySeconds),
      faults: report.failover.faults.map((f) => ({
        id: f.id,
        kind: f.kind,
        target: f.target,
        start: round(f.start),
        end: f.end === null ? null : round(f.end),
        ...incidentFigures(f),
        seconds: counted(f.seconds),
        recoverySeconds: counted(f.recoverySeconds),
      })),
    },
    consistency: {
      ...pickCheckCounts(c),
      recovered: c.recovered,
      indeterminateMissing: c.indeterminateMissing,
      failedAfterAck: c.failedAfterAck,
      ackedLostStoredOnly: c.ackedLostStoredOnly,
      convergenceSeconds: c.convergenceSeconds === null ? null : round(c.convergenceSeconds),
      examples: c.examples,
    },
    faults: record.faults.map((f) => ({
      id: f.id,
      kind: f.kind,
      target: f.target,
      regions: f.regions,
      at: f.appliedAt === null ? null : round(f.appliedAt / 1000),
      until: f.revertedAt === null ? null : round(f.revertedAt / 1000),
      ...(f.error ? { error: f.error } : {}),
    })),
    thresholds: judgement.thresholds.map((t) => ({
      metric: t.metric,
      expression: t.expression,
      actual: jsonActual(t.actual),
      ok: t.ok,
    })),
    checks: judgement.checks.map((r) => ({ name: r.name, ok: r.ok, actual: r.actual })),
    notes: [
      ...(judgement.truncated ? ['the history ends mid-line (a killed run); the cut line was skipped'] : []),
      ...judgement.coverage.notes,
      ...report.notes,
      ...(loadStart > 0
        ? [`load started ${round(loadStart)} s after run_start (fault times count from load start)`]
        : []),
    ],
    files: {
      history: 'history.jsonl',
      faults: 'faults.json',
      run: 'run.json',
      junit: 'junit.xml',
      report: 'report.html',
      logs: 'logs/',
    },
  };
}

function fmt(value: number | null, unit = ''): string {
  if (value === null) return '-';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '-∞';
  const a = Math.abs(value);
  const text =
    a >= 100 ? String(Math.round(value)) : a >= 10 ? value.toFixed(1) : String(Number(value.toPrecision(3)));
  return `${text}${unit}`;
}

export function buildJunit(summary: Summary, judgement: Judgement, runDir: string): string {
  const cases: JunitCase[] = [];
  // --no-thresholds: a failed threshold or check is reported as skipped, saying it was not gating.
  const notGating = (ok: boolean, message: string) =>
    summary.noThresholds && !ok ? `not gating (--no-thresholds): ${message}` : message;
  for (const t of judgement.thresholds) {
    cases.push({
      classname: `chatquake.${summary.scenario}.thresholds`,
      name: `${t.metric} - ${t.expression}`,
      ok: t.ok,
      skipped: t.skipped === true || (summary.noThresholds && !t.ok),
      message: t.ok
        ? undefined
        : notGating(t.ok, `${t.metric}: ${t.expression} failed, actual ${fmt(t.actual)}`),
      details: t.ok ? undefined : thresholdDetails(t.metric, judgement),
    });
  }
  for (const row of judgement.checks) {
    cases.push({
      classname: `chatquake.${summary.scenario}.checks`,
      name: row.name,
      ok: row.ok,
      skipped: summary.noThresholds && !row.ok,
      message: row.ok ? undefined : notGating(row.ok, `${row.name}: ${row.actual} found`),
      details: row.ok ? undefined : exampleText(row.examples),
    });
  }
  cases.push({
    classname: `chatquake.${summary.scenario}.checks`,
    name: 'run-valid',
    ok: judgement.valid,
    message: judgement.valid ? undefined : `invalid run: ${judgement.invalidReasons.join('; ')}`,
    details: judgement.valid ? undefined : judgement.invalidReasons.join('\n'),
  });
  if (summary.errors.length > 0 || summary.interrupted?.reason === 'signal') {
    cases.push({
      classname: `chatquake.${summary.scenario}.run`,
      name: 'run-completed',
      ok: false,
      message: summary.errors[0] ?? `interrupted: ${summary.interrupted?.detail}`,
      details: summary.errors.join('\n'),
    });
  }
  return renderJunit({
    name: `chatquake ${summary.scenario}`,
    timestamp: summary.startedAt,
    timeSeconds: summary.wallSeconds,
    properties: {
      runId: summary.runId,
      scenario: summary.scenario,
      seed: String(summary.seed),
      exitCode: String(summary.exitCode),
      ...(summary.commit ? { commit: summary.commit } : {}),
      bugs: summary.topology.bugs.join(','),
      ...(summary.noThresholds ? { thresholds: 'not gating (--no-thresholds)' } : {}),
      ...Object.fromEntries(Object.entries(summary.tags).map(([key, value]) => [`tag.${key}`, value])),
    },
    cases,
    systemOut: `${summary.verdict}\nrun folder: ${runDir}`,
  });
}

function exampleText(examples: string[], max = 5): string {
  if (examples.length === 0) return '';
  const shown = examples.slice(0, max).map((e, i) => `${i + 1}. ${e}`);
  if (examples.length > max) shown.push(`… and ${examples.length - max} more in summary.json`);
  return shown.join('\n');
}

/** For a threshold on a consistency metric, the examples of the matching check. */
function thresholdDetails(metric: string, judgement: Judgement): string {
  const name = metric.replace(/\{.*$/, '');
  const check = checkByMetric(name)?.info.name;
  const row = judgement.checks.find((r) => r.name === check);
  if (row !== undefined) return exampleText(row.examples);
  if (name === 'failover_seconds') {
    return judgement.report.failoverExamples
      .slice(0, 5)
      .map((e, i) => `${i + 1}. ${e.message}`)
      .join('\n');
  }
  return '';
}

/** Whole or not at all: a failed write (a folder in the way, a full disk) leaves no `.partial`. */
function writeAtomically(path: string, text: string): void {
  const partial = `${path}.partial`;
  try {
    writeFileSync(partial, text);
    renameSync(partial, path);
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  }
}

/** Writes summary.json and junit.xml; returns the summary. */
export function writeResults(
  runDir: string,
  record: RunRecord,
  judgement: Judgement,
  warnings: string[] = [],
): Summary {
  const summary = buildSummary(record, judgement, warnings);
  writeAtomically(join(runDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  writeAtomically(join(runDir, 'junit.xml'), buildJunit(summary, judgement, runDir));
  return summary;
}

/** Two lines: how long users were without service, and how many failed over, rode out, never recovered. */
function formatFailover(f: FailoverSummary): string[] {
  // A null percentile with censored samples lies among incidents that never recovered.
  const at = (v: number | null, p: Counted) => (v === null && p.censored > 0 ? 'never' : fmt(v, 's'));
  const figure = (p: Counted) => `p50 ${at(p.p50, p)} p99 ${at(p.p99, p)} max ${at(p.max, p)}`;
  const unobserved = f.unobserved > 0 ? `, ${f.unobserved} with nothing to measure` : '';
  return [
    `  recovery  ${figure(f.recoverySeconds)} over ${f.incidents - f.unobserved} incidents of ${f.clients} clients: ${f.failedOver} failed over, ${f.rodeOut} rode out, ${f.neverRecovered} never recovered${unobserved}`,
    `  failover  ${f.failedOver + f.neverRecovered === 0 ? 'none (no client was served again while a fault was on)' : figure(f.seconds)}`,
  ];
}

/** The verdict's word for each exit code of a finished run (docs/CLI.md). */
const VERDICT_WORDS: Record<number, string> = {
  [ExitCode.invalidRun]: 'INVALID',
  [ExitCode.thresholdsFailed]: 'FAILED',
  [ExitCode.externalAbort]: 'ABORTED',
};

/** The end-of-run text: verdict, key figures, failed thresholds and checks with examples. */
export function formatEndOfRun(summary: Summary, judgement: Judgement, runDirShown: string): string {
  const l = summary.load;
  const lines: string[] = [''];
  const mark = (ok: boolean) => (ok ? '✓' : '✗');
  lines.push(
    `  load      sent ${l.sent}  acked ${l.acked}  failed ${l.failed}  indeterminate ${l.indeterminate}  delivered ${l.delivered}  (${fmt(l.sendRatePerSecond)}/s sent, ${fmt(l.deliverRatePerSecond)}/s delivered)`,
  );
  lines.push(
    `  latency   ack p50 ${fmt(summary.latency.ackMs.p50, 'ms')} p99 ${fmt(summary.latency.ackMs.p99, 'ms')}   delivery p50 ${fmt(summary.latency.deliveryMs.p50, 'ms')} p99 ${fmt(summary.latency.deliveryMs.p99, 'ms')} max ${fmt(summary.latency.deliveryMs.max, 'ms')}`,
  );
  if (summary.failover.faults.length > 0) lines.push(...formatFailover(summary.failover));
  if (summary.faults.length > 0) {
    lines.push('  faults');
    for (const f of summary.faults) {
      const window =
        f.at === null
          ? 'never applied'
          : `${fmt(f.at, 's')} → ${f.until === null ? 'end' : fmt(f.until, 's')}`;
      lines.push(`    ${f.id}  ${f.target}  ${window}${f.error ? `  (error: ${f.error})` : ''}`);
    }
  }
  lines.push(
    `  converged ${summary.consistency.convergenceSeconds === null ? '-' : `${fmt(summary.consistency.convergenceSeconds, 's')} after heal`}`,
  );
  lines.push('');
  lines.push('  checks');
  for (const row of judgement.checks) {
    lines.push(`    ${mark(row.ok)} ${row.name}${row.ok ? '' : `: ${row.actual}`}`);
    if (!row.ok) for (const e of row.examples.slice(0, 3)) lines.push(`        ${e}`);
  }
  lines.push('  thresholds');
  for (const t of judgement.thresholds) {
    lines.push(
      `    ${mark(t.ok)} ${t.metric}: ${t.expression}  (actual ${fmt(t.actual)}${t.skipped ? ', no samples' : ''})`,
    );
  }
  if (summary.noThresholds)
    lines.push('    (--no-thresholds: a failed threshold or check is shown but does not fail the run)');
  if (!summary.valid) lines.push('', `  INVALID RUN: ${summary.invalidReasons.join('; ')}`);
  for (const note of summary.notes.slice(0, 5)) lines.push(`  note: ${note}`);
  for (const warning of summary.warnings) lines.push(`  warning: ${warning}`);
  lines.push('');
  const verdict = summary.ok
    ? summary.noThresholds && /failed/.test(summary.verdict)
      ? 'PASSED, NOT GATING'
      : 'PASSED'
    : (VERDICT_WORDS[summary.exitCode] ?? 'ERROR');
  lines.push(`  ${verdict} (exit ${summary.exitCode}): ${summary.verdict}`);
  lines.push(`  results in ${runDirShown}/ (summary.json, junit.xml, report.html, history.jsonl, logs/)`);
  return `${lines.join('\n')}\n`;
}

/** report.html is a view of the results: failing to draw it is a warning, never a failed run. */
export async function writeReport(
  runDir: string,
  summary: Summary,
  progress?: { log(message: string): void },
): Promise<void> {
  try {
    const { renderReport } = await import('../../reports/index.ts');
    await renderReport(runDir);
  } catch (error) {
    const message = `report.html could not be written: ${error instanceof Error ? error.message : String(error)}`;
    summary.warnings.push(message);
    writeFileSync(join(runDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    progress?.log(`  warning: ${message}`);
  }
}
