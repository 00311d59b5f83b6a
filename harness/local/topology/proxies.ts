// The proxies of a local topology: every path a fault may cut (edge, link, dir) gets one on the
// Toxiproxy API, pointed at the node or directory behind it, and recorded in `state.proxies`.
import type { ToxiproxyClient } from '../../../chaos/index.ts';
import { edgeProxyName, type ProxyLayout, proxiesForNode } from '../layout.ts';
import { nodeKey, type TopologyState } from './state.ts';
import type { ProxyInfo } from './types.ts';

/** Where proxies are made and what the dir proxies point at, known once the services are up. */
export interface ProxyPlane {
  toxiproxy: ToxiproxyClient;
  /** The directory's host:port. */
  directoryAddress: string;
}

function upstreamOf(state: TopologyState, plane: ProxyPlane, proxy: ProxyLayout): string {
  if (proxy.kind === 'dir') return plane.directoryAddress;
  const target = state.nodeStates.get(nodeKey(proxy.nodeRegion, proxy.node));
  if (target === undefined) throw new Error(`no node ${proxy.nodeRegion}/${proxy.node}`);
  return `${target.info.host}:${target.info.port}`;
}

export async function createProxy(
  state: TopologyState,
  plane: ProxyPlane,
  proxy: ProxyLayout,
  /** Where the proxy forwards; default the node (edge, link) or directory (dir) behind it. */
  upstream: string = upstreamOf(state, plane, proxy),
): Promise<ProxyInfo> {
  // A run killed before its teardown leaves its proxies in an external Toxiproxy; the names
  // are this topology's, so a leftover is replaced rather than refused with a 409.
  // On an external Toxiproxy the proxy outlives us if we crash: recorded before it exists.
  const ledger = state.external === undefined ? undefined : state.options.ledger;
  if (state.external !== undefined) await state.external.deleteProxy(proxy.name).catch(() => {});
  ledger?.proxyCreating(proxy.name, upstream);
  const created = await plane.toxiproxy.createProxy({
    name: proxy.name,
    listen: `${proxy.listenHost}:0`,
    upstream,
  });
  ledger?.proxyCreated(proxy.name, created.listen);
  const info: ProxyInfo = { ...proxy, listen: created.listen, upstream: created.upstream };
  state.proxies.set(proxy.name, info);
  return info;
}

/** Deletes a node's proxies, for good. */
export async function removeNodeProxies(
  state: TopologyState,
  plane: ProxyPlane,
  region: string,
  node: string,
): Promise<void> {
  for (const proxy of proxiesForNode(state.regions, region, node)) {
    await deleteProxy(state, plane.toxiproxy, proxy.name);
    state.proxies.delete(proxy.name);
  }
}

/** Deletes one proxy; a proxy already gone counts as deleted. Never throws. */
export async function deleteProxy(
  state: TopologyState,
  toxiproxy: ToxiproxyClient,
  name: string,
): Promise<void> {
  try {
    await toxiproxy.deleteProxy(name);
  } catch (error) {
    if ((error as { status?: number }).status !== 404) return;
  }
  state.options.ledger?.proxyRemoved(name);
}

/** What clients dial for a node: its edge proxy. */
export function clientUrlOf(state: TopologyState, region: string, node: string): string {
  return `ws://${state.proxies.get(edgeProxyName(region, node))?.listen}/ws`;
}
