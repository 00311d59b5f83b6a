// Local mode: the whole multi-cloud system on this machine. One directory process, one fault
// proxy process (or an external Toxiproxy), and N reference-server nodes per region, each a
// child process on its region's loopback block. Every path a fault may cut goes through a proxy:
// clients → node (edge), region → other region's node (link), node → directory (dir).
// Same-region peers talk directly, as nodes in one data centre would. This file starts them in
// order; the parts (services, proxies, nodes, teardown, the handle) live in topology/.
import { mkdirSync } from 'node:fs';
import { planLayout } from './layout.ts';
import { topologyHandle } from './topology/handle.ts';
import { argsOf } from './topology/node-args.ts';
import { reserveNodes, startNode } from './topology/nodes.ts';
import { clientUrlOf, createProxy } from './topology/proxies.ts';
import { connectProxyApi, startDirectory } from './topology/services.ts';
import { createTopologyState } from './topology/state.ts';
import { registerTeardown } from './topology/teardown.ts';
import type { LocalTopology, LocalTopologyOptions } from './topology/types.ts';

export { freePort } from './topology/nodes.ts';
export type {
  LocalTopology,
  LocalTopologyOptions,
  NodeInfo,
  ProxyInfo,
  TopologyDescription,
} from './topology/types.ts';

export async function startLocalTopology(options: LocalTopologyOptions): Promise<LocalTopology> {
  const state = createTopologyState(options);
  mkdirSync(state.logsDir, { recursive: true });
  mkdirSync(state.dataDir, { recursive: true });
  const layout = planLayout(state.regions, state.nodesPerRegion);
  const close = registerTeardown(state);
  try {
    const directoryAddress = await startDirectory(state);
    const plane = { toxiproxy: await connectProxyApi(state), directoryAddress };
    await reserveNodes(state, layout);
    state.status(`creating ${layout.proxies.length} proxies`);
    for (const proxy of layout.proxies) await createProxy(state, plane, proxy);
    const nodes = [...state.nodeStates.values()];
    for (const node of nodes) node.info.clientUrl = clientUrlOf(state, node.info.region, node.info.node);
    for (const node of nodes) node.args = argsOf(state, node.info);
    state.status(`starting ${state.nodeStates.size} nodes`);
    await Promise.all(nodes.map((node) => startNode(state, node)));
    return topologyHandle(state, plane, close);
  } catch (error) {
    await close();
    throw error;
  }
}
