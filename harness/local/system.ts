// The local topology seen two ways: as the SystemUnderTest that load/ drives (the reference
// target plus region-level lifecycle), and as the ProcessControl the chaos process backend
// signals and restarts. Node ids are "region/node", as chaos names them.
import type { ChaosTopology, ProcessControl } from '../../chaos/index.ts';
import type { MessagingTarget, SystemUnderTest } from '../../contracts/target.ts';
import { edgeProxyName } from './layout.ts';
import type { LocalTopology, NodeInfo, ProxyInfo } from './topology.ts';

export function nodeId(region: string, node: string): string {
  return `${region}/${node}`;
}

export function splitNodeId(id: string): { region: string; node: string } {
  const slash = id.indexOf('/');
  if (slash <= 0 || slash === id.length - 1) throw new Error(`node id "${id}" is not "region/node"`);
  return { region: id.slice(0, slash), node: id.slice(slash + 1) };
}

/** The names chaos resolves faults against: regions, nodes and proxies, no ports. */
export function chaosTopologyOf(topology: LocalTopology): ChaosTopology {
  return {
    regions: [...topology.regions],
    nodes: topology.nodes().map((n) => ({ id: nodeId(n.region, n.node), region: n.region })),
    proxies: topology.proxies().map(chaosProxyRef),
  };
}

export function chaosProxyRef(
  proxy: Pick<ProxyInfo, 'name' | 'kind' | 'from' | 'to' | 'node' | 'nodeRegion'>,
) {
  return {
    name: proxy.name,
    kind: proxy.kind === 'dir' ? ('directory' as const) : proxy.kind,
    from: proxy.from,
    to: proxy.to,
    node: nodeId(proxy.nodeRegion, proxy.node),
  };
}

/** How long restart waits for a signalled process to be gone before stopping it itself. */
const EXIT_WAIT_MS = 2000;

export interface ProcessControlOptions {
  /** Called once a node added mid-run is ready, so the target can route clients to it. */
  onNodeAdded?: (info: NodeInfo) => void;
}

export function createProcessControl(
  topology: LocalTopology,
  options: ProcessControlOptions = {},
): ProcessControl {
  return {
    pidOf(id) {
      const { region, node } = splitNodeId(id);
      return topology.pidOf(region, node);
    },
    async restart(id) {
      const { region, node } = splitNodeId(id);
      // The caller usually signalled the process a moment ago: let it die before starting
      // the new one on the same port, and finish it off if it would not.
      const deadline = Date.now() + EXIT_WAIT_MS;
      while (topology.node(region, node).running && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      await topology.stopNode(region, node, 'kill');
      await topology.startNode(region, node);
    },
    async addNode(region) {
      const info = await topology.addNode(region);
      options.onNodeAdded?.(info);
      return nodeId(info.region, info.node);
    },
    async removeNode(id) {
      const { region, node } = splitNodeId(id);
      await topology.removeNode(region, node);
    },
  };
}

/**
 * A SystemUnderTest over a started local topology. `target` talks to it (the reference
 * adapter); the region-level calls act on the processes and proxies directly.
 */
export function createLocalSystem(topology: LocalTopology, target: MessagingTarget): SystemUnderTest {
  const cutProxies = (region: string): string[] =>
    topology
      .proxies()
      .filter(
        (p) =>
          (p.kind === 'edge' && p.to === region) ||
          (p.kind === 'link' && (p.from === region || p.to === region)) ||
          (p.kind === 'dir' && p.from === region),
      )
      .map((p) => p.name);
  return {
    name: target.name,
    regions: () => target.regions(),
    ...(target.addUsers === undefined
      ? {}
      : { addUsers: (users) => target.addUsers?.(users) ?? Promise.resolve() }),
    createConversation: (spec) => target.createConversation(spec),
    connect: (options) => target.connect(options),
    digest: (region, conv) => target.digest(region, conv),
    readLog: (region, conv) => target.readLog(region, conv),
    ...(target.api === undefined ? {} : { api: target.api }),
    async start() {
      // The topology is started before the target exists; nothing left to do.
    },
    async stop() {
      await topology.close();
    },
    async stopRegion(region) {
      for (const n of topology.nodes(region))
        await topology.setProxyEnabled(edgeProxyName(region, n.node), false);
      await Promise.all(topology.nodes(region).map((n) => topology.stopNode(region, n.node, 'kill')));
    },
    async startRegion(region) {
      await Promise.all(topology.nodes(region).map((n) => topology.startNode(region, n.node)));
      for (const n of topology.nodes(region))
        await topology.setProxyEnabled(edgeProxyName(region, n.node), true);
    },
    async cutRegion(region) {
      for (const name of cutProxies(region)) await topology.setProxyEnabled(name, false);
    },
    async healRegion(region) {
      for (const name of cutProxies(region)) await topology.setProxyEnabled(name, true);
    },
  };
}
