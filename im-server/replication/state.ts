// The shipper's state, shared by its parts (batching, the exchange with a peer, the sender
// loop): one link per peer with what that peer is known to hold of each conversation.
// replication.ts builds it; the parts take it explicitly.
import type { Agent } from 'node:http';
import type { PeerInfo } from '../control-plane.ts';
import type { EpochStarts, WireEntry } from '../internal-protocol.ts';
import type { Logger } from '../log.ts';
import type { NodeMetrics } from '../metrics.ts';

/** What the shipper needs to know about a conversation this node homes. */
export interface ShipSource {
  id: string;
  epoch: number;
  lastSeq: number;
  commit: number;
  epochStarts: EpochStarts;
  members: string[];
  residency: string[] | null;
}

export interface ShipperOptions {
  myId: string;
  incarnation: string;
  peerKey: string;
  agent: Agent;
  logger: Logger;
  metrics: NodeMetrics;
  timeoutMs: number;
  keepaliveMs: number;
  /** Most entries in one request. */
  maxEntries?: number;
  peers(): PeerInfo[];
  /** The conversation as shipped, or undefined when this node no longer homes it. */
  source(conv: string): ShipSource | undefined;
  readEntries(conv: string, afterSeq: number, upToSeq: number): WireEntry[];
  /** The node's wall clock, the one entries' serverTime was read from. */
  wallNow(): number;
  /**
   * Whether a follower in `region` waits for our commit point before delivering. Others commit
   * on their own when they persist, so commit-only updates to them can wait for the next batch.
   */
  commitMatters(src: ShipSource, region: string): boolean;
  authorityMs(): number;
  onProgress(conv: string): void;
  onFenced(conv: string, epoch: number): void;
}

export interface PeerConv {
  matched: number | null;
  commitSent: number;
  needsMeta: boolean;
}

export interface Link {
  peer: PeerInfo;
  rid: number;
  inFlight: boolean;
  scheduled: boolean;
  dirty: Set<string>;
  convs: Map<string, PeerConv>;
  failures: number;
  retryTimer: NodeJS.Timeout | null;
  lastSentAt: number;
  lastOkAt: number;
  peerIncarnation: string | null;
}

export interface ShipperState {
  readonly opts: ShipperOptions;
  /** Most entries in one request, default applied. */
  readonly maxEntries: number;
  readonly links: Map<string, Link>;
  stopped: boolean;
}

export function createShipperState(opts: ShipperOptions): ShipperState {
  return { opts, maxEntries: opts.maxEntries ?? 2000, links: new Map(), stopped: false };
}

export function linkFor(state: ShipperState, peer: PeerInfo): Link {
  let link = state.links.get(peer.id);
  if (link === undefined) {
    link = {
      peer,
      rid: 0,
      inFlight: false,
      scheduled: false,
      dirty: new Set(),
      convs: new Map(),
      failures: 0,
      retryTimer: null,
      lastSentAt: 0,
      lastOkAt: performance.now(),
      peerIncarnation: null,
    };
    state.links.set(peer.id, link);
  } else if (link.peer.url !== peer.url) {
    link.peer = peer;
  }
  return link;
}

/** A link for every current peer, created on first sight. */
export function allLinks(state: ShipperState): Link[] {
  return state.opts.peers().map((peer) => linkFor(state, peer));
}

/** A peer outside the conversation's residency: it gets committed pushes, not history. */
export function isTransient(src: ShipSource, region: string): boolean {
  return src.residency !== null && !src.residency.includes(region);
}

export function needsWork(state: ShipperState, link: Link, conv: string): boolean {
  const src = state.opts.source(conv);
  if (src === undefined) return false;
  const pc = link.convs.get(conv);
  if (pc === undefined || pc.matched === null || pc.needsMeta) return true;
  const transient = isTransient(src, link.peer.region);
  const upTo = transient ? src.commit : src.lastSeq;
  if (pc.matched < upTo) return true;
  return !transient && pc.commitSent < src.commit && state.opts.commitMatters(src, link.peer.region);
}
