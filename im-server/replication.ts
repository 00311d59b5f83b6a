// The home's side of replication: one sender loop per peer, at most one request in flight, each
// request batching every conversation that has something new for that peer. A follower answers
// how far its log now matches ours; a gap or a divergent tail is repaired by sending from there.
// Requests carry the sender's remaining lease so followers know how long it may be trusted,
// and go out at least every keepalive interval even when idle.

import type { Agent } from 'node:http';
import { describeIssues } from '../contracts/errors.ts';

import type { PeerInfo } from './control-plane.ts';
import { requestJson } from './http.ts';
import {
  type EpochStarts,
  type ReplicateItem,
  type ReplicateItemResult,
  type ReplicateRequest,
  ReplicateResponse,
  type WireEntry,
} from './internal-protocol.ts';
import { errorMessage, type Logger } from './log.ts';
import type { NodeMetrics } from './metrics.ts';
import { PEER_HEADER } from './token.ts';

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
  /**
   * Whether a follower in `region` waits for our commit point before delivering. Others commit
   * on their own when they persist, so commit-only updates to them can wait for the next batch.
   */
  commitMatters(src: ShipSource, region: string): boolean;
  authorityMs(): number;
  onProgress(conv: string): void;
  onFenced(conv: string, epoch: number): void;
}

export interface Shipper {
  /** New entries or a new commit point: every peer has something to receive. */
  notify(conv: string): void;
  /** This node became home: forget what peers were known to hold. */
  reset(conv: string): void;
  drop(conv: string): void;
  /** How far a peer's log is known to match ours (undefined: not known yet). */
  matched(peerId: string, conv: string): number | undefined;
  lag(): Map<string, number>;
  /** Regions with at least one peer that answered within `windowMs` (or was never tried yet). */
  reachableRegions(windowMs: number): string[];
  stop(): void;
}

interface PeerConv {
  matched: number | null;
  commitSent: number;
  needsMeta: boolean;
}

interface Link {
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

const MAX_BODY_CHARS = 4 * 1024 * 1024;

export function createShipper(opts: ShipperOptions): Shipper {
  const links = new Map<string, Link>();
  const maxEntries = opts.maxEntries ?? 2000;
  const log = opts.logger;
  let stopped = false;

  const linkFor = (peer: PeerInfo): Link => {
    let link = links.get(peer.id);
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
      links.set(peer.id, link);
    } else if (link.peer.url !== peer.url) {
      link.peer = peer;
    }
    return link;
  };
  const allLinks = (): Link[] => opts.peers().map(linkFor);

  const isTransient = (src: ShipSource, region: string): boolean =>
    src.residency !== null && !src.residency.includes(region);

  const kick = (link: Link): void => {
    if (stopped || link.inFlight || link.scheduled || link.retryTimer !== null) return;
    link.scheduled = true;
    setImmediate(() => {
      link.scheduled = false;
      void flush(link, false);
    });
  };

  const needsWork = (link: Link, conv: string): boolean => {
    const src = opts.source(conv);
    if (src === undefined) return false;
    const pc = link.convs.get(conv);
    if (pc === undefined || pc.matched === null || pc.needsMeta) return true;
    const transient = isTransient(src, link.peer.region);
    const upTo = transient ? src.commit : src.lastSeq;
    if (pc.matched < upTo) return true;
    return !transient && pc.commitSent < src.commit && opts.commitMatters(src, link.peer.region);
  };

