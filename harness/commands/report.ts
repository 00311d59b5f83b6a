// `chatquake report <run dir> [--out FILE]`: re-renders report.html from a run's saved files
// (history.jsonl, summary.json), e.g. after upgrading chatquake or for a run that crashed
// before writing it.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { reportDataForRun, writeReport } from '../../reports/index.ts';
import { ExitCode } from '../cli/exit-codes.ts';
import { parseArgsOptions } from '../cli/flag-table.ts';
import { reportSpec } from '../cli/options.ts';
import { outFileProblem, removePartial } from '../cli/out-file.ts';

const USAGE = 'Usage: chatquake report <run dir> [--out FILE]';

const Args = z.object({
  dir: z.string().min(1, 'the run folder is required'),
  out: z.string().min(1).optional(),
});

export async function main(argv: string[]): Promise<number> {
  let args: z.infer<typeof Args>;
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: parseArgsOptions(reportSpec.flags),
    });
    if (positionals.length !== 1) throw new Error(`expected one run folder, got ${positionals.length}`);
    const parsed = Args.safeParse({ dir: positionals[0], out: values.out });
    if (!parsed.success)
      throw new Error(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    args = parsed.data;
  } catch (error) {
    process.stderr.write(`chatquake report: ${(error as Error).message}\n${USAGE}\n`);
    return ExitCode.invalidConfig;
  }
  if (!existsSync(args.dir) || !statSync(args.dir).isDirectory()) {
    process.stderr.write(`chatquake report: ${args.dir} is not a folder\n${USAGE}\n`);
    return ExitCode.invalidConfig;
  }
  const out = args.out ?? join(args.dir, 'report.html');
  const problem = outFileProblem(out, '--out', 'report.html');
  if (problem !== undefined) {
    process.stderr.write(`chatquake report: ${problem}\n${USAGE}\n`);
    return ExitCode.invalidConfig;
  }
  try {
    const data = await reportDataForRun(args.dir);
    for (const warning of data.warnings) process.stderr.write(`warning: ${warning}\n`);
    const path = writeReport(data, out);
    process.stdout.write(`${path}\n`);
    return ExitCode.ok;
  } catch (error) {
    removePartial(out);
    process.stderr.write(`chatquake report: ${(error as Error).message}\n`);
    return ExitCode.error;
  }
}
