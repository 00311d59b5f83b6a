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
import { createRandom } from '../../lib/random.ts';
import { attachComposeTopology } from '../docker/attach.ts';
import { isDockerTopology, startDockerTopology } from '../docker/topology.ts';
import { type RunLedger, recordFaults } from '../local/ledger.ts';
import { createLocalSystem, createProcessControl } from '../local/system.ts';
import { CREDENTIAL_ENV } from '../local/topology/node-args.ts';
import { type LocalTopology, type NodeInfo, startLocalTopology } from '../local/topology.ts';
import { createAdminBackend } from '../targets/reference/admin.ts';
import { createReferenceTarget, startClientTracing } from '../targets/reference/target.ts';
import { Interrupted, type RunState } from './state.ts';

/** Where the topology runs: processes on this machine, or containers of `image`. */
export type TopologyMode = { mode: 'local' } | { mode: 'docker'; image: string } | { mode: 'compose' };

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
  toxiproxyUrl: string | undefined,
  where: TopologyMode = { mode: 'local' },
): Promise<LocalTopology> {
  const { scenario, seed } = state.prepared;
  state.phase = 'setup';
  const options = {
    runDir: state.runDir,
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
  };
  state.topology =
    where.mode === 'docker'
      ? await startDockerTopology({ ...options, image: where.image, runId: state.runId })
      : where.mode === 'compose'
        ? await attachComposeTopology({ ...options, runId: state.runId })
        : await startLocalTopology(options);
  const topo = state.topology;
  state.record.topology = { regions: topo.describe().regions };
  if (state.abort.signal.aborted) throw new Interrupted();
  return topo;
}

/** The reference target over the topology, as the system load/ drives, and the chaos backends. */
export function connectSystem(
  topo: LocalTopology,
  seed: number,
  ledger?: RunLedger,
  onNodeAdded?: (info: NodeInfo) => void,
): { system: SystemUnderTest; backends: ChaosBackends } {
  // The adapter reads these arrays on every call: a node added mid-run is appended here.
  const referenceRegions = topo.regionEndpoints();
  const clientRandom = createRandom(seed).fork('client');
  const target = createReferenceTarget({
    regions: referenceRegions,
    secret: topo.secret,
    adminToken: topo.adminToken,
    random: () => clientRandom.next(),
  });
  const system = createLocalSystem(topo, target);
  const hooks = {
    onNodeAdded: (info: NodeInfo) => {
      const region = referenceRegions.find((r) => r.name === info.region);
      region?.endpoints.push(info.clientUrl);
      region?.adminUrls.push(info.httpUrl);
      onNodeAdded?.(info);
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
    admin: createAdminBackend({
      adminToken: topo.adminToken,
      adminUrlOf: (id: string) => {
        const slash = id.indexOf('/');
        return topo.node(id.slice(0, slash), id.slice(slash + 1)).httpUrl;
      },
    }),
  };
  return { system, backends };
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
