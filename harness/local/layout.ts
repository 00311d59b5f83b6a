// The local topology's layout, as pure data: which loopback address each region, node and proxy
// gets, and which proxy sits on which path. `validate` prints it; the topology starts it.
//
// Every region has its own loopback block, 127.0.<region index + 1>.x: its nodes listen on
// .11, .12, ... and every proxy whose traffic enters the region listens on .1. The directory
// lives on 127.0.0.1. Ports are picked free at start, so two runs can share the blocks.

export interface NodeLayout {
  region: string;
  node: string;
  host: string;
}

export type ProxyKind = 'edge' | 'link' | 'dir';

export interface ProxyLayout {
  /** Toxiproxy proxy name, the handle faults use. */
  name: string;
  kind: ProxyKind;
  /** Host part of the listen address (the port is chosen free). */
  listenHost: string;
  /** Region whose traffic this proxy carries outwards (links and directory), or 'clients'. */
  from: string;
  /** Region the traffic goes to, or 'directory'. */
  to: string;
  /** The node at the far end (edge and link), or the node that uses it (dir). */
  node: string;
  /** The region of that node. */
  nodeRegion: string;
}

export interface TopologyLayout {
  regions: { name: string; block: string; nodes: NodeLayout[] }[];
  directoryHost: string;
  proxies: ProxyLayout[];
}

export const DIRECTORY_HOST = '127.0.0.1';

export function regionBlock(index: number): string {
  if (!Number.isInteger(index) || index < 0 || index > 253) {
    throw new Error(`region index ${index} is outside the 254 loopback blocks`);
  }
  return `127.0.${index + 1}`;
}

export function nodeName(ordinal: number): string {
  return `n${ordinal}`;
}

export function nodeHost(regionIndex: number, ordinal: number): string {
  if (ordinal < 1 || ordinal > 240) throw new Error(`node ordinal ${ordinal} is outside 1..240`);
  return `${regionBlock(regionIndex)}.${10 + ordinal}`;
}

// Proxy names never contain '/': real Toxiproxy routes /proxies/{name} with gorilla/mux, which
// matches on the decoded path, so a name with a slash (even sent as %2F) is never found there.
export function edgeProxyName(region: string, node: string): string {
  return `edge:clients->${region}.${node}`;
}

export function linkProxyName(from: string, to: string, node: string): string {
  return `link:${from}->${to}.${node}`;
}

export function dirProxyName(region: string, node: string): string {
  return `dir:${region}.${node}`;
}

/** The proxies a node needs: its edge, the links into it from every other region, its dir link. */
export function proxiesForNode(regions: string[], region: string, node: string): ProxyLayout[] {
  const index = regions.indexOf(region);
  if (index < 0) throw new Error(`unknown region "${region}"`);
  const listenHost = `${regionBlock(index)}.1`;
  const proxies: ProxyLayout[] = [
    {
      name: edgeProxyName(region, node),
      kind: 'edge',
      listenHost,
      from: 'clients',
      to: region,
      node,
      nodeRegion: region,
    },
  ];
  for (const from of regions) {
    if (from === region) continue;
    proxies.push({
      name: linkProxyName(from, region, node),
      kind: 'link',
      listenHost,
      from,
      to: region,
      node,
      nodeRegion: region,
    });
  }
  proxies.push({
    name: dirProxyName(region, node),
    kind: 'dir',
    listenHost,
    from: region,
    to: 'directory',
    node,
    nodeRegion: region,
  });
  return proxies;
}

export function planLayout(regions: string[], nodesPerRegion: number): TopologyLayout {
  if (regions.length === 0) throw new Error('a topology needs at least one region');
  if (new Set(regions).size !== regions.length) throw new Error(`regions repeat: ${regions.join(',')}`);
  const layout: TopologyLayout = { regions: [], directoryHost: DIRECTORY_HOST, proxies: [] };
  regions.forEach((name, index) => {
    const nodes: NodeLayout[] = [];
    for (let ordinal = 1; ordinal <= nodesPerRegion; ordinal++) {
      nodes.push({ region: name, node: nodeName(ordinal), host: nodeHost(index, ordinal) });
    }
    layout.regions.push({ name, block: `${regionBlock(index)}.x`, nodes });
  });
  for (const region of layout.regions) {
    for (const node of region.nodes) layout.proxies.push(...proxiesForNode(regions, region.name, node.node));
  }
  return layout;
}

/** A readable block for `validate` and the run header. */
export function formatLayout(layout: TopologyLayout): string {
  const lines: string[] = [];
  // A topology without a directory (the xmpp target's) has no host for it.
  if (layout.directoryHost !== '') lines.push(`directory  ${layout.directoryHost}`);
  for (const region of layout.regions) {
    lines.push(`region ${region.name}  (${region.block})`);
    for (const node of region.nodes) {
      const proxies = layout.proxies.filter((p) => p.nodeRegion === region.name && p.node === node.node);
      lines.push(`  node ${node.region}/${node.node}  ${node.host}`);
      for (const proxy of proxies) lines.push(`    proxy ${proxy.name}  listen ${proxy.listenHost}`);
    }
  }
  return lines.join('\n');
}
