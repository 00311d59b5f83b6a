// The running local topology as its callers see it (LocalTopology): lookups over the explicit
// state, node lifecycle one step at a time per node, scaling a region out and in, and close.
import { nodeHost, nodeName, proxiesForNode } from '../layout.ts';
import { argsOf } from './node-args.ts';
import { freePort, nodeStateOf, serially, startNode, stopNode } from './nodes.ts';
import { clientUrlOf, createProxy, type ProxyPlane, removeNodeProxies } from './proxies.ts';
import { type NodeState, newNodeState, nodeKey, type TopologyState } from './state.ts';
import type { LocalTopology, NodeInfo } from './types.ts';

export function topologyHandle(
  state: TopologyState,
  plane: ProxyPlane,
  close: () => Promise<void>,
): LocalTopology {
  const { regions, options, nodeStates, proxies } = state;
  const { toxiproxy } = plane;
  const topology: LocalTopology = {
    regions,
    secret: options.secret,
    adminToken: options.adminToken,
    directoryUrl: `http://${plane.directoryAddress}`,
    proxyApiUrl: toxiproxy.url,
    toxiproxy,
    nodes(region) {
      const all = [...nodeStates.values()].map((s) => s.info);
      return region === undefined ? all : all.filter((n) => n.region === region);
    },
    node(region, node) {
      return nodeStateOf(state, region, node).info;
    },
    proxies() {
      return [...proxies.values()];
    },
    proxy(name) {
      const proxy = proxies.get(name);
      if (proxy === undefined) throw new Error(`no proxy named "${name}"`);
      return proxy;
    },
    regionEndpoints() {
      return regions.map((name) => {
        const nodes = topology.nodes(name);
        return {
          name,
          endpoints: nodes.map((n) => n.clientUrl),
          adminUrls: nodes.map((n) => n.httpUrl),
        };
      });
    },
    pidOf(region, node) {
      return nodeStateOf(state, region, node).info.pid;
    },
    stopNode(region, node, how = 'kill') {
      const found = nodeStateOf(state, region, node);
      return serially(found, () => stopNode(found, how));
    },
    startNode(region, node) {
      const found = nodeStateOf(state, region, node);
      return serially(found, () => startNode(state, found));
    },
    addNode: (region) => addNode(state, plane, region),
    removeNode: (region, node) => removeNode(state, plane, region, node),
    async setProxyEnabled(name, enabled) {
      topology.proxy(name);
      await toxiproxy.updateProxy(name, { enabled });
    },
    describe() {
      return {
        regions: regions.map((name) => ({ name, nodes: topology.nodes(name).map((n) => n.node) })),
        directoryUrl: topology.directoryUrl,
        proxyApiUrl: topology.proxyApiUrl,
        proxies: topology.proxies(),
        nodes: topology.nodes().map((n) => ({ ...n })),
      };
    },
    close,
  };
  return topology;
}

/** Starts a new node in a region, on the next free name, with its proxies. */
async function addNode(state: TopologyState, plane: ProxyPlane, region: string): Promise<NodeInfo> {
  const index = state.regions.indexOf(region);
  if (index < 0) throw new Error(`unknown region "${region}"`);
  let ordinal = 1;
  while (state.nodeStates.has(nodeKey(region, nodeName(ordinal)))) ordinal++;
  const node = nodeName(ordinal);
  const host = nodeHost(index, ordinal);
  const port = await freePort(host);
  const added: NodeState = newNodeState(state, region, node, host, port);
  state.nodeStates.set(nodeKey(region, node), added);
  for (const proxy of proxiesForNode(state.regions, region, node)) await createProxy(state, plane, proxy);
  added.info.clientUrl = clientUrlOf(state, region, node);
  // Existing nodes learn of the newcomer through the directory, if the server supports
  // it; their --peers lists are fixed at start (see docs/SCENARIOS.md).
  added.args = argsOf(state, added.info);
  state.status(`adding ${region}/${node}`);
  await serially(added, () => startNode(state, added));
  return added.info;
}

/** Stops a node for good and removes its proxies. */
async function removeNode(
  state: TopologyState,
  plane: ProxyPlane,
  region: string,
  node: string,
): Promise<void> {
  const found = nodeStateOf(state, region, node);
  await serially(found, () => stopNode(found, 'stop'));
  state.nodeStates.delete(nodeKey(region, node));
  await removeNodeProxies(state, plane, region, node);
}
