// `chatquake compare <baseline dir> <candidate dir> [--max-regression 10%]`: a regression gate
// between two runs. Prints a side-by-side table, writes compare.html, and exits 99 when the
// candidate is worse beyond the tolerance (and beyond the noise) on delivery p99, recovery p99
// or throughput, or has a consistency violation the baseline had none of; 96 when either run
// is invalid or sent nothing (a comparison with a run that proves nothing proves nothing); 104
// when either folder is not a chatquake run (no history, or one that is not a history or is
// damaged): garbage given as a run used to be compared, and reported as a regression.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { readHistory } from '../../load/index.ts';
import { compareRunDirs, compareViewData, formatComparison } from '../../reports/index.ts';
import { ExitCode } from '../cli/exit-codes.ts';
import { parseArgsOptions } from '../cli/flag-table.ts';
import { joinNegativeValues, numeric } from '../cli/flags.ts';
import { compareSpec } from '../cli/options.ts';
import { outFileProblem, removePartial } from '../cli/out-file.ts';

const USAGE =
  'Usage: chatquake compare <baseline dir> <candidate dir> [--max-regression 10%] [--out FILE] [--iterations N] [--confidence 0.95] [--seed N] [--json]';

/** The largest tolerance: a candidate ten times worse (documented in docs/RESULTS.md). */
const MAX_TOLERANCE = 10;

/** "10%" → 0.1; a bare number is a fraction ("0.1"); anything else names the flag. */
const Tolerance = z
  .string()
  .trim()
  .transform((text, ctx) => {
    const percent = /^(\d+(?:\.\d+)?)%$/.exec(text);
    const value = percent ? Number(percent[1]) / 100 : /^\d*\.?\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isFinite(value) || value < 0 || (!percent && value >= 1) || value > MAX_TOLERANCE) {
      ctx.addIssue({
        code: 'custom',
        message: `"${text}" is not a tolerance: use a percentage from 0% to 1000% such as 10%, or a fraction below 1 such as 0.1`,
      });
      return z.NEVER;
    }
    return value;
  });

const Args = z.object({
  baseline: z.string().min(1),
  candidate: z.string().min(1),
  'max-regression': Tolerance.default(0.1),
  out: z.string().min(1).optional(),
  iterations: numeric(
    z.number('must be a number').int('must be a whole number').min(100).max(100_000),
  ).default(2000),
  confidence: numeric(z.number('must be a number').gt(0.5).lt(1)).default(0.95),
  seed: numeric(
    z
      .number('must be a number')
      .int('must be a whole number')
      .min(0)
      .max(2 ** 32 - 1),
  ).default(1),
  json: z.boolean().default(false),
});

const VALUE_OPTIONS = new Set(['--max-regression', '--out', '--iterations', '--confidence', '--seed']);

function parse(argv: string[]): z.infer<typeof Args> {
  const { values, positionals } = parseArgs({
    args: joinNegativeValues(argv, VALUE_OPTIONS),
    allowPositionals: true,
    strict: true,
    options: parseArgsOptions(compareSpec.flags),
  });
  if (positionals.length !== 2)
    throw new Error(`expected a baseline and a candidate run folder, got ${positionals.length} arguments`);
  const parsed = Args.safeParse({ baseline: positionals[0], candidate: positionals[1], ...values });
  if (!parsed.success) {
    const given = values as Record<string, unknown>;
    throw new Error(
      parsed.error.issues
        .map((i) => {
          const value = given[String(i.path[0])];
          return `--${i.path.join('.')}: ${i.message}${typeof value === 'string' ? ` (got ${JSON.stringify(value)})` : ''}`;
        })
        .join('; '),
    );
  }
  return parsed.data;
}

/**
 * Reads a run folder's history once, as compare will: a usage error (string) when the folder is
 * not a chatquake run, `empty` when its run sent nothing, undefined when it can be compared.
 */
async function runFolderProblem(role: string, dir: string): Promise<string | 'empty' | undefined> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return `${role} ${dir} is not a folder`;
  const path = join(dir, 'history.jsonl');
  if (!existsSync(path)) return `${role} ${dir}: no history.jsonl (is this a chatquake run folder?)`;
  if (!statSync(path).isFile()) return `${role} ${dir}: history.jsonl is not a file`;
  const history = readHistory(path);
  let events = 0;
  let runStart = false;
  let sends = 0;
  for await (const event of history) {
    events++;
    if (event.type === 'run_start') runStart = true;
    else if (event.type === 'send') sends++;
  }
  const bad = history.invalidLines;
  if (!runStart || events === 0) {
    return `${role} ${dir}: history.jsonl is not a chatquake history (${events} events, ${bad.length} lines that are not events, no run_start)`;
  }
  if (bad.length > 0) {
    const where = bad.slice(0, 5).join(', ');
    return `${role} ${dir}: history.jsonl is damaged: ${bad.length} line${bad.length === 1 ? ' is' : 's are'} not history events (line ${where}${bad.length > 5 ? ', …' : ''})`;
  }
  return sends === 0 ? 'empty' : undefined;
}

function usage(message: string): number {
  process.stderr.write(`chatquake compare: ${message}\n${USAGE}\n`);
  return ExitCode.invalidConfig;
}

export async function main(argv: string[]): Promise<number> {
  let args: z.infer<typeof Args>;
  try {
    args = parse(argv);
  } catch (error) {
    return usage((error as Error).message);
  }
  if (args.out !== undefined) {
    const problem = outFileProblem(args.out, '--out', 'compare.html');
    if (problem !== undefined) return usage(problem);
  }
  const empty: string[] = [];
  for (const [role, dir] of [
    ['baseline', args.baseline],
    ['candidate', args.candidate],
  ] as const) {
    const problem = await runFolderProblem(role, dir);
    if (problem === 'empty') empty.push(`${role} ${dir}`);
    else if (problem !== undefined) return usage(problem);
  }
  if (empty.length > 0) {
    process.stderr.write(
      `chatquake compare: ${empty.join(' and ')}: the run sent nothing, so there is nothing to compare\n`,
    );
    return ExitCode.invalidRun;
  }
  const out = args.out ?? join(args.candidate, 'compare.html');
  try {
    const { result, htmlPath } = await compareRunDirs(args.baseline, args.candidate, {
      maxRegression: args['max-regression'],
      iterations: args.iterations,
      confidence: args.confidence,
      seed: args.seed,
      out,
    });
    process.stdout.write(
      args.json
        ? `${JSON.stringify(compareViewData(result), null, 2)}\n`
        : formatComparison(result, htmlPath),
    );
    const invalid = !result.baseline.valid || !result.candidate.valid;
    return invalid ? ExitCode.invalidRun : result.regressed ? ExitCode.thresholdsFailed : ExitCode.ok;
  } catch (error) {
    removePartial(out);
    process.stderr.write(`chatquake compare: ${(error as Error).message}\n`);
    return ExitCode.error;
  }
}
