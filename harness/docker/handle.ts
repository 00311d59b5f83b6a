// The running docker topology as its callers see it: the LocalTopology lookups over the shared
// state, node lifecycle as container verbs (kill, stop, start the same container again), scale
// out and in, and the ContainerControl the chaos container backend drives.
import type { ContainerControl } from '../../chaos/index.ts';
import { edgeProxyName, nodeName } from '../local/layout.ts';
import { splitNodeId } from '../local/system.ts';
import type { NodeInfo } from '../local/topology/types.ts';
import { newNodeContainer, serially, startNodeContainer } from './nodes.ts';
import { planNodeProxies } from './plan.ts';
import { createContainerProxy } from './services.ts';
import type { DockerState, DockerTopology, NodeContainer } from './state.ts';

export function nodeOf(state: DockerState, region: string, node: string): NodeContainer {
  const found = state.nodes.get(`${region}/${node}`);
  if (found === undefined) throw new Error(`no node ${region}/${node} in this topology`);
  return found;
}

async function stopContainer(state: DockerState, node: NodeContainer, how: 'kill' | 'stop'): Promise<void> {
  if (node.id === undefined || !node.info.running) return;
  await state.actions.unpause(node.id);
  if (how === 'kill') await state.actions.kill(node.id);
  else await state.actions.stop(node.id, 5);
  node.info.running = false;
}

function fixedError(): Error {
  return new Error(
    "the compose topology's nodes are the compose file's: adding or removing one needs --mode local or docker",
  );
}

export function dockerHandle(state: DockerState, close: () => Promise<void>): DockerTopology {
  const toxiproxy = state.toxiproxy;
  if (toxiproxy === undefined) throw new Error('the fault proxy is not started');
  const topology: DockerTopology = {
    mode: 'docker',
    regions: state.regions,
    secret: state.options.secret,
    adminToken: state.options.adminToken,
    directoryUrl: 'http://directory:7000 (inside the directory network)',
    proxyApiUrl: toxiproxy.url,
    toxiproxy,
    nodes(region) {
      const all = [...state.nodes.values()].map((n) => n.info);
      return region === undefined ? all : all.filter((n) => n.region === region);
    },
    node: (region, node) => nodeOf(state, region, node).info,
    proxies: () => [...state.proxies.values()],
    proxy(name) {
      const proxy = state.proxies.get(name);
      if (proxy === undefined) throw new Error(`no proxy named "${name}"`);
      return proxy;
    },
    regionEndpoints() {
      return state.regions.map((name) => {
        const nodes = topology.nodes(name);
        return { name, endpoints: nodes.map((n) => n.clientUrl), adminUrls: nodes.map((n) => n.httpUrl) };
      });
    },
    // Containers have no host pid: the chaos backend uses containerControl() instead.
    pidOf: () => undefined,
    stopNode(region, node, how = 'kill') {
      const found = nodeOf(state, region, node);
      return serially(found, () => stopContainer(state, found, how));
    },
    startNode(region, node) {
      const found = nodeOf(state, region, node);
      return serially(found, async () => {
        if (!found.info.running) await startNodeContainer(state, found);
      });
    },
    addNode: (region) => (state.fixedNodes ? Promise.reject(fixedError()) : addNode(state, region)),
    removeNode: (region, node) =>
      state.fixedNodes ? Promise.reject(fixedError()) : removeNode(state, region, node),
    async setProxyEnabled(name, enabled) {
      topology.proxy(name);
      await toxiproxy.updateProxy(name, { enabled });
    },
    describe() {
      return {
        regions: state.regions.map((name) => ({ name, nodes: topology.nodes(name).map((n) => n.node) })),
        directoryUrl: topology.directoryUrl,
        proxyApiUrl: topology.proxyApiUrl,
        proxies: topology.proxies(),
        nodes: topology.nodes().map((n) => ({ ...n })),
      };
    },
    close,
    containerControl: (options = {}) => containerControl(state, topology, options.onNodeAdded),
  };
  return topology;
}

function containerControl(
  state: DockerState,
  topology: DockerTopology,
  onNodeAdded: ((info: NodeInfo) => void) | undefined,
): ContainerControl {
  const idOf = (nodeId: string): string => {
    const { region, node } = splitNodeId(nodeId);
    const id = nodeOf(state, region, node).id;
    if (id === undefined) throw new Error(`node ${nodeId} has no container`);
    return id;
  };
  const split = (nodeId: string) => splitNodeId(nodeId);
  return {
    isRunning: (nodeId) => {
      const { region, node } = split(nodeId);
      return nodeOf(state, region, node).info.running;
    },
    kill: (nodeId) => topology.stopNode(split(nodeId).region, split(nodeId).node, 'kill'),
    stop: (nodeId) => topology.stopNode(split(nodeId).region, split(nodeId).node, 'stop'),
    pause: (nodeId) => state.actions.pause(idOf(nodeId)),
    unpause: (nodeId) => state.actions.unpause(idOf(nodeId)),
    async restart(nodeId) {
      const { region, node } = split(nodeId);
      // A region outage killed it a moment ago; make sure it is down, then start it again.
      await topology.stopNode(region, node, 'kill');
      await topology.startNode(region, node);
    },
    async addNode(region) {
      const info = await topology.addNode(region);
      onNodeAdded?.(info);
      return `${info.region}/${info.node}`;
    },
    removeNode: (nodeId) => topology.removeNode(split(nodeId).region, split(nodeId).node),
  };
}

async function addNode(state: DockerState, region: string): Promise<NodeInfo> {
  if (!state.regions.includes(region)) throw new Error(`unknown region "${region}"`);
  let ordinal = 1;
  while (state.nodes.has(`${region}/${nodeName(ordinal)}`)) ordinal++;
  const name = nodeName(ordinal);
  const added = await newNodeContainer(state, region, name);
  state.nodes.set(`${region}/${name}`, added);
  for (const proxy of planNodeProxies(state.regions, region, name, state.counters))
    await createContainerProxy(state, proxy);
  added.info.clientUrl = `ws://${state.proxies.get(edgeProxyName(region, name))?.listen}/ws`;
  state.status(`adding ${region}/${name}`);
  await serially(added, () => startNodeContainer(state, added));
  return added.info;
}

async function removeNode(state: DockerState, region: string, node: string): Promise<void> {
  const found = nodeOf(state, region, node);
  await serially(found, () => stopContainer(state, found, 'stop'));
  state.nodes.delete(`${region}/${node}`);
  for (const proxy of [...state.proxies.values()]) {
    if (proxy.nodeRegion !== region || proxy.node !== node) continue;
    await state.toxiproxy?.deleteProxy(proxy.name).catch(() => {});
    state.proxies.delete(proxy.name);
  }
}
