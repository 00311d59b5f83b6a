// XMPP as a target: one Prosody server per region, each with its own domain, federated over
// server-to-server links that pass through the fault proxy (docs/XMPP.md). This is its
// definition: the options a scenario sets (how the servers federate), what it cannot do (one
// server per region, so no scale-out; no admin API, so no clock skew; direct chats only), where
// a chat is held (its members' servers) and the proxies its topology has (edge and link, no
// directory). The runtime, loaded only for a run, starts Prosody and drives it over XMPP.
import { planLayout } from '../../local/layout.ts';
import type { TargetDefinition } from '../types.ts';
import { xmppRegionSpec } from './commands.ts';
import { MAX_PEERS } from './prosody/dns.ts';
import { XmppOptions } from './types.ts';

/** The options after the bug knobs: `s2s-dialback` overrides the s2s mode. */
export function effectiveOptions(options: XmppOptions, bugs: readonly string[]): XmppOptions {
  return bugs.includes('s2s-dialback') ? { ...options, s2s: 'dialback', s2sAckTimeoutMs: 0 } : options;
}

export const xmppTarget: TargetDefinition = {
  name: 'xmpp',
  description: 'Prosody servers, one per region with its own domain, federated through the fault proxy',
  options: XmppOptions,
  // Not planted bugs but weaker configurations a scenario can prove it catches: `s2s-dialback`
  // federates with dialback and no stream management on s2s, whatever targetOptions.s2s says.
  bugs: ['s2s-dialback'],
  modes: ['local'],
  unsupported: {
    addNode: 'an XMPP region is one Prosody server, so it cannot be scaled out',
    clock: 'Prosody has no admin API to move its clock',
  },
  // A chat is held by both members' servers; neither is its home.
  homeRegionOf: () => undefined,
  // A stream-management ack: the sender's server took the stanza, nothing more.
  ackLevel: () => 'accepted',
  describeServers(topology, targetOptions) {
    const o = effectiveOptions(XmppOptions.parse(targetOptions), topology.bugs);
    const smacks =
      o.s2s === 'smacks'
        ? `, unacked s2s stanzas ${o.s2sResend ? 'resent' : 'bounced'}${o.s2sAckTimeoutMs > 0 ? `, s2s ack timeout ${o.s2sAckTimeoutMs} ms` : ''}`
        : '';
    return `${topology.regions.length} regions × 1 Prosody server, s2s ${o.s2s}${smacks}, clients resend ${o.resend ? 'on' : 'off'}`;
  },
  layout(regions, nodesPerRegion) {
    if (regions.length > MAX_PEERS + 1)
      throw new Error(
        `regions: the xmpp target runs at most ${MAX_PEERS + 1} regions (each region's DNS view names its peers' link proxies); got ${regions.length}`,
      );
    const layout = planLayout(regions, nodesPerRegion);
    return { ...layout, directoryHost: '', proxies: layout.proxies.filter((p) => p.kind !== 'dir') };
  },
  checkWorkload(workload, nodesPerRegion) {
    const problems: string[] = [];
    if (nodesPerRegion !== 1)
      problems.push(
        'topology.nodesPerRegion: the xmpp target runs one Prosody server per region (set it to 1)',
      );
    const group = workload.conversations.find((c) => c.members.length !== 2);
    if (group !== undefined)
      problems.push(
        `workload.conversations.groups: the xmpp target supports direct conversations of 2 members (${group.id} has ${group.members.length}); set groups to 0`,
      );
    if (workload.conversations.some((c) => c.residency !== undefined))
      problems.push(
        "workload.conversations.residency: an XMPP chat is held by its members' servers, so residency cannot be chosen",
      );
    return problems;
  },
  placement(workload) {
    const homeOf = new Map(workload.users.map((u) => [u.id, u.region]));
    const placed = new Map<string, string[]>();
    for (const c of workload.conversations) {
      const homes = c.members.map((m) => homeOf.get(m)).filter((r): r is string => r !== undefined);
      placed.set(c.id, [...new Set(homes)]);
    }
    return placed;
  },
  commands: {
    'xmpp-region': { spec: xmppRegionSpec, load: () => import('./region-main.ts') },
  },
  runtime: async () => (await import('./runtime.ts')).xmppRuntime,
};
