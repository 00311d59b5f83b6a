// The XMPP target's topology: one Prosody server per region (domain `<region>.chatquake.test`),
// clients reaching it through its edge proxy and each region's s2s traffic to another through
// that pair's link proxy, with the same proxy names as the reference topology
// (harness/local/layout.ts), so the fault catalogue (partitions, blackholes, region outages, node
// crash and pause, latency) acts on XMPP federation unchanged. It reuses harness/local's pieces:
// the state, the Toxiproxy API, the proxies, the teardown and the handle; the regions' own parts
// (config, DNS view, certificates, accounts, the server process) live in prosody/ and topology/.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { edgeProxyName, planLayout } from '../../local/layout.ts';
import { topologyHandle } from '../../local/topology/handle.ts';
import { freePort, serially } from '../../local/topology/nodes.ts';
import { createProxy, type ProxyPlane } from '../../local/topology/proxies.ts';
import { connectProxyApi } from '../../local/topology/services.ts';
import { createTopologyState, type TopologyState } from '../../local/topology/state.ts';
import { registerTeardown } from '../../local/topology/teardown.ts';
import type { LocalTopology, LocalTopologyOptions } from '../../local/topology/types.ts';
import { writeAccount } from './prosody/accounts.ts';
import { createRunCa, type RunCa } from './prosody/certs.ts';
import { MAX_PEERS } from './prosody/dns.ts';
import {
  newRegionState,
  type RegionState,
  startRegion,
  stopRegion,
  writeRegionFiles,
  XMPP_NODE,
} from './topology/regions.ts';
import { type XmppAccounts, XmppOptions, type XmppRegion } from './types.ts';

/** The local topology's options (directory, lease, ack, bugs and server flags unused) and the s2s mode. */
export interface XmppTopologyOptions extends LocalTopologyOptions {
  xmpp: XmppOptions;
}

export type XmppTopology = LocalTopology & XmppAccounts & { xmppRegions(): XmppRegion[] };

const LOOPBACK = '127.0.0.1';

function checkRegions(regions: readonly string[]): void {
  if (regions.length > MAX_PEERS + 1) {
    throw new Error(`the XMPP topology runs at most ${MAX_PEERS + 1} regions; got ${regions.length}`);
  }
  for (const region of regions) {
    if (!/^[a-z0-9]([a-z0-9-]{0,40}[a-z0-9])?$/.test(region)) {
      throw new Error(`XMPP region "${region}" must be a DNS label: lowercase letters, digits and -`);
    }
  }
}

/** Every edge and link proxy of the layout (no dir proxies: there is no directory). */
async function createProxies(state: TopologyState, plane: ProxyPlane, byName: Map<string, RegionState>) {
  const layout = planLayout(state.regions, 1);
  const proxies = layout.proxies.filter((proxy) => proxy.kind !== 'dir');
  state.status(`creating ${proxies.length} proxies`);
  for (const proxy of proxies) {
    const target = byName.get(proxy.nodeRegion);
    if (target === undefined) throw new Error(`no region ${proxy.nodeRegion}`);
    const port = proxy.kind === 'edge' ? target.c2sPort : target.s2sPort;
    await createProxy(state, plane, proxy, `${LOOPBACK}:${port}`);
  }
}

/** What clients dial for a region: `xmpp://` its edge proxy. */
function serviceOf(state: TopologyState, region: string): string {
  const edge = state.proxies.get(edgeProxyName(region, XMPP_NODE));
  if (edge === undefined) throw new Error(`no edge proxy for ${region}`);
  return `xmpp://${edge.listen}`;
}

export async function startXmppTopology(options: XmppTopologyOptions): Promise<XmppTopology> {
  const xmpp = XmppOptions.parse(options.xmpp);
  checkRegions(options.regions);
  // Absolute: Prosody reads a relative path in its config from /etc/prosody.
  const runDir = resolve(options.runDir);
  const state = createTopologyState({ ...options, runDir, nodesPerRegion: 1 });
  mkdirSync(state.logsDir, { recursive: true });
  mkdirSync(state.dataDir, { recursive: true });
  const close = registerTeardown(state);
  try {
    const plane: ProxyPlane = { toxiproxy: await connectProxyApi(state), directoryAddress: '' };
    const regions: RegionState[] = [];
    for (const region of state.regions) {
      regions.push(newRegionState(state, region, await freePort(LOOPBACK), await freePort(LOOPBACK)));
    }
    const byName = new Map(regions.map((r) => [r.region, r]));
    await createProxies(state, plane, byName);
    for (const region of regions) region.node.info.clientUrl = serviceOf(state, region.region);
    let ca: RunCa | undefined;
    if (xmpp.s2s === 'smacks') {
      state.status('making the run CA');
      ca = await createRunCa(
        join(runDir, 'prosody', 'certs'),
        regions.map((r) => r.domain),
      );
    }
    for (const region of regions) await writeRegionFiles(state, regions, region, xmpp, ca);
    state.status(`starting ${regions.length} Prosody servers`);
    await Promise.all(regions.map((region) => serially(region.node, () => startRegion(state, region))));
    return xmppHandle(topologyHandle(state, plane, close), state, byName);
  } catch (error) {
    await close();
    throw error;
  }
}

function xmppHandle(
  base: LocalTopology,
  state: TopologyState,
  byName: Map<string, RegionState>,
): XmppTopology {
  const regionOf = (region: string, node: string = XMPP_NODE): RegionState => {
    const found = byName.get(region);
    if (found === undefined || node !== XMPP_NODE)
      throw new Error(`no node ${region}/${node} in this topology`);
    return found;
  };
  const oneServer = (what: string) => () =>
    Promise.reject(new Error(`the XMPP topology runs one Prosody server per region: it cannot ${what}`));
  return {
    ...base,
    directoryUrl: '',
    regionEndpoints: () =>
      base
        .regionEndpoints()
        .map((region) => ({ name: region.name, endpoints: region.endpoints, adminUrls: [] })),
    stopNode(region, node, how = 'kill') {
      const found = regionOf(region, node);
      return serially(found.node, () => stopRegion(found, how));
    },
    startNode(region, node) {
      const found = regionOf(region, node);
      return serially(found.node, () => startRegion(state, found));
    },
    addNode: oneServer('add a node'),
    removeNode: oneServer('remove a node'),
    describe: () => ({ ...base.describe(), directoryUrl: '' }),
    register(region, user, password) {
      const found = regionOf(region);
      return writeAccount(found.dataPath, found.domain, user, password);
    },
    xmppRegions() {
      return [...byName.values()].map((r) => ({
        name: r.region,
        domain: r.domain,
        service: r.node.info.clientUrl,
      }));
    },
  };
}
