// `chatquake compare <baseline dir> <candidate dir> [--max-regression 10%]`: a regression gate
// between two runs. Prints a side-by-side table, writes compare.html, and exits 99 when the
// candidate is worse beyond the tolerance (and beyond the noise) on delivery p99, recovery p99
// or throughput, or has a consistency violation the baseline had none of; 97 when either run
// is invalid (a comparison with a run that proves nothing proves nothing).
import { existsSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { compareRunDirs, compareViewData, formatComparison } from '../../reports/index.ts';

const USAGE =
  'Usage: chatquake compare <baseline dir> <candidate dir> [--max-regression 10%] [--out FILE] [--iterations N] [--confidence 0.95] [--seed N] [--json]';

/** "10%" → 0.1; a bare number is a fraction ("0.1"); anything else names the flag. */
const Tolerance = z
  .string()
  .trim()
  .transform((text, ctx) => {
    const percent = /^(\d+(?:\.\d+)?)%$/.exec(text);
    const value = percent ? Number(percent[1]) / 100 : /^\d*\.?\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isFinite(value) || value < 0 || (!percent && value >= 1)) {
      ctx.addIssue({
        code: 'custom',
        message: `"${text}" is not a tolerance: use a percentage such as 10% or a fraction such as 0.1`,
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
  iterations: z.coerce.number().int().min(100).max(100_000).default(2000),
  confidence: z.coerce.number().gt(0.5).lt(1).default(0.95),
  seed: z.coerce.number().int().default(1),
  json: z.boolean().default(false),
});

export async function main(argv: string[]): Promise<number> {
  let args: z.infer<typeof Args>;
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        'max-regression': { type: 'string' },
        out: { type: 'string' },
        iterations: { type: 'string' },
        confidence: { type: 'string' },
        seed: { type: 'string' },
        json: { type: 'boolean' },
      },
    });
    if (positionals.length !== 2)
      throw new Error(`expected a baseline and a candidate run folder, got ${positionals.length} arguments`);
    const parsed = Args.safeParse({ baseline: positionals[0], candidate: positionals[1], ...values });
    if (!parsed.success) {
      throw new Error(parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; '));
    }
    args = parsed.data;
  } catch (error) {
    process.stderr.write(`chatquake compare: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  for (const dir of [args.baseline, args.candidate]) {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      process.stderr.write(`chatquake compare: ${dir} is not a folder\n${USAGE}\n`);
      return 2;
    }
  }
  try {
    const { result, htmlPath } = await compareRunDirs(args.baseline, args.candidate, {
      maxRegression: args['max-regression'],
      iterations: args.iterations,
      confidence: args.confidence,
      seed: args.seed,
      out: args.out,
    });
    process.stdout.write(
      args.json
        ? `${JSON.stringify(compareViewData(result), null, 2)}\n`
        : formatComparison(result, htmlPath),
    );
    const invalid = !result.baseline.valid || !result.candidate.valid;
    return invalid ? 97 : result.regressed ? 99 : 0;
  } catch (error) {
    process.stderr.write(`chatquake compare: ${(error as Error).message}\n`);
    return 1;
  }
}
