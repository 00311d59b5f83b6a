// Docker mode's layout, as pure data: which network each region, node, the directory and the
// fault proxy join, the alias each is reached by, and the container port each proxy listens on.
// `validate --mode docker` prints it; the container topology starts it.
//
// One network per region, plus one for the directory. A node joins only its region's network,
// so it reaches a same-region peer directly (by alias) and everything else through the proxy
// container, which joins every network under the alias `proxy`. Proxy ports are fixed: edge
// proxies (which clients on the host dial) take ports from EDGE_PORT_BASE, all published, with
// a few spare for nodes a scale-out adds; links and directory proxies take ports from
// INNER_PORT_BASE, which only the containers reach.
import { type ProxyLayout, proxiesForNode, type TopologyLayout } from '../local/layout.ts';

export const NODE_PORT = 8080;
export const DIRECTORY_PORT = 7000;
export const PROXY_API_PORT = 8474;
/** As @testcontainers/toxiproxy publishes 8666–8697 for its proxies. */
export const EDGE_PORT_BASE = 8666;
export const INNER_PORT_BASE = 9000;
/** Edge ports published beyond the planned nodes, for nodes a scale-out adds mid-run. */
export const SPARE_EDGE_PORTS = 4;
export const PROXY_ALIAS = 'proxy';
export const DIRECTORY_ALIAS = 'directory';
/** Every container, network and volume of a run carries `chatquake.run=<run id>`. */
export const RUN_LABEL = 'chatquake.run';
/** And `chatquake.log=<file>`: where its logs go, even when the next run removes it after a crash. */
export const LOG_LABEL = 'chatquake.log';
/** And `chatquake.owner=<pid>:<start time>:<boot id>`: while that process lives, it is not stale. */
export const OWNER_LABEL = 'chatquake.owner';

export interface ContainerNodePlan {
  region: string;
  node: string;
  /** The node's name on its region's network. */
  alias: string;
  network: string;
}

export interface ContainerProxyPlan extends ProxyLayout {
  /** The port the proxy listens on inside the proxy container. */
  port: number;
  /** host:port as the proxy container dials it. */
  upstream: string;
}

export interface ContainerPlan {
  /** Short and name-safe: the prefix of every network name. */
  prefix: string;
  networks: { name: string; purpose: string }[];
  directoryNetwork: string;
  nodes: ContainerNodePlan[];
  proxies: ContainerProxyPlan[];
  /** Container ports of the proxy container published to the host (API first). */
  publishedProxyPorts: number[];
}

export function nodeAlias(region: string, node: string): string {
  return `${region}-${node}`;
}

export function regionNetwork(prefix: string, region: string): string {
  return `${prefix}-${region}`;
}

/** Assigns the next free port of the proxy's kind; counters only grow, so no port is reused. */
export interface PortCounters {
  edge: number;
  inner: number;
}

export function planProxy(proxy: ProxyLayout, counters: PortCounters): ContainerProxyPlan {
  const port = proxy.kind === 'edge' ? EDGE_PORT_BASE + counters.edge++ : INNER_PORT_BASE + counters.inner++;
  const upstream =
    proxy.kind === 'dir'
      ? `${DIRECTORY_ALIAS}:${DIRECTORY_PORT}`
      : `${nodeAlias(proxy.nodeRegion, proxy.node)}:${NODE_PORT}`;
  return { ...proxy, listenHost: '0.0.0.0', port, upstream };
}

/** The proxies of a node added mid-run, on the next free ports. */
export function planNodeProxies(
  regions: string[],
  region: string,
  node: string,
  counters: PortCounters,
): ContainerProxyPlan[] {
  return proxiesForNode(regions, region, node).map((p) => planProxy(p, counters));
}

