// How far each peer is behind the conversations this node homes, for the replication-lag
// gauges: messages not yet confirmed, and the age of the oldest of them. Computed only when
// metrics are scraped, from what the links already know, so replication itself pays nothing;
// the age costs one indexed read per lagging conversation and peer.
import type { PeerLag } from '../metrics.ts';
import { isTransient, type Link, type ShipperState } from './state.ts';

/** Lag of one link: sums messages over its conversations and keeps the oldest unconfirmed entry's age. */
function linkLag(state: ShipperState, link: Link, now: number): PeerLag {
  const { opts } = state;
  let messages = 0;
  let oldest = now;
  for (const [conv, pc] of link.convs) {
    const src = opts.source(conv);
    if (src === undefined || isTransient(src, link.peer.region)) continue;
    const matched = pc.matched ?? 0;
    if (src.lastSeq <= matched) continue;
    messages += src.lastSeq - matched;
    const first = opts.readEntries(conv, matched, matched + 1)[0];
    if (first !== undefined) oldest = Math.min(oldest, first.serverTime);
  }
  return { region: link.peer.region, messages, seconds: Math.max(0, now - oldest) / 1000 };
}

/** Lag by peer id, for every link the shipper has. */
export function peerLag(state: ShipperState): Map<string, PeerLag> {
  const now = state.opts.wallNow();
  const out = new Map<string, PeerLag>();
  for (const link of state.links.values()) out.set(link.peer.id, linkLag(state, link, now));
  return out;
}
