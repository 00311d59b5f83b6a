// The start of a run: the local topology (registered with the cleanup registry as it starts),
// then the system under test and the chaos backends wired to it. Nodes a fault adds mid-run
// join the target's region lists, so the load reaches them too. The fault backend touches only
// the run's own proxies (a Toxiproxy may be shared) and records each fault in the run's ledger.
import { randomBytes } from 'node:crypto';
import {
  type ChaosBackends,
  createContainerBackend,
  createProcessBackend,
  createScopedProxyBackend,
  createToxiproxyClient,
  type ProxyBackend,
} from '../../chaos/index.ts';
import type { SystemUnderTest } from '../../contracts/target.ts';
import { isDockerTopology } from '../docker/topology.ts';
import { type RunLedger, recordFaults } from '../local/ledger.ts';
import { createLocalSystem, createProcessControl } from '../local/system.ts';
import { CREDENTIAL_ENV } from '../local/topology/node-args.ts';
import type { LocalTopology, NodeInfo } from '../local/topology.ts';
import { startClientTracing } from '../targets/reference/target.ts';
import type { TargetRuntime, TopologyMode } from '../targets/types.ts';
import { Interrupted, type RunState } from './state.ts';

export type { TopologyMode } from '../targets/types.ts';

/** The run's credentials: random per run, except that an attached compose topology has its own. */
function credentials(where: TopologyMode): { secret: string; adminToken: string } {
  if (where.mode !== 'compose')
    return { secret: randomBytes(16).toString('hex'), adminToken: randomBytes(16).toString('hex') };
  const secret = process.env[CREDENTIAL_ENV.secret];
  const adminToken = process.env[CREDENTIAL_ENV.adminToken];
  if (secret === undefined || secret === '' || adminToken === undefined || adminToken === '')
    throw new Error(
      `--mode compose: ${CREDENTIAL_ENV.secret} and ${CREDENTIAL_ENV.adminToken} must hold the compose topology's credentials (the harness service sets them)`,
    );
  return { secret, adminToken };
}

/** Starts the topology into `state.topology`; throws Interrupted if the run was aborted meanwhile. */
export async function startTopology(
  state: RunState,
  runtime: TargetRuntime,
  toxiproxyUrl: string | undefined,
  where: TopologyMode = { mode: 'local' },
): Promise<LocalTopology> {
  const { scenario, seed } = state.prepared;
  state.phase = 'setup';
  const options = {
    runDir: state.runDir,
    runId: state.runId,
    regions: scenario.topology.regions,
    nodesPerRegion: scenario.topology.nodesPerRegion,
    ack: scenario.topology.ack,
    leaseMs: scenario.topology.leaseMs,
    bugs: scenario.topology.bugs,
    seed,
    // Credentials have nothing to do with what the seed replays.
    ...credentials(where),
    toxiproxyUrl,
    registry: state.registry,
    ...(state.ledger === undefined ? {} : { ledger: state.ledger }),
    onStatus: (message: string) => state.progress.log(`  ${message}`),
    targetOptions: state.prepared.targetOptions,
  };
  state.topology = await runtime.startTopology(options, where);
  const topo = state.topology;
  state.record.topology = { regions: topo.describe().regions };
  if (state.abort.signal.aborted) throw new Interrupted();
  return topo;
}

export interface ConnectContext {
  seed: number;
  /** The scenario's targetOptions as the target's schema parsed them. */
  targetOptions?: unknown;
  ledger?: RunLedger;
  onNodeAdded?: (info: NodeInfo) => void;
}

/**
 * The target over the topology, as the system load/ drives, and the chaos backends; `close`
 * releases what the target holds besides its sessions.
 */
export function connectSystem(
  topo: LocalTopology,
  runtime: TargetRuntime,
  context: ConnectContext,
): { system: SystemUnderTest; backends: ChaosBackends; close: () => Promise<void> } {
  const { ledger } = context;
  const connection = runtime.connect(topo, {
    seed: context.seed,
    targetOptions: context.targetOptions ?? {},
  });
  const system = createLocalSystem(topo, connection.target);
  const hooks = {
    onNodeAdded: (info: NodeInfo) => {
      connection.onNodeAdded?.(info);
      context.onNodeAdded?.(info);
    },
  };
  // Containers are signalled through the engine (kill, pause), processes by pid.
  const processBackend = isDockerTopology(topo)
    ? createContainerBackend(topo.containerControl(hooks))
    : createProcessBackend(createProcessControl(topo, hooks));
  const owned = () => topo.proxies().map((p) => p.name);
  const scoped: ProxyBackend = createScopedProxyBackend(createToxiproxyClient(topo.proxyApiUrl), owned);
  const backends = {
    proxy: ledger === undefined ? scoped : recordFaults(scoped, ledger, owned),
    process: processBackend,
    admin: connection.admin,
  };
  return { system, backends, close: connection.close ?? (async () => {}) };
}

/**
 * Traces for the virtual users when OTEL_* asks for them (the nodes, inheriting the environment,
 * trace too); returns the flush to await at teardown. Tracing that fails to start costs a warning.
 */
export async function startRunTracing(state: RunState): Promise<() => Promise<void>> {
  try {
    const tracing = await startClientTracing('chatquake-client');
    if (tracing === null) return async () => {};
    state.progress.log('  tracing on: virtual users and nodes export spans as OTEL_* configures');
    return () => tracing.shutdown().catch(() => {});
  } catch (error) {
    state.record.warnings.push(
      `tracing could not start: ${error instanceof Error ? error.message : String(error)}`,
    );
    return async () => {};
  }
}
