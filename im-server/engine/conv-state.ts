// What a conversation's state means right now, read without changing it: whether this region
// keeps its messages, how many other regions must hold an entry, whether this node may sequence,
// how far the log is replicated, committed and deliverable, and whether a follower is current.
// Every other part of the engine asks these questions; this module answers them and nothing more.

import type { PeerInfo } from '../control-plane.ts';
import { type Conv, type EngineState, mono } from './state.ts';

export const regionOf = (nodeId: string): string => nodeId.slice(0, nodeId.indexOf('/'));

export const isResident = (s: EngineState, c: Conv): boolean =>
  c.rec.residency === null || c.rec.residency.includes(s.cfg.region);

const allowedRegions = (s: EngineState, c: Conv): string[] =>
  c.rec.residency ?? s.wiring.controlPlane.regions();

export const effectiveReplicas = (s: EngineState, c: Conv, homeRegion: string): number =>
  Math.min(s.cfg.replicas, allowedRegions(s, c).filter((r) => r !== homeRegion).length);

export const leaseOk = (s: EngineState): boolean =>
  s.cfg.bugs.has('no-fencing') || s.wiring.controlPlane.leaseValid();

export const sequencingNow = (s: EngineState, c: Conv): boolean =>
  c.homeEpoch !== null && c.rec.home === s.myId && leaseOk(s);

export const peerById = (s: EngineState, id: string): PeerInfo | undefined =>
  s.wiring.controlPlane.peers().find((p) => p.id === id);

/** Highest seq held by the home and at least W other regions. */
export const replicatedSeq = (s: EngineState, c: Conv): number => {
  const w = effectiveReplicas(s, c, s.cfg.region);
  if (w === 0) return c.lastSeq;
  const allowed = new Set(allowedRegions(s, c));
  const perRegion = new Map<string, number>();
  for (const peer of s.wiring.controlPlane.peers()) {
    if (peer.region === s.cfg.region || !allowed.has(peer.region)) continue;
    const m = Math.min(s.wiring.shipper.matched(peer.id, c.rec.id) ?? 0, c.lastSeq);
    perRegion.set(peer.region, Math.max(perRegion.get(peer.region) ?? 0, m));
  }
  const values = [...perRegion.values()].sort((a, b) => b - a);
  return values[w - 1] ?? 0;
};

/** What may be pushed to clients and served by sync: committed entries only. */
export const deliverable = (s: EngineState, c: Conv): number => {
  if (c.homeEpoch !== null) return c.commitSeq;
  const home = c.rec.home;
  let own = 0;
  if (home !== null) {
    const w = effectiveReplicas(s, c, regionOf(home));
    // Our own copy may be what makes it committed: W<=1 and we are in another region.
    if (s.cfg.ack === 'stored' || w === 0 || (w === 1 && regionOf(home) !== s.cfg.region)) own = c.lastSeq;
  }
  return Math.min(c.lastSeq, Math.max(c.commitSeq, own));
};

export const followerCurrent = (s: EngineState, c: Conv): boolean => {
  const home = c.rec.home;
  if (home === null || home === s.myId) return false;
  const authority = s.authorities.get(home);
  if (authority === undefined || mono(s) > authority.until) return false;
  return c.lastSeq >= c.homeLast;
};
