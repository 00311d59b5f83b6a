// `chatquake chaos`: a scenario's fault timeline applied to a deployment chatquake did not start
// (one k6 drives the load), through the Toxiproxy in front of its links. The proxies are found by
// name (`GET /proxies`), following the convention chatquake's own topologies use
// (chaos/topology.ts): edge:clients->REGION.NODE, link:FROM->TO.NODE, dir:REGION.NODE; any
// other proxy is not ours and is left alone. Faults that need the processes themselves are
// refused before anything starts. Each fault start and heal is printed and written as a history
// event for `chatquake ingest k6 --chaos`; the end, or Ctrl-C, heals everything applied.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  type ChaosBackends,
  type ChaosProxyRef,
  type ChaosTopology,
  type Clock,
  createScopedProxyBackend,
  FaultSpecError,
  formatTimeline,
  type ResolvedFault,
  realClock,
  resolveTimeline,
  runTimeline,
  type TimelineEvent,
  type ToxiproxyClient,
} from '../../chaos/index.ts';
import type { HistoryEvent } from '../../contracts/history.ts';
import type { PreparedRun } from '../scenario/prepare.ts';
import { ScenarioError } from '../scenario/scenario.ts';
import type { Topology } from './topology.ts';

/** Faults a Toxiproxy cannot carry: what each does to processes. */
const PROCESS_FAULTS: Record<string, string> = {
  regionOutage: 'kills processes (every node of the region)',
  nodeCrash: 'kills a process',
  nodePause: 'pauses a process (SIGSTOP)',
  clockSkew: "moves a node's clock, which needs the process's own control",
  scaleOut: 'starts new processes',
};

const ADVICE =
  'a deployment chatquake did not start is reached only through its Toxiproxy: use regionIsolation or partition (or latency, blackhole, flap on its links)';

/** Refuses, before anything starts, the first fault that needs the processes. */
export function refuseProcessFaults(chaos: readonly unknown[]): void {
  chaos.forEach((spec, index) => {
    const kind = (spec as { fault?: unknown }).fault;
    if (typeof kind === 'string' && Object.hasOwn(PROCESS_FAULTS, kind))
      throw new ScenarioError(`chaos[${index}]: ${kind} ${PROCESS_FAULTS[kind]}; ${ADVICE}`);
  });
}

const EDGE = /^edge:clients->([a-z0-9][a-z0-9-]*)\.([^/]+)$/;
const LINK = /^link:([a-z0-9][a-z0-9-]*)->([a-z0-9][a-z0-9-]*)\.([^/]+)$/;
const DIR = /^dir:([a-z0-9][a-z0-9-]*)\.([^/]+)$/;

/** The proxy a name stands for by chatquake's convention, or undefined for any other. */
export function proxyRefOf(name: string, regions: readonly string[]): ChaosProxyRef | undefined {
  const known = (...names: string[]) => names.every((r) => regions.includes(r));
  const edge = EDGE.exec(name);
  if (edge) {
    const [, region, node] = edge as unknown as [string, string, string];
    return known(region)
      ? { name, kind: 'edge', from: 'clients', to: region, node: `${region}/${node}` }
      : undefined;
  }
  const link = LINK.exec(name);
  if (link) {
    const [, from, to, node] = link as unknown as [string, string, string, string];
    return known(from, to) && from !== to
      ? { name, kind: 'link', from, to, node: `${to}/${node}` }
      : undefined;
  }
  const dir = DIR.exec(name);
  if (dir) {
    const [, region, node] = dir as unknown as [string, string, string];
    return known(region)
      ? { name, kind: 'directory', from: region, to: 'directory', node: `${region}/${node}` }
      : undefined;
  }
  return undefined;
}

/** Every region the scenario runs must be in the topology file (named `where`); throws ScenarioError. */
export function checkRegions(topology: Topology, regions: readonly string[], where: string): void {
  const have = topology.regions.map((r) => r.name);
  for (const region of regions) {
    if (!have.includes(region))
      throw new ScenarioError(
        `${where}: regions: no region "${region}", a region of the scenario (the file has ${have.join(', ')}); add it to the file or run fewer with --regions`,
      );
  }
}

/**
 * The scenario's regions (every one must be in the topology file, named `where`) and the
 * proxies the Toxiproxy holds that follow the convention among them; throws ScenarioError.
 */
