// Each region's own DNS view. Prosody resolves peers with libunbound and ignores /etc/hosts, so
// chatquake gives every region a static zone in which each PEER domain's `_xmpp-server._tcp` SRV
// record names the link proxy from this region to that peer: federation then crosses the fault
// proxy, on free ports, and no query for the zone ever leaves the process.
//
// lua-unbound 1.0 passes `options` to ub_ctx_set_option one string per key (a list value
// crashes it), and unbound accepts an option both with and without its trailing colon, so one
// view holds at most two `local-data` records. The SRV records use both spellings; the A
// records of their targets come from the view's own hosts file, which has no such limit.

/** The zone every region's domain lives in. */
export const XMPP_ZONE = 'chatquake.test';

/** Peers one region can reach through its DNS view (see the note above). */
export const MAX_PEERS = 2;

export function domainOf(region: string): string {
  return `${region}.${XMPP_ZONE}`;
}

export interface DnsPeer {
  /** The peer's XMPP domain. */
  domain: string;
  /** Where this region's link proxy to that peer listens. */
  host: string;
  port: number;
}

export interface DnsView {
  /** The view's hosts file: the A records of the SRV targets. */
  hosts: string;
  /** resolv.conf: loopback only, for any name outside the static zone. */
  resolvConf: string;
  /** unbound `local-zone` and `local-data` options, as ub_ctx_set_option takes them. */
  options: [string, string][];
}

/** The SRV target name of a peer's link proxy. */
export function linkTargetOf(peerDomain: string): string {
  return `s2s-link.${peerDomain}`;
}

export function dnsView(peers: readonly DnsPeer[]): DnsView {
  if (peers.length > MAX_PEERS) {
    throw new Error(
      `an XMPP region's DNS view holds at most ${MAX_PEERS} peers (${MAX_PEERS + 1} regions); got ${peers.length}`,
    );
  }
  const dataKeys = ['local-data:', 'local-data'];
  const options: [string, string][] = [['local-zone:', `${XMPP_ZONE}. static`]];
  const hosts = ['127.0.0.1 localhost'];
  peers.forEach((peer, i) => {
    const target = linkTargetOf(peer.domain);
    options.push([
      dataKeys[i] as string,
      `_xmpp-server._tcp.${peer.domain}. 60 IN SRV 0 0 ${peer.port} ${target}.`,
    ]);
    hosts.push(`${peer.host} ${target}`);
  });
  return { hosts: `${hosts.join('\n')}\n`, resolvConf: 'nameserver 127.0.0.1\n', options };
}
