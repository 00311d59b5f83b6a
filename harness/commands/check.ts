// `chatquake check <run dir>`: judges a saved run again — the checkers over history.jsonl, the
// thresholds from run.json (or --thresholds FILE) — and rewrites summary.json and junit.xml.
// Works on a run that was killed half way: its history is judged up to the cut and the verdict
// says so. A damaged folder is never passed: a history shorter than run.json says, malformed
// lines or no load make the run invalid (96); a run.json of the wrong shape is a configuration
// error naming the field (104), never a stack trace. `--no-thresholds` (or a run made with it)
// reports failed thresholds and checks without failing the verdict.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { describeIssues } from '../../contracts/errors.ts';
import { ExitCode } from '../cli/exit-codes.ts';
import { parseArgsOptions } from '../cli/flag-table.ts';
import { checkSpec } from '../cli/options.ts';
import { formatEndOfRun, writeReport, writeResults } from '../results/results.ts';
import { readRunRecord } from '../results/run-record-file.ts';
import { type Judgement, judgeRun } from '../run/judge.ts';
import type { RunRecord } from '../run/run-record.ts';
import { ThresholdsSpec } from '../scenario/scenario.ts';
import { mergeThresholds, type ThresholdSet, validateThresholds } from '../scenario/thresholds.ts';

function fail(message: string, code: number = ExitCode.invalidConfig): number {
  process.stderr.write(`chatquake check: ${message}\n`);
  return code;
}

const isFile = (path: string) => existsSync(path) && statSync(path).isFile();

/** The run folder, its run.json and the thresholds to judge by, or a usage error's message. */
function readInputs(
  argv: string[],
): { runDir: string; record: RunRecord; thresholds: ThresholdSet; quiet: boolean } | string {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: parseArgsOptions(checkSpec.flags),
    });
  } catch (error) {
    return (error as Error).message;
  }
  const [dir, ...extra] = parsed.positionals;
  if (dir === undefined) return 'name a run folder (runs/<time>-<scenario>)';
  if (extra.length > 0) return `one run folder at a time (got ${parsed.positionals.join(', ')})`;
  const runDir = resolve(dir);
  if (!existsSync(join(runDir, 'history.jsonl'))) return `${dir}: no history.jsonl (is this a run folder?)`;
  if (!isFile(join(runDir, 'history.jsonl'))) return `${dir}: history.jsonl is not a file`;
  const recordPath = join(runDir, 'run.json');
  if (!existsSync(recordPath)) return `${dir}: no run.json (is this a run folder?)`;
  let record: RunRecord;
  try {
    record = readRunRecord(recordPath);
  } catch (error) {
    return (error as Error).message;
  }
  const file = typeof parsed.values.thresholds === 'string' ? parsed.values.thresholds : undefined;
  let raw = record.thresholds;
  try {
    if (file !== undefined) {
      const result = ThresholdsSpec.safeParse(JSON.parse(readFileSync(file, 'utf8')));
      if (!result.success) return `--thresholds ${file}: ${describeIssues(result.error)}`;
      raw = mergeThresholds(result.data);
    }
  } catch (error) {
    return `--thresholds ${file}: ${(error as Error).message}`;
  }
  try {
    const noThresholds = parsed.values['no-thresholds'] === true || record.noThresholds === true;
    return {
      runDir,
      record: { ...record, noThresholds },
      thresholds: validateThresholds(raw),
      quiet: parsed.values.quiet === true,
    };
  } catch (error) {
    return `${file === undefined ? `${recordPath}: thresholds` : `--thresholds ${file}`}: ${(error as Error).message}`;
  }
}

export async function main(argv: string[]): Promise<number> {
  const inputs = readInputs(argv);
  if (typeof inputs === 'string') return fail(inputs);
  const { runDir, record, thresholds } = inputs;
  let judgement: Judgement;
  try {
    judgement = judgeRun({ runDir, record, thresholds });
  } catch (error) {
    return fail(`${runDir}: the history could not be judged: ${(error as Error).message}`, ExitCode.error);
  }
  let summary: ReturnType<typeof writeResults>;
  try {
    summary = writeResults(runDir, record, judgement);
  } catch (error) {
    return fail(`${runDir}: the results could not be written: ${(error as Error).message}`, ExitCode.error);
  }
  await writeReport(runDir, summary);
  if (!inputs.quiet) {
    const shown = relative(process.cwd(), runDir) || '.';
    process.stdout.write(formatEndOfRun(summary, judgement, shown.startsWith('..') ? runDir : shown));
  }
  return judgement.exitCode;
}