export function chaosTopologyOf(
  topology: Topology,
  proxyNames: readonly string[],
  regions: readonly string[] = topology.regions.map((r) => r.name),
  where = 'the topology file',
): ChaosTopology {
  checkRegions(topology, regions, where);
  const proxies = proxyNames
    .map((name) => proxyRefOf(name, regions))
    .filter((p): p is ChaosProxyRef => p !== undefined)
    .sort((a, b) => a.name.localeCompare(b.name));
  const nodes = [...new Set(proxies.map((p) => p.node as string))].map((id) => ({
    id,
    region: id.slice(0, id.indexOf('/')),
  }));
  return { regions: [...regions], nodes, proxies };
}

/** Resolves the scenario's faults against the deployment; refuses process faults first. */
export function resolveAgainst(prepared: PreparedRun, topology: ChaosTopology): ResolvedFault[] {
  refuseProcessFaults(prepared.scenario.chaos);
  let faults: ResolvedFault[];
  try {
    faults = resolveTimeline(prepared.scenario.chaos, topology, {
      seed: prepared.seed,
      loadDurationMs: prepared.scenario.durationMs,
      aliases: prepared.aliases,
    });
  } catch (error) {
    if (error instanceof FaultSpecError) throw new ScenarioError(`scenario.${error.message}`);
    throw error;
  }
  faults.forEach((fault, index) => {
    const op = [...fault.actions, ...fault.reverts].find(
      (a) => a.op !== 'disable' && a.op !== 'enable' && a.op !== 'toxic' && a.op !== 'removeToxic',
    );
    if (op !== undefined)
      throw new ScenarioError(`chaos[${index}]: ${fault.kind} needs ${op.op} on a node; ${ADVICE}`);
  });
  return faults;
}

const refuse = async (): Promise<never> => {
  throw new Error('chatquake chaos has no control over the processes of a deployment it did not start');
};

export interface ChaosRunOptions {
  faults: readonly ResolvedFault[];
  client: ToxiproxyClient;
  /** The proxies the faults may touch (and the heal resets). */
  owned: readonly string[];
  /** Epoch ms of load start; fault times count from it. */
  startAt: number;
  durationMs: number;
  /** JSON lines of fault_start / fault_stop. */
  out?: string;
  log: (line: string) => void;
  signal: AbortSignal;
  clock?: Clock;
}

export interface ChaosRunResult {
  /** Interrupted (Ctrl-C) before the timeline ended. */
  interrupted: boolean;
  /** What failed to apply or heal. */
  errors: string[];
}

function historyEventOf(e: TimelineEvent): HistoryEvent {
  return e.type === 'fault_start'
    ? { type: 'fault_start', t: e.t, faultId: e.faultId, kind: e.kind, target: e.target, regions: e.regions }
    : { type: 'fault_stop', t: e.t, faultId: e.faultId };
}

/** Waits until `startAt`, runs the timeline, heals at the end of load or on abort. */
export async function runChaos(options: ChaosRunOptions): Promise<ChaosRunResult> {
  const { log, signal, out } = options;
  const clock = options.clock ?? realClock;
  if (out !== undefined) {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, '');
  }
  const backends: ChaosBackends = {
    proxy: createScopedProxyBackend(options.client, () => options.owned),
    process: { signal: refuse, restart: refuse, addNode: refuse, removeNode: refuse },
    admin: { setClockOffset: refuse },
  };
  log(formatTimeline(options.faults));
  const wait = options.startAt - clock.now();
  if (wait > 0) {
    log(`  waiting ${Math.round(wait / 1000)} s for load start (${new Date(options.startAt).toISOString()})`);
    await sleep(wait, signal);
  }
  if (signal.aborted) return { interrupted: true, errors: [] };
  // Started late (after load start): a fault whose window is over is not applied for an instant.
  const over = options.faults.filter((f) => f.until !== null && options.startAt + f.until <= clock.now());
  for (const f of over) log(`  skipped ${f.id}: its window ended before chaos started`);
  const run = runTimeline({
    faults: options.faults.filter((f) => !over.includes(f)),
    backends,
    clock,
    startAt: options.startAt,
    signal,
    onEvent: (e) => {
      log(
        `  ${new Date(e.t).toISOString()} ${e.type === 'fault_start' ? 'start' : 'heal '} ${e.faultId} (${e.kind}, ${e.target})`,
      );
      if (out !== undefined) appendFileSync(out, `${JSON.stringify(historyEventOf(e))}\n`);
    },
  });
  // Faults that last until the end of load are healed there, as a local run heals them.
  const end = setTimeout(
    () => void run.healAll(),
    Math.max(0, options.startAt + options.durationMs - clock.now()),
  );
  const applied = await run.done;
  clearTimeout(end);
  const errors = [
    ...applied.flatMap((a) => (a.error ? [`${a.id}: ${a.error}`] : [])),
    ...run.healErrors().map((e) => `heal: ${e}`),
  ];
  return { interrupted: signal.aborted, errors };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
