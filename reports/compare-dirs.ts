// compare for two run folders: load both (checkers + analysis), compare, write compare.html.
import { join } from 'node:path';
import { type CompareOptions, type CompareResult, compareInput, compareRuns } from './compare.ts';
import { writeCompareHtml } from './compare-render.ts';
import { loadRun } from './run-dir.ts';

export interface CompareDirsOptions extends CompareOptions {
  /** Where compare.html goes; default `<candidate dir>/compare.html`. */
  out?: string;
}

export async function compareRunDirs(
  baselineDir: string,
  candidateDir: string,
  options: CompareDirsOptions = {},
): Promise<{ result: CompareResult; htmlPath: string }> {
  const [baseline, candidate] = [await loadRun(baselineDir), await loadRun(candidateDir)];
  const result = compareRuns(
    compareInput(baselineDir, baseline.analysis, baseline.check, baseline.summary),
    compareInput(candidateDir, candidate.analysis, candidate.check, candidate.summary),
    options,
  );
  const htmlPath = writeCompareHtml(result, options.out ?? join(candidateDir, 'compare.html'));
  return { result, htmlPath };
}
