// Reading a run folder: history.jsonl streamed once through both the checkers and the report's
// own analysis, summary.json validated. A report is most wanted when a run went wrong, so a
// missing or unreadable summary.json is a warning shown in the report, not a failure; a missing
// history is a failure (there is nothing to draw).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CheckReport, createCheckRun } from '../checks/index.ts';
import { parseSummary, type SummaryFile } from '../contracts/summary.ts';
import { type AnalyzeOptions, createAnalyzer, type RunAnalysis } from './analyze.ts';
import { REPORT_CHECK_EXAMPLES } from './data.ts';
import { readHistoryFile } from './history-file.ts';

export interface LoadedRun {
  dir: string;
  analysis: RunAnalysis;
  check: CheckReport;
  summary: SummaryFile | undefined;
  warnings: string[];
}

export async function loadRun(dir: string, options: AnalyzeOptions = {}): Promise<LoadedRun> {
  const historyPath = join(dir, 'history.jsonl');
  if (!existsSync(historyPath)) throw new Error(`${dir}: no history.jsonl (is this a chatquake run folder?)`);
  const warnings: string[] = [];
  let summary: SummaryFile | undefined;
  const summaryPath = join(dir, 'summary.json');
  if (existsSync(summaryPath)) {
    try {
      summary = parseSummary(readFileSync(summaryPath, 'utf8'), summaryPath);
    } catch (error) {
      warnings.push(`summary.json could not be used: ${(error as Error).message}`);
    }
  }
  const analyzer = createAnalyzer({ sampleSeed: summary?.seed, ...options });
  const checker = createCheckRun({ maxExamples: REPORT_CHECK_EXAMPLES });
  const stats = await readHistoryFile(historyPath, (event) => {
    analyzer.add(event);
    checker.add(event);
  });
  if (stats.invalidLines > 0) {
    warnings.push(`${stats.invalidLines} history lines were skipped: ${stats.problems.join('; ')}`);
  }
  return { dir, analysis: analyzer.finish(), check: checker.finish(), summary, warnings };
}
