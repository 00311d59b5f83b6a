// `chatquake k6 <scenario> --topology FILE [-o script.js] [--setup]`: writes a k6 script of the
// scenario's workload against an existing deployment, for load from more machines than one
// (docs/K6.md). Exit codes as `run`: 104 for a bad flag, scenario or topology file (naming it),
// 107 when the scenario file throws, 1 when the script cannot be written or --setup fails.
import { renameSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { reportConfigError } from '../cli/config-error.ts';
import { applyEnvFlags } from '../cli/env.ts';
import { ExitCode } from '../cli/exit-codes.ts';
import { parseArgsOptions } from '../cli/flag-table.ts';
import { parseRunFlags } from '../cli/flags.ts';
import { k6Spec } from '../cli/options.ts';
import { outFileProblem, removePartial } from '../cli/out-file.ts';
import { type BuiltPlan, buildK6Plan } from '../k6/build-plan.ts';
import { loadTopology, type Topology } from '../k6/topology.ts';
import { prepareRun } from '../scenario/prepare.ts';
import { ScenarioError } from '../scenario/scenario.ts';
import { createK6Conversations, referenceK6Script } from '../targets/reference/k6/index.ts';

interface K6Flags {
  out: string | undefined;
  topology: string;
  setup: boolean;
  quiet: boolean;
}

/** The flags `run` does not have: --topology (required) and --setup. */
function ownFlags(argv: string[]): { topology: string | undefined; setup: boolean } {
  const { values } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: false,
    options: parseArgsOptions(k6Spec.flags),
  });
  return {
    topology: typeof values.topology === 'string' ? values.topology : undefined,
    setup: values.setup === true,
  };
}

/** Flags, scenario and topology → the plan; throws ScenarioError (exit 104) naming what is wrong. */
async function prepare(argv: string[]): Promise<{ flags: K6Flags; built: BuiltPlan; topology: Topology }> {
  const runFlags = parseRunFlags(argv, 'k6', k6Spec);
  const own = ownFlags(argv);
  if (own.topology === undefined || own.topology === '')
    throw new ScenarioError('chatquake k6: --topology: required (the deployment to reach; docs/K6.md)');
  if (runFlags.out !== undefined) {
    const problem = outFileProblem(runFlags.out, '--out', 'script.js');
    if (problem !== undefined) throw new ScenarioError(`chatquake k6: ${problem}`);
  }
  applyEnvFlags(runFlags.env);
  const topology = loadTopology(own.topology);
  const prepared = await prepareRun(runFlags);
  const built = buildK6Plan(prepared, topology, { topologyName: `--topology ${own.topology}` });
  return {
    flags: { out: runFlags.out, topology: own.topology, setup: own.setup, quiet: runFlags.quiet },
    built,
    topology,
  };
}

function writeScript(path: string, text: string): void {
  const partial = `${path}.partial`;
  try {
    writeFileSync(partial, text);
    renameSync(partial, path);
  } catch (error) {
    removePartial(path);
    throw error;
  }
}

export async function main(argv: string[]): Promise<number> {
  let flags: K6Flags;
  let built: BuiltPlan;
  let topology: Topology;
  try {
    ({ flags, built, topology } = await prepare(argv));
  } catch (error) {
    const code = reportConfigError(error);
    if (code === undefined) throw error;
    return code;
  }
  const { plan, notes } = built;
  const say = (line: string): void => {
    if (!flags.quiet) process.stderr.write(`${line}\n`);
  };
  for (const note of notes) say(`chatquake k6: note: ${note}`);
  if (flags.setup) {
    try {
      await createK6Conversations(topology, plan.conversations);
      say(`chatquake k6: --setup: ${plan.conversations.length} conversations ready on the deployment`);
    } catch (error) {
      process.stderr.write(`chatquake k6: --setup: ${(error as Error).message}\n`);
      return ExitCode.error;
    }
  }
  const script = referenceK6Script(plan);
  if (flags.out === undefined) {
    process.stdout.write(script);
    return ExitCode.ok;
  }
  try {
    writeScript(flags.out, script);
  } catch (error) {
    process.stderr.write(`chatquake k6: --out ${flags.out}: ${(error as Error).message}\n`);
    return ExitCode.error;
  }
  const sends = Object.values(plan.sends).reduce((sum, list) => sum + list.length, 0);
  say(
    `chatquake k6: wrote ${flags.out}: ${plan.users.length} VUs, ${plan.conversations.length} conversations, ${sends} sends over ${plan.durationMs / 1000}s (run ${plan.runId})`,
  );
  return ExitCode.ok;
}
