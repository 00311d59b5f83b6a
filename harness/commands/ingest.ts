// `chatquake ingest k6 <k6 JSON output>... --script FILE [--topology FILE] [--chaos FILE]...
// [--out DIR]`: judges a distributed k6 run as `chatquake run` judges its own (harness/k6/
// ingest.ts), prints the same end-of-run text and exits with the same codes: 0 pass, 99 a
// threshold or check failed, 96 invalid, 104 a bad flag or input naming it, 1 anything else.
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { describeIssues } from '../../contracts/errors.ts';
import { reportConfigError } from '../cli/config-error.ts';
import { ExitCode } from '../cli/exit-codes.ts';
import { parseArgsOptions } from '../cli/flag-table.ts';
import { parseTags } from '../cli/flags.ts';
import { ingestSpec } from '../cli/options.ts';
import { ingestK6 } from '../k6/ingest.ts';
import { loadTopology } from '../k6/topology.ts';
import { onTerminationSignal } from '../local/cleanup.ts';
import { formatEndOfRun } from '../results/results.ts';
import { ScenarioError } from '../scenario/scenario.ts';

const nonEmpty = z.string().min(1, 'must not be empty');

const IngestFlags = z.strictObject({
  outputs: z.array(nonEmpty).min(1, 'name at least one k6 JSON output (k6 run --out json=FILE)'),
  script: nonEmpty.optional().refine((s) => s !== undefined, 'required: the script `chatquake k6` wrote'),
  topology: nonEmpty.optional(),
  chaos: z.array(nonEmpty).default([]),
  out: nonEmpty.optional(),
  /** Checked by parseTags, as run's are. */
  tags: z.record(z.string(), z.string()).default({}),
  noThresholds: z.boolean().default(false),
  quiet: z.boolean().default(false),
});
export type IngestFlags = z.infer<typeof IngestFlags>;

const FLAG_OF: Record<string, string> = {
  outputs: '<k6 JSON output>',
  script: '--script',
  topology: '--topology',
  chaos: '--chaos',
  out: '--out',
  tags: '--tag',
};

/** The flags of `ingest k6 …`; throws ScenarioError (exit 104) naming the flag. */
export function parseIngestFlags(argv: string[]): IngestFlags {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: parseArgsOptions(ingestSpec.flags),
    });
  } catch (error) {
    throw new ScenarioError(`chatquake ingest: ${(error as Error).message}`);
  }
  const [kind, ...outputs] = parsed.positionals;
  if (kind !== 'k6')
    throw new ScenarioError(
      `chatquake ingest: the first argument names the tool whose output this is: k6 (got ${kind === undefined ? 'nothing' : JSON.stringify(kind)})`,
    );
  const values = parsed.values as Record<string, unknown>;
  const list = (v: unknown): string[] =>
    Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : [];
  const tags = parseTags(list(values.tag), (message) => {
    throw new ScenarioError(`chatquake ingest: ${message}`);
  });
  const result = IngestFlags.safeParse({
    outputs,
    script: values.script,
    topology: values.topology,
    chaos: list(values.chaos),
    out: values.out,
    tags,
    noThresholds: values['no-thresholds'] === true,
    quiet: values.quiet === true,
  });
  if (!result.success) {
    const message = describeIssues(result.error, { separator: '\n' });
    const named = message
      .split('\n')
      .map((line) => `chatquake ingest: ${line.replace(/^([a-zA-Z]+)/, (key) => FLAG_OF[key] ?? key)}`);
    throw new ScenarioError(named.join('\n'));
  }
  return result.data;
}

export async function main(argv: string[]): Promise<number> {
  let flags: IngestFlags;
  try {
    flags = parseIngestFlags(argv);
  } catch (error) {
    const code = reportConfigError(error);
    if (code === undefined) throw error;
    return code;
  }
  const controller = new AbortController();
  const removeSignalHandlers = onTerminationSignal((signal) => {
    process.stderr.write(`\nchatquake ingest: ${signal} received: stopping the final reads\n`);
    controller.abort(signal);
  });
  const log = flags.quiet ? undefined : (line: string) => process.stderr.write(`${line}\n`);
  try {
    const topology = flags.topology === undefined ? undefined : loadTopology(flags.topology);
    const outcome = await ingestK6({
      outputs: flags.outputs,
      script: flags.script as string,
      topology,
      chaos: flags.chaos,
      outDir: flags.out,
      tags: flags.tags,
      noThresholds: flags.noThresholds,
      log,
      signal: controller.signal,
    });
    for (const bad of outcome.domains.flatMap((d) => d.state.bad).slice(0, 10))
      process.stderr.write(`chatquake ingest: ${bad}\n`);
    if (!flags.quiet) {
      const shown = relative(process.cwd(), outcome.runDir) || '.';
      process.stdout.write(
        formatEndOfRun(outcome.summary, outcome.judgement, shown.startsWith('..') ? outcome.runDir : shown),
      );
    }
    return outcome.judgement.exitCode;
  } catch (error) {
    const code = reportConfigError(error);
    if (code !== undefined) return code;
    process.stderr.write(
      `chatquake ingest: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return ExitCode.error;
  } finally {
    removeSignalHandlers();
  }
}
