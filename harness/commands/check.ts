// `chatquake check <run dir>`: judges a saved run again — the checkers over history.jsonl, the
// thresholds from run.json (or --thresholds FILE) — and rewrites summary.json and junit.xml.
// Works on a run that was killed half way: a history cut mid-line is judged up to the cut.
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ExitCode } from '../cli/exit-codes.ts';
import { formatEndOfRun, writeReport, writeResults } from '../results/results.ts';
import { judgeRun } from '../run/judge.ts';
import type { RunRecord } from '../run/run-record.ts';
import { ThresholdsSpec } from '../scenario/scenario.ts';
import { mergeThresholds, validateThresholds } from '../scenario/thresholds.ts';

function fail(message: string): number {
  process.stderr.write(`chatquake check: ${message}\n`);
  return ExitCode.usage;
}

export async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { thresholds: { type: 'string' }, quiet: { type: 'boolean', short: 'q' } },
    });
  } catch (error) {
    return fail((error as Error).message);
  }
  const [dir, ...extra] = parsed.positionals;
  if (dir === undefined) return fail('name a run folder (runs/<time>-<scenario>)');
  if (extra.length > 0) return fail(`one run folder at a time (got ${parsed.positionals.join(', ')})`);
  const runDir = resolve(dir);
  if (!existsSync(join(runDir, 'history.jsonl')))
    return fail(`${dir}: no history.jsonl (is this a run folder?)`);
  const recordPath = join(runDir, 'run.json');
  if (!existsSync(recordPath)) return fail(`${dir}: no run.json (is this a run folder?)`);
  let record: RunRecord;
  try {
    record = JSON.parse(readFileSync(recordPath, 'utf8')) as RunRecord;
    record.warnings ??= [];
  } catch (error) {
    return fail(`${recordPath}: not JSON (${(error as Error).message})`);
  }

  let raw = record.thresholds;
  const thresholdsFile = typeof parsed.values.thresholds === 'string' ? parsed.values.thresholds : undefined;
  if (thresholdsFile !== undefined) {
    try {
      const result = ThresholdsSpec.safeParse(JSON.parse(readFileSync(thresholdsFile, 'utf8')));
      if (!result.success) return fail(`--thresholds ${thresholdsFile}: ${result.error.issues[0]?.message}`);
      raw = mergeThresholds(result.data);
    } catch (error) {
      return fail(`--thresholds ${thresholdsFile}: ${(error as Error).message}`);
    }
  }
  let thresholds: ReturnType<typeof validateThresholds>;
  try {
    thresholds = validateThresholds(raw);
  } catch (error) {
    return fail((error as Error).message);
  }

  const judgement = judgeRun({ runDir, record, thresholds });
  const summary = writeResults(runDir, record, judgement);
  await writeReport(runDir, summary);
  if (parsed.values.quiet !== true) {
    const shown = relative(process.cwd(), runDir) || '.';
    process.stdout.write(formatEndOfRun(summary, judgement, shown.startsWith('..') ? runDir : shown));
  }
  return judgement.exitCode;
}
