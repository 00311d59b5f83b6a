// The home's side of replication: one sender loop per peer, at most one request in flight, each
// request batching every conversation that has something new for that peer. A follower answers
// how far its log now matches ours; a gap or a divergent tail is repaired by sending from there.
// Requests carry the sender's remaining lease so followers know how long it may be trusted,
// and go out at least every keepalive interval even when idle.
//
// This file wires the parts under replication/ (state, batch, exchange, sender) and answers
// the engine's questions about what peers hold.

import type { PeerLag } from './metrics.ts';
import { peerLag } from './replication/lag.ts';
import { createSender } from './replication/sender.ts';
import { allLinks, createShipperState, type ShipperOptions } from './replication/state.ts';

export type { ShipperOptions, ShipSource } from './replication/state.ts';

export interface Shipper {
  /** New entries or a new commit point: every peer has something to receive. */
  notify(conv: string): void;
  /** This node became home: forget what peers were known to hold. */
  reset(conv: string): void;
  drop(conv: string): void;
  /** How far a peer's log is known to match ours (undefined: not known yet). */
  matched(peerId: string, conv: string): number | undefined;
  /** How far each peer is behind, by peer id (for metrics). */
  lag(): Map<string, PeerLag>;
  /** Regions with at least one peer that answered within `windowMs` (or was never tried yet). */
  reachableRegions(windowMs: number): string[];
  stop(): void;
}

export function createShipper(opts: ShipperOptions): Shipper {
  const state = createShipperState(opts);
  const { links } = state;
  const { flush, kick } = createSender(state);

  const keepalive = setInterval(
    () => {
      const now = performance.now();
      for (const link of allLinks(state)) {
        if (!link.inFlight && link.retryTimer === null && now - link.lastSentAt >= opts.keepaliveMs) {
          void flush(link, true);
        }
      }
    },
    Math.max(20, Math.floor(opts.keepaliveMs / 2)),
  );
  keepalive.unref();

  return {
    notify(conv) {
      for (const link of allLinks(state)) {
        link.dirty.add(conv);
        kick(link);
      }
    },
    reset(conv) {
      for (const link of allLinks(state)) {
        link.convs.delete(conv);
        link.dirty.add(conv);
        kick(link);
      }
    },
    drop(conv) {
      for (const link of links.values()) {
        link.convs.delete(conv);
        link.dirty.delete(conv);
      }
    },
    matched(peerId, conv) {
      return links.get(peerId)?.convs.get(conv)?.matched ?? undefined;
    },
    lag: () => peerLag(state),
    reachableRegions(windowMs) {
      const now = performance.now();
      const regions = new Set<string>();
      for (const link of allLinks(state)) {
        if (link.failures === 0 || now - link.lastOkAt < windowMs) regions.add(link.peer.region);
      }
      return [...regions].sort();
    },
    stop() {
      state.stopped = true;
      clearInterval(keepalive);
      for (const link of links.values()) if (link.retryTimer !== null) clearTimeout(link.retryTimer);
    },
  };
}