export function planContainers(
  prefix: string,
  layout: TopologyLayout,
  counters: PortCounters = { edge: 0, inner: 0 },
): ContainerPlan {
  const networks = layout.regions.map((r) => ({
    name: regionNetwork(prefix, r.name),
    purpose: `region ${r.name}`,
  }));
  const directoryNetwork = `${prefix}-directory`;
  networks.push({ name: directoryNetwork, purpose: 'the directory' });
  const nodes = layout.regions.flatMap((r) =>
    r.nodes.map((n) => ({
      region: r.name,
      node: n.node,
      alias: nodeAlias(r.name, n.node),
      network: regionNetwork(prefix, r.name),
    })),
  );
  const proxies = layout.proxies.map((p) => planProxy(p, counters));
  const edges = proxies.filter((p) => p.kind === 'edge').length;
  const publishedProxyPorts = [PROXY_API_PORT];
  for (let i = 0; i < edges + SPARE_EDGE_PORTS; i++) publishedProxyPorts.push(EDGE_PORT_BASE + i);
  return { prefix, networks, directoryNetwork, nodes, proxies, publishedProxyPorts };
}

/** A node's peers as its --peers flag lists them: same region direct, others via link proxies. */
export function peersFlag(
  nodes: readonly { region: string; node: string }[],
  proxies: readonly ContainerProxyPlan[],
  region: string,
  node: string,
): string {
  const entries: string[] = [];
  for (const peer of nodes) {
    if (peer.region === region && peer.node === node) continue;
    if (peer.region === region) {
      entries.push(`${peer.region}/${peer.node}=http://${nodeAlias(peer.region, peer.node)}:${NODE_PORT}`);
      continue;
    }
    const link = proxies.find(
      (p) => p.kind === 'link' && p.from === region && p.nodeRegion === peer.region && p.node === peer.node,
    );
    if (link !== undefined) entries.push(`${peer.region}/${peer.node}=http://${PROXY_ALIAS}:${link.port}`);
  }
  return entries.join(',');
}

/** What a node's command line depends on besides its own name. */
export interface ServerCommandOptions {
  ack: 'stored' | 'replicated';
  leaseMs: number;
  bugs: readonly string[];
  extra: readonly string[];
  /** Every node of the topology (the node itself is skipped). */
  nodes: readonly { region: string; node: string }[];
  proxies: readonly ContainerProxyPlan[];
}

/** A node container's command: its peers by alias or through the proxy, its directory through its dir proxy. */
export function serverCommand(region: string, node: string, o: ServerCommandOptions): string[] {
  const dir = o.proxies.find((p) => p.kind === 'dir' && p.nodeRegion === region && p.node === node);
  const args = [
    'server',
    '--region',
    region,
    '--node',
    node,
    '--host',
    '0.0.0.0',
    '--port',
    String(NODE_PORT),
  ];
  args.push('--data', '/data', '--ack', o.ack, '--lease-ms', String(o.leaseMs));
  if (dir !== undefined) args.push('--directory', `http://${PROXY_ALIAS}:${dir.port}`);
  const peers = peersFlag(o.nodes, o.proxies, region, node);
  if (peers !== '') args.push('--peers', peers);
  for (const bug of o.bugs) args.push('--bug', bug);
  args.push(...o.extra);
  return args;
}

/** The directory container's command. */
export function directoryCommand(leaseMs: number): string[] {
  const args = ['directory', '--host', '0.0.0.0', '--port', String(DIRECTORY_PORT)];
  return [...args, '--lease-ms', String(leaseMs), '--data', '/data/directory'];
}

/** A readable block for `validate --mode docker`. */
export function formatContainerPlan(plan: ContainerPlan, image: string): string {
  const lines = [`image      ${image}`, 'networks'];
  for (const n of plan.networks) lines.push(`  ${n.name}  (${n.purpose})`);
  lines.push(`container directory  on ${plan.directoryNetwork} as ${DIRECTORY_ALIAS}:${DIRECTORY_PORT}`);
  lines.push(
    `container proxy  on every network as ${PROXY_ALIAS}, API :${PROXY_API_PORT}, publishes ${plan.publishedProxyPorts.length} ports`,
  );
  for (const node of plan.nodes) {
    lines.push(
      `container node ${node.region}/${node.node}  on ${node.network} as ${node.alias}:${NODE_PORT}`,
    );
    for (const p of plan.proxies.filter((x) => x.nodeRegion === node.region && x.node === node.node)) {
      const published = p.kind === 'edge' ? ', published' : '';
      lines.push(`  proxy ${p.name}  ${PROXY_ALIAS}:${p.port}${published} → ${p.upstream}`);
    }
  }
  return lines.join('\n');
}
