// The report room's public surface. The runner calls renderReport(runDir) at the end of a run;
// the CLI's `report` and `compare` commands use the rest.

export { parseSummary, SummaryFile } from '../contracts/summary.ts';
export type { AnalyzeOptions } from './analyze.ts';
export {
  type CompareInput,
  type CompareOptions,
  type CompareResult,
  compareInput,
  compareRuns,
  DEFAULT_COMPARE_OPTIONS,
} from './compare.ts';
export { type CompareDirsOptions, compareRunDirs } from './compare-dirs.ts';
export { compareViewData, formatComparison, renderCompareHtml, writeCompareHtml } from './compare-render.ts';
export { buildReportData, reportDataFromHistory } from './data.ts';
export {
  type RenderOptions,
  renderReport,
  renderReportHtml,
  reportDataForRun,
  writeReport,
} from './render.ts';
export { type LoadedRun, loadRun } from './run-dir.ts';
export type { ReportData } from './types.ts';
