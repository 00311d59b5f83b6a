// report.html: renderReportHtml is pure (ReportData in, one self-contained HTML file out);
// renderReport reads a run folder and writes <run dir>/report.html next to its data.
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AnalyzeOptions } from './analyze.ts';
import { buildReportData } from './data.ts';
import { COMMON_SCRIPTS, pageHtml } from './html.ts';
import { loadRun } from './run-dir.ts';
import type { ReportData } from './types.ts';

export interface RenderOptions {
  /** Where to write; default `<runDir>/report.html`. */
  out?: string;
  analyze?: AnalyzeOptions;
}

/**
 * The files of report.html's own script, in order: report-kit.js declares the CQReport
 * namespace and the state its parts take, the parts add the sections, report.js draws them.
 */
export const REPORT_SCRIPTS: readonly string[] = [
  'report-kit.js',
  'report-top.js',
  'report-overview.js',
  'report-timeline.js',
  'report-charts.js',
  'report-failover.js',
  'report-tables.js',
  'report-consistency.js',
  'report.js',
];

export function renderReportHtml(data: ReportData): string {
  const verdict = { pass: 'PASSED', fail: 'FAILED', invalid: 'INVALID', unknown: 'NO VERDICT' }[
    data.verdict.status
  ];
  return pageHtml({
    title: `${verdict} · ${data.run.scenario} · chatquake`,
    data,
    scripts: [COMMON_SCRIPTS, REPORT_SCRIPTS],
  });
}

/** Reads the run's data and computes what the report draws, without writing anything. */
export async function reportDataForRun(runDir: string, options: RenderOptions = {}): Promise<ReportData> {
  const run = await loadRun(runDir, options.analyze);
  return buildReportData(run.analysis, run.check, run.summary, { warnings: run.warnings });
}

/** Writes the report of `data` to `out`; written aside and renamed, so nobody opens half a report. */
export function writeReport(data: ReportData, out: string): string {
  const partial = `${out}.partial`;
  writeFileSync(partial, renderReportHtml(data));
  renameSync(partial, out);
  return out;
}

/** Writes report.html for a run folder and returns its path. */
export async function renderReport(runDir: string, options: RenderOptions = {}): Promise<string> {
  const data = await reportDataForRun(runDir, options);
  return writeReport(data, options.out ?? join(runDir, 'report.html'));
}
