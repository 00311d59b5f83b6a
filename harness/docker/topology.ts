// Docker mode: the same multi-cloud system as local mode, each part in a container of the
// project image started through testcontainers. One network per region and one for the
// directory; the fault proxy joins them all, so every path a fault may cut (edge, link, dir)
// still goes through a proxy, and same-region peers still talk directly. The result is a
// LocalTopology, so the run, the target and the checks use it unchanged, plus the
// ContainerControl that the chaos container backend drives (kill, pause, restart by node id).
// Every container and network carries the run's label; close() removes them all.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cleanup as defaultCleanup } from '../local/cleanup.ts';
import { edgeProxyName, planLayout } from '../local/layout.ts';
import { identityOf } from '../local/ledger.ts';
import type { LocalTopology, NodeInfo } from '../local/topology/types.ts';
import { connectEngine, containerActions, createNetwork, requireImage } from './engine.ts';
import { dockerHandle } from './handle.ts';
import { removeLabelled } from './leftovers.ts';
import { newNodeContainer, serially, startNodeContainer } from './nodes.ts';
import { OWNER_LABEL, planContainers, RUN_LABEL } from './plan.ts';
import { createContainerProxy, startDirectoryContainer, startProxyContainer } from './services.ts';
import type { DockerState, DockerTopology, DockerTopologyOptions } from './state.ts';

export type { DockerTopology, DockerTopologyOptions } from './state.ts';

export function isDockerTopology(topology: LocalTopology): topology is DockerTopology {
  return (topology as Partial<DockerTopology>).mode === 'docker';
}

/** `chatquake.owner`'s value for this process: pid, start time and boot id. */
export function ownerLabel(): string {
  const identity = identityOf(process.pid);
  return identity === undefined
    ? `${process.pid}:unknown:unknown`
    : `${identity.pid}:${identity.startTime}:${identity.bootId}`;
}

export async function startDockerTopology(options: DockerTopologyOptions): Promise<DockerTopology> {
  const client = await connectEngine();
  await requireImage(client, options.image);
  const logsDir = join(options.runDir, 'logs');
  mkdirSync(logsDir, { recursive: true });
  const state: DockerState = {
    options,
    registry: options.registry ?? defaultCleanup,
    regions: [...options.regions],
    leaseMs: options.leaseMs ?? 2000,
    logsDir,
    labels: { [RUN_LABEL]: options.runId, [OWNER_LABEL]: ownerLabel() },
    status: options.onStatus ?? (() => {}),
    actions: containerActions(client),
    networks: new Map(),
    nodes: new Map(),
    proxies: new Map(),
    containers: [],
    counters: { edge: 0, inner: 0 },
    toxiproxy: undefined,
    proxyPorts: () => {
      throw new Error('the fault proxy is not started');
    },
    fixedNodes: false,
    closed: false,
  };
  const close = registerTeardown(state);
  try {
    const plan = planContainers(
      `chatquake-${randomBytes(4).toString('hex')}`,
      planLayout(state.regions, options.nodesPerRegion ?? 1),
      state.counters,
    );
    state.status(`creating ${plan.networks.length} networks`);
    for (const [i, network] of plan.networks.entries()) {
      const key = i < state.regions.length ? (state.regions[i] as string) : 'directory';
      state.networks.set(key, await createNetwork(client, network.name, state.labels));
    }
    await startDirectoryContainer(state);
    state.toxiproxy = await startProxyContainer(client, state, plan);
    for (const n of plan.nodes)
      state.nodes.set(`${n.region}/${n.node}`, await newNodeContainer(state, n.region, n.node));
    state.status(`creating ${plan.proxies.length} proxies`);
    for (const proxy of plan.proxies) await createContainerProxy(state, proxy);
    for (const node of state.nodes.values()) node.info.clientUrl = clientUrlOf(state, node.info);
    state.status(`starting ${state.nodes.size} node containers`);
    await Promise.all(
      [...state.nodes.values()].map((node) => serially(node, () => startNodeContainer(state, node))),
    );
    return dockerHandle(state, close);
  } catch (error) {
    await close();
    throw error;
  }
}

function clientUrlOf(state: DockerState, info: NodeInfo): string {
  return `ws://${state.proxies.get(edgeProxyName(info.region, info.node))?.listen}/ws`;
}

/** Removes every container (after saving its logs) and network of the run. Idempotent. */
function registerTeardown(state: DockerState): () => Promise<void> {
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      state.closed = true;
      const { actions } = state;
      // Nodes first (they hold client connections), gracefully, as local mode stops them.
      const nodeIds = [...state.nodes.values()].flatMap((n) => (n.id === undefined ? [] : [n.id]));
      await Promise.all(
        nodeIds.map((id) =>
          actions
            .unpause(id)
            .then(() => actions.stop(id, 5))
            .catch(() => {}),
        ),
      );
      await Promise.all(state.containers.map((c) => actions.saveLogs(c.id, c.logFile)));
      // By label, not only by the ids it knows: a container whose start failed is removed too.
      await removeLabelled(`${RUN_LABEL}=${state.options.runId}`);
      unregister();
    })();
    return closing;
  };
  const unregister = state.registry.add('docker topology', close);
  return close;
}