  const flush = async (link: Link, keepalive: boolean): Promise<void> => {
    if (stopped || link.inFlight) return;
    const items: ReplicateItem[] = [];
    let budget = maxEntries;
    let chars = 0;
    for (const conv of [...link.dirty]) {
      const src = opts.source(conv);
      if (src === undefined) {
        link.dirty.delete(conv);
        link.convs.delete(conv);
        continue;
      }
      if (!needsWork(link, conv)) {
        link.dirty.delete(conv);
        continue;
      }
      let pc = link.convs.get(conv);
      if (pc === undefined) {
        pc = { matched: null, commitSent: 0, needsMeta: false };
        link.convs.set(conv, pc);
      }
      const transient = isTransient(src, link.peer.region);
      const upTo = transient ? src.commit : src.lastSeq;
      // Unknown position: send no entries and let the follower say how much of our log it holds.
      // A transient peer (outside the residency) starts at the current commit: it gets pushes, not history.
      const start = pc.matched ?? (transient ? src.commit : src.lastSeq);
      let entries: WireEntry[] = [];
      if (start < upTo && budget > 0 && chars < MAX_BODY_CHARS) {
        entries = opts.readEntries(conv, start, Math.min(upTo, start + budget));
        budget -= entries.length;
        for (const e of entries) chars += e.body.length + 100;
      }
      items.push({
        conv,
        epoch: src.epoch,
        lastSeq: upTo,
        commit: src.commit,
        epochStarts: src.epochStarts,
        entries,
        transient,
        ...(pc.needsMeta ? { meta: { members: src.members, residency: src.residency } } : {}),
      });
      if (items.length >= 5000) break;
    }
    if (items.length === 0 && !keepalive) return;
    link.inFlight = true;
    link.rid += 1;
    link.lastSentAt = performance.now();
    const request: ReplicateRequest = {
      from: opts.myId,
      incarnation: opts.incarnation,
      rid: link.rid,
      authorityMs: Math.max(0, Math.floor(opts.authorityMs())),
      items,
    };
    let results: ReplicateItemResult[] | null = null;
    try {
      const res = await requestJson(`${link.peer.url}/internal/replicate`, {
        body: request,
        timeoutMs: opts.timeoutMs,
        headers: { [PEER_HEADER]: opts.peerKey },
        agent: opts.agent,
      });
      if (res.status !== 200) throw new Error(`peer answered ${res.status}`);
      const parsed = ReplicateResponse.safeParse(res.body);
      if (!parsed.success) throw new Error(`bad replicate answer: ${describeIssues(parsed.error)}`);
      const incarnation = parsed.data.incarnation;
      if (link.peerIncarnation !== null && link.peerIncarnation !== incarnation) {
        // The peer restarted; what it held may differ from what it confirmed before.
        for (const [conv, pc] of link.convs) {
          pc.matched = null;
          link.dirty.add(conv);
        }
      }
      link.peerIncarnation = incarnation;
      results = parsed.data.results;
      opts.metrics.replicationRequests.inc({ peer: link.peer.id, result: 'ok' });
      if (link.failures > 0) log.info('peer reachable again', { peer: link.peer.id, after: link.failures });
      link.failures = 0;
      link.lastOkAt = performance.now();
    } catch (error) {
      link.failures += 1;
      opts.metrics.replicationRequests.inc({ peer: link.peer.id, result: 'failed' });
      if (link.failures === 1 || link.failures % 20 === 0) {
        log.warn('replication to peer failed', {
          peer: link.peer.id,
          error: errorMessage(error),
          failures: link.failures,
        });
      }
    }
    link.inFlight = false;
    if (stopped) return;
    if (results !== null) {
      const sent = new Map(items.map((item) => [item.conv, item]));
      for (const r of results) {
        const item = sent.get(r.conv);
        const pc = link.convs.get(r.conv);
        if (item === undefined || pc === undefined) continue;
        const src = opts.source(r.conv);
        switch (r.status) {
          case 'ok':
            pc.matched = Math.min(r.matched, item.lastSeq);
            pc.commitSent = item.commit;
            pc.needsMeta = false;
            break;
          case 'gap':
            pc.matched = Math.min(r.matched, item.lastSeq);
            break;
          case 'unknown':
            pc.needsMeta = true;
            break;
          case 'fenced':
            link.dirty.delete(r.conv);
            link.convs.delete(r.conv);
            opts.onFenced(r.conv, r.epoch ?? item.epoch + 1);
            continue;
          case 'error':
            break;
        }
        if (src !== undefined) opts.onProgress(r.conv);
        if (needsWork(link, r.conv)) link.dirty.add(r.conv);
        else link.dirty.delete(r.conv);
      }
      if (link.dirty.size > 0) kick(link);
    } else {
      const delay = Math.min(2000, 50 * 2 ** Math.min(link.failures, 6));
      link.retryTimer = setTimeout(() => {
        link.retryTimer = null;
        void flush(link, true);
      }, delay);
    }
  };

  const keepalive = setInterval(
    () => {
      const now = performance.now();
      for (const link of allLinks()) {
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
      for (const link of allLinks()) {
        link.dirty.add(conv);
        kick(link);
      }
    },
    reset(conv) {
      for (const link of allLinks()) {
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
    lag() {
      const out = new Map<string, number>();
      for (const link of links.values()) {
        let lag = 0;
        for (const [conv, pc] of link.convs) {
          const src = opts.source(conv);
          if (src !== undefined && !isTransient(src, link.peer.region))
            lag += src.lastSeq - (pc.matched ?? 0);
        }
        out.set(link.peer.id, lag);
      }
      return out;
    },
    reachableRegions(windowMs) {
      const now = performance.now();
      const regions = new Set<string>();
      for (const link of allLinks()) {
        if (link.failures === 0 || now - link.lastOkAt < windowMs) regions.add(link.peer.region);
      }
      return [...regions].sort();
    },
    stop() {
      stopped = true;
      clearInterval(keepalive);
      for (const link of links.values()) if (link.retryTimer !== null) clearTimeout(link.retryTimer);
    },
  };
}
