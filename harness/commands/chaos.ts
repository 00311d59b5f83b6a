// `chatquake chaos <scenario> --topology FILE [--toxiproxy URL] [--start-at T] [--out FILE]`:
// applies the scenario's fault timeline to a running deployment through its Toxiproxy while k6
// drives the load elsewhere (harness/k6/chaos.ts). Exit codes: 0 when the timeline ran to its
// end and everything healed, 105 when Ctrl-C stopped it first (everything healed all the same),
// 104 a bad flag, scenario or topology naming it (a process fault among them), 1 anything else.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { createToxiproxyClient } from '../../chaos/index.ts';
import { reportConfigError } from '../cli/config-error.ts';
import { applyEnvFlags } from '../cli/env.ts';
import { ExitCode } from '../cli/exit-codes.ts';
import { parseArgsOptions } from '../cli/flag-table.ts';
import { joinNegativeValues, parseRunFlags, type RunFlags } from '../cli/flags.ts';
import { chaosSpec } from '../cli/options.ts';
import { chaosTopologyOf, checkRegions, refuseProcessFaults, resolveAgainst, runChaos } from '../k6/chaos.ts';
import { loadTopology, type Topology } from '../k6/topology.ts';
import { onTerminationSignal } from '../local/cleanup.ts';
import { type PreparedRun, prepareRun } from '../scenario/prepare.ts';
import { ScenarioError } from '../scenario/scenario.ts';

const Url = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });

/** `--start-at`: epoch ms, or an ISO time; undefined for now. */
export function parseStartAt(text: string | undefined, now = Date.now()): number {
  if (text === undefined) return now;
  const trimmed = text.trim();
  const at = /^\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : Date.parse(trimmed);
  if (!Number.isFinite(at))
    throw new ScenarioError(
      `chatquake chaos: --start-at: not an ISO time or epoch ms (got ${JSON.stringify(text)}); e.g. 2026-12-07T10:00:00Z or 1796637600000`,
    );
  return at;
}

export interface ChaosFlags {
  run: RunFlags;
  topology: string;
  toxiproxy: string | undefined;
  startAt: string | undefined;
}

/** The scenario flags (as `run` parses them) and chaos's own; throws ScenarioError naming the flag. */
export function parseChaosFlags(argv: string[]): ChaosFlags {
  const run = parseRunFlags(argv, 'chaos', chaosSpec);
  const valueOptions = new Set(
    chaosSpec.flags.filter((f) => f.value !== undefined).map((f) => `--${f.name}`),
  );
  const { values } = parseArgs({
    args: joinNegativeValues(argv, valueOptions),
    allowPositionals: true,
    strict: true,
    options: parseArgsOptions(chaosSpec.flags),
  });
  const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const topology = text(values.topology);
  if (topology === undefined || topology === '')
    throw new ScenarioError(
      'chatquake chaos: --topology: required: the deployment’s topology file (docs/K6.md)',
    );
  return { run, topology, toxiproxy: text(values.toxiproxy), startAt: text(values['start-at']) };
}

function toxiproxyOf(flag: string | undefined, topology: Topology): string {
  const url = flag ?? topology.toxiproxy ?? process.env.TOXIPROXY_URL;
  if (url === undefined || url === '')
    throw new ScenarioError(
      'chatquake chaos: --toxiproxy: no Toxiproxy to drive: give --toxiproxy, "toxiproxy" in the topology file, or $TOXIPROXY_URL',
    );
  if (!Url.safeParse(url).success)
    throw new ScenarioError(
      `chatquake chaos: --toxiproxy: must be an http:// or https:// URL (got ${JSON.stringify(url)})`,
    );
  return url;
}

export async function main(argv: string[]): Promise<number> {
  let flags: ChaosFlags;
  let prepared: PreparedRun;
  let topology: Topology;
  let startAt: number;
  try {
    flags = parseChaosFlags(argv);
    applyEnvFlags(flags.run.env);
    topology = loadTopology(flags.topology);
    startAt = parseStartAt(flags.startAt);
    prepared = await prepareRun(flags.run);
    refuseProcessFaults(prepared.scenario.chaos);
    checkRegions(topology, prepared.scenario.topology.regions, `--topology ${flags.topology}`);
  } catch (error) {
    const code = reportConfigError(error);
    if (code === undefined) throw error;
    return code;
  }
  const log = flags.run.quiet ? () => {} : (line: string) => process.stdout.write(`${line}\n`);
  const controller = new AbortController();
  const removeSignalHandlers = onTerminationSignal((signal) => {
    process.stderr.write(`\nchatquake chaos: ${signal} received: healing every fault applied\n`);
    controller.abort(signal);
  });
  try {
    const client = createToxiproxyClient(toxiproxyOf(flags.toxiproxy, topology));
    const names = Object.keys(await client.listProxies());
    const chaosTopology = chaosTopologyOf(
      topology,
      names,
      prepared.scenario.topology.regions,
      `--topology ${flags.topology}`,
    );
    const faults = resolveAgainst(prepared, chaosTopology);
    log(
      `chatquake chaos: ${prepared.scenario.name}: ${faults.length} fault${faults.length === 1 ? '' : 's'} over ${chaosTopology.proxies.length} proxies at ${client.url}`,
    );
    const result = await runChaos({
      faults,
      client,
      owned: chaosTopology.proxies.map((p) => p.name),
      startAt,
      durationMs: prepared.scenario.durationMs,
      out: flags.run.out,
      log,
      signal: controller.signal,
    });
    for (const error of result.errors) process.stderr.write(`chatquake chaos: ${error}\n`);
    if (result.interrupted) return ExitCode.externalAbort;
    return result.errors.length > 0 ? ExitCode.error : ExitCode.ok;
  } catch (error) {
    const code = reportConfigError(error);
    if (code !== undefined) return code;
    process.stderr.write(`chatquake chaos: ${error instanceof Error ? error.message : String(error)}\n`);
    return ExitCode.error;
  } finally {
    removeSignalHandlers();
  }
}
