// The per-conversation engine of a node: sequencing at the home (group commit, deduplication,
// acks at the configured level), forwarding elsewhere, applying a home's log as a follower (log
// matching, truncation of divergent tails, fencing by epoch), delivering committed messages and
// answering syncs. It owns no sockets: sessions.ts turns frames into calls here and node-http.ts
// exposes the peer and admin endpoints. docs/CONSISTENCY.md explains the rules enforced here.

import { createHash } from 'node:crypto';
import type { Agent } from 'node:http';
import { describeIssues } from '../contracts/errors.ts';
import type {
  AckLevel,
  BugName,
  ConversationDigest,
  ConversationLogEntry,
  ErrorCode,
} from '../contracts/wire.ts';
import { sleep } from '../lib/async.ts';
import type { Clock } from './clock.ts';
import type { ControlPlane, PeerInfo } from './control-plane.ts';
import type { Forwarder } from './forwarding.ts';
import { requestJson } from './http.ts';
import {
  type ConvRecord,
  type EpochStarts,
  type ForwardItem,
  type ForwardResult,
  InternalSyncResponse,
  type ReplicateItem,
  type ReplicateItemResult,
  type ReplicateRequest,
  type WireEntry,
} from './internal-protocol.ts';
import { errorMessage, type Logger } from './log.ts';
import { agreementPoint, epochAt, noteAppend, truncateStarts } from './log-matching.ts';
import type { NodeMetrics } from './metrics.ts';
import type { Shipper, ShipSource } from './replication.ts';
import type { Storage } from './storage.ts';
import { PEER_HEADER } from './token.ts';

export interface EngineConfig {
  region: string;
  node: string;
  incarnation: string;
  ack: AckLevel;
  replicas: number;
  bugs: ReadonlySet<BugName>;
  peerKey: string;
  timings: EngineTimings;
}

/** All derived from the lease (see docs/PROTOCOL.md, Timing defaults). */
export interface EngineTimings {
  peerTimeoutMs: number;
  forwardHoldMs: number;
  syncWaitMs: number;
}

export interface EngineDeps {
  config: EngineConfig;
  storage: Storage;
  clock: Clock;
  metrics: NodeMetrics;
  logger: Logger;
  agent: Agent;
  /** Sends a text frame to every local session of these users; returns how many got it. */
  pushToMembers(members: ReadonlySet<string>, text: string): number;
}

/** Parts created after the engine because they call back into it. */
export interface EngineWiring {
  controlPlane: ControlPlane;
  shipper: Shipper;
  forwarder: Forwarder;
}

export type SendOutcome =
  | { kind: 'ack'; seq: number; epoch: number; level: AckLevel; serverTime: number }
  | { kind: 'error'; code: ErrorCode; message: string }
  | { kind: 'not_home'; home: string | null; epoch: number }
  | { kind: 'pending' };

export type SyncOutcome = InternalSyncResponse;

export interface ConversationView {
  details: Record<string, unknown>;
  digest(): ConversationDigest;
  log(): ConversationLogEntry[];
}

export interface Engine {
  attach(wiring: EngineWiring): void;
  /** A control-plane record arrived (created, moved, election opened). */
  onRecord(rec: ConvRecord): void;
  knownRecord(conv: string): ConvRecord | undefined;
  /** What this node holds of a conversation, for an election. */
  report(conv: string): { lastSeq: number; logEpoch: number };
  /** A client's send, taken to an ack or a definite answer wherever the home is. */
  clientSend(item: ForwardItem, deadline: number): Promise<SendOutcome>;
  /** A client's sync: the answer to send (messages, then synced/behind/reset), or an error. */
  clientSync(user: string, conv: string, afterSeq: number): Promise<SyncOutcome>;
  /** A batch forwarded by another node. */
  forwarded(items: ForwardItem[]): Promise<ForwardResult[]>;
  replicate(request: ReplicateRequest): { incarnation: string; results: ReplicateItemResult[] };
  internalSync(conv: string, afterSeq: number, user: string): Promise<SyncOutcome>;
  /** For the admin API: the conversation as this node holds it. */
  conversation(id: string): Promise<ConversationView | 'not_found' | 'unavailable'>;
  shipSource(conv: string): ShipSource | undefined;
  commitMatters(src: ShipSource, region: string): boolean;
  onProgress(conv: string): void;
  onFenced(conv: string, epoch: number): void;
  stats(): { conversations: number; homed: number; maxEpoch: number };
  /** Loads the database; in static mode also takes up the homes it holds. */
  load(staticHomes: boolean): void;
  /** Periodic upkeep: ack deadlines, commit points to disk. */
  tick(): void;
  /** Writes what is pending; no further work is started. */
  close(): void;
}

interface Waiter {
  seq: number;
  deadline: number;
  resolve(outcome: 'replicated' | 'lost' | 'timeout'): void;
}

interface Conv {
  rec: ConvRecord;
  members: Set<string>;
  lastSeq: number;
  /** Epoch of the newest home whose log ours is known to be a prefix of (election rank). */
  logEpoch: number;
  epochStarts: EpochStarts;
  /** Home: what is committed. Follower: the home's commit point as last heard. */
  commitSeq: number;
  deliveredSeq: number;
  /** Entries above deliveredSeq not yet pushed to sessions, in seq order. */
  undelivered: WireEntry[];
  /** The epoch this process is sequencing under, or null when it is not the home. */
  homeEpoch: number | null;
  /** Follower: the home's last seq as it last told us. */
  homeLast: number;
  /** Outside the residency set: highest seq pushed to sessions. */
  transientDelivered: number;
  waiters: Waiter[];
  refreshAt: number;
}

const regionOf = (nodeId: string): string => nodeId.slice(0, nodeId.indexOf('/'));

export function createEngine(deps: EngineDeps): Engine {
  const cfg = deps.config;
  const myId = `${cfg.region}/${cfg.node}`;
  const incarnation = cfg.incarnation;
  const { storage, clock, metrics, agent } = deps;
  const log = deps.logger;
  const bugs = cfg.bugs;
  const key = cfg.peerKey;
  const mono = (): number => clock.monoNow();
  const { peerTimeoutMs, forwardHoldMs, syncWaitMs } = cfg.timings;
  const convs = new Map<string, Conv>();
  const authorities = new Map<string, { incarnation: string; rid: number; until: number }>();
  const notFound = new Map<string, number>();
  const waitingConvs = new Set<Conv>();
  const commitDirty = new Set<Conv>();
  let closing = false;
  // Set by attach() before the node starts; every use below happens after that.
  let cp!: ControlPlane;
  let shipper!: Shipper;
  let forwarder!: Forwarder;

  // ---- conversation state ----

  const newConv = (rec: ConvRecord): Conv => ({
    rec: { ...rec },
    members: new Set(rec.members),
    lastSeq: 0,
    logEpoch: 0,
    epochStarts: [],
    commitSeq: 0,
    deliveredSeq: 0,
    undelivered: [],
    homeEpoch: null,
    homeLast: 0,
    transientDelivered: 0,
    waiters: [],
    refreshAt: 0,
  });

  const isResident = (c: Conv): boolean => c.rec.residency === null || c.rec.residency.includes(cfg.region);
  const allowedRegions = (c: Conv): string[] => c.rec.residency ?? cp.regions();
  const effectiveReplicas = (c: Conv, homeRegion: string): number =>
    Math.min(cfg.replicas, allowedRegions(c).filter((r) => r !== homeRegion).length);
  const leaseOk = (): boolean => bugs.has('no-fencing') || cp.leaseValid();
  const sequencingNow = (c: Conv): boolean => c.homeEpoch !== null && c.rec.home === myId && leaseOk();

  /** Highest seq held by the home and at least W other regions. */
  const replicatedSeq = (c: Conv): number => {
    const w = effectiveReplicas(c, cfg.region);
    if (w === 0) return c.lastSeq;
    const allowed = new Set(allowedRegions(c));
    const perRegion = new Map<string, number>();
    for (const peer of cp.peers()) {
      if (peer.region === cfg.region || !allowed.has(peer.region)) continue;
      const m = Math.min(shipper.matched(peer.id, c.rec.id) ?? 0, c.lastSeq);
      perRegion.set(peer.region, Math.max(perRegion.get(peer.region) ?? 0, m));
    }
    const values = [...perRegion.values()].sort((a, b) => b - a);
    return values[w - 1] ?? 0;
  };

  /** What may be pushed to clients and served by sync: committed entries only. */
  const deliverable = (c: Conv): number => {
    if (c.homeEpoch !== null) return c.commitSeq;
    const home = c.rec.home;
    let own = 0;
    if (home !== null) {
      const w = effectiveReplicas(c, regionOf(home));
      // Our own copy may be what makes it committed: W<=1 and we are in another region.
      if (cfg.ack === 'stored' || w === 0 || (w === 1 && regionOf(home) !== cfg.region)) own = c.lastSeq;
    }
    return Math.min(c.lastSeq, Math.max(c.commitSeq, own));
  };

  const followerCurrent = (c: Conv): boolean => {
    const home = c.rec.home;
    if (home === null || home === myId) return false;
    const authority = authorities.get(home);
    if (authority === undefined || mono() > authority.until) return false;
    return c.lastSeq >= c.homeLast;
  };

  // ---- delivery to local sessions ----

  const msgFrame = (conv: string, e: WireEntry): string =>
    JSON.stringify({
      type: 'msg',
      conv,
      epoch: e.epoch,
      seq: e.seq,
      from: e.from,
      cmid: e.cmid,
      body: e.body,
      serverTime: e.serverTime,
    });

  const push = (c: Conv, e: WireEntry): void => {
    const sent = deps.pushToMembers(c.members, msgFrame(c.rec.id, e));
    if (sent > 0) metrics.delivered.inc({ via: 'push' }, sent);
  };

  const deliver = (c: Conv): void => {
    if (!isResident(c)) return;
    const upTo = deliverable(c);
    while (c.deliveredSeq < upTo) {
      const next = c.undelivered[0];
      if (next !== undefined && next.seq <= c.deliveredSeq) {
        c.undelivered.shift();
        continue;
      }
      if (next !== undefined && next.seq === c.deliveredSeq + 1) {
        c.undelivered.shift();
        push(c, next);
        c.deliveredSeq = next.seq;
        continue;
      }
      const rows = storage.range(c.rec.id, c.deliveredSeq, Math.min(upTo, c.deliveredSeq + 1000));
      if (rows.length === 0) break;
      for (const row of rows) push(c, row);
      c.deliveredSeq = rows[rows.length - 1]!.seq;
    }
    if (c.undelivered.length > 0 && c.undelivered[0]!.seq <= c.deliveredSeq) {
      c.undelivered = c.undelivered.filter((e) => e.seq > c.deliveredSeq);
    }
  };

  // ---- home side ----

  const settleWaiters = (c: Conv): void => {
    if (c.waiters.length === 0) {
      waitingConvs.delete(c);
      return;
    }
    if (c.homeEpoch === null || c.rec.home !== myId) {
      for (const w of c.waiters.splice(0)) w.resolve('lost');
      waitingConvs.delete(c);
      return;
    }
    // An ack promises the message survives a failover; only a node still holding its lease
    // can promise that (the directory's next home is chosen after the lease has lapsed).
    const replicated = leaseOk() ? replicatedSeq(c) : 0;
    const now = mono();
    const keep: Waiter[] = [];
    for (const w of c.waiters) {
      if (w.seq <= replicated) w.resolve('replicated');
      else if (now >= w.deadline) w.resolve('timeout');
      else keep.push(w);
    }
    c.waiters = keep;
    if (keep.length === 0) waitingConvs.delete(c);
  };

  const advance = (c: Conv): void => {
    if (c.homeEpoch !== null) {
      const commit = cfg.ack === 'stored' ? c.lastSeq : replicatedSeq(c);
      if (commit > c.commitSeq) {
        c.commitSeq = commit;
        commitDirty.add(c);
        shipper.notify(c.rec.id);
      }
      settleWaiters(c);
    }
    deliver(c);
  };

  const becomeHome = (c: Conv): void => {
    c.homeEpoch = c.rec.epoch;
    c.logEpoch = c.rec.epoch;
    storage.setLogEpoch(c.rec.id, c.logEpoch);
    c.homeLast = c.lastSeq;
    metrics.epochChanges.inc();
    log.info('now home', { conv: c.rec.id, epoch: c.rec.epoch, lastSeq: c.lastSeq });
    shipper.reset(c.rec.id);
    advance(c);
  };

  const loseHome = (c: Conv): void => {
    if (c.homeEpoch === null) return;
    log.info('no longer home', {
      conv: c.rec.id,
      epoch: c.homeEpoch,
      newHome: c.rec.home,
      newEpoch: c.rec.epoch,
    });
    c.homeEpoch = null;
    shipper.drop(c.rec.id);
    settleWaiters(c);
  };

  const onRecord = (rec: ConvRecord): void => {
    flushAppends();
    let c = convs.get(rec.id);
    if (c === undefined) {
      c = newConv(rec);
      convs.set(rec.id, c);
      notFound.delete(rec.id);
    } else {
      c.members = new Set(rec.members);
      c.rec.members = rec.members;
      c.rec.residency = rec.residency;
      // An older epoch than we know (we may have heard of the new home from the home itself),
      // or an older version of the record than we already applied.
      if (rec.epoch < c.rec.epoch || rec.version < c.rec.version) {
        storage.upsertConversation(c.rec);
        return;
      }
      c.rec = { ...rec };
    }
    storage.upsertConversation(c.rec);
    if (c.rec.home === myId && c.homeEpoch !== c.rec.epoch) becomeHome(c);
    else if (c.rec.home !== myId && c.homeEpoch !== null) loseHome(c);
  };

  // Group commit: everything sequenced in one turn of the event loop is written in one
  // transaction, then announced. Nothing is acked, pushed or shipped before its commit, and a
  // crash before the commit loses only messages nobody was told about.
  interface PendingAppend {
    c: Conv;
    entry: WireEntry;
  }
  let pendingAppends: PendingAppend[] = [];
  const pendingKeys = new Map<string, WireEntry>();
  const pendingLast = new Map<Conv, number>();
  let appendsCommitted: Promise<void> | null = null;
  let resolveAppends: (() => void) | null = null;
  const cmidKey = (conv: string, from: string, cmid: string): string => `${conv}\u0000${from}\u0000${cmid}`;

  const flushAppends = (): void => {
    if (pendingAppends.length === 0) return;
    const batch = pendingAppends;
    const done = resolveAppends;
    pendingAppends = [];
    pendingKeys.clear();
    pendingLast.clear();
    appendsCommitted = null;
    resolveAppends = null;
    storage.appendMany(batch.map((p) => ({ conv: p.c.rec.id, entry: p.entry })));
    const touched = new Set<Conv>();
    for (const { c, entry } of batch) {
      c.lastSeq = entry.seq;
      c.homeLast = Math.max(c.homeLast, entry.seq);
      noteAppend(c.epochStarts, entry.epoch, entry.seq);
      c.undelivered.push(entry);
      touched.add(c);
    }
    metrics.sequenced.inc(batch.length);
    for (const c of touched) {
      shipper.notify(c.rec.id);
      advance(c);
    }
    done?.();
  };

  const sequenceLocal = async (
    c: Conv,
    item: ForwardItem,
  ): Promise<{ seq: number; epoch: number; serverTime: number }> => {
    const key = cmidKey(c.rec.id, item.from, item.cmid);
    if (!bugs.has('no-dedup')) {
      const pending = pendingKeys.get(key);
      if (pending !== undefined) {
        await appendsCommitted;
        return { seq: pending.seq, epoch: pending.epoch, serverTime: pending.serverTime };
      }
      const found = storage.findByCmid(c.rec.id, item.from, item.cmid);
      if (found !== undefined) return found;
    }
    const last = pendingLast.get(c) ?? c.lastSeq;
    const entry: WireEntry = {
      seq: last + 1,
      epoch: c.rec.epoch,
      from: item.from,
      cmid: item.cmid,
      body: item.body,
      serverTime: clock.wallNow(),
    };
    pendingAppends.push({ c, entry });
    pendingKeys.set(key, entry);
    pendingLast.set(c, entry.seq);
    if (appendsCommitted === null) {
      appendsCommitted = new Promise<void>((resolve) => {
        resolveAppends = resolve;
      });
      setImmediate(flushAppends);
    }
    await appendsCommitted;
    return { seq: entry.seq, epoch: entry.epoch, serverTime: entry.serverTime };
  };

  const awaitLevel = (c: Conv, seq: number, deadline: number): Promise<AckLevel | 'lost' | 'timeout'> => {
    if (cfg.ack === 'stored') return Promise.resolve('stored');
    if (bugs.has('ack-early')) return Promise.resolve('replicated');
    if (leaseOk() && replicatedSeq(c) >= seq) return Promise.resolve('replicated');
    return new Promise((resolve) => {
      c.waiters.push({ seq, deadline, resolve });
      waitingConvs.add(c);
    });
  };

  const refresh = async (c: Conv, force = false): Promise<void> => {
    if (cp.mode !== 'directory') return;
    const now = mono();
    if (!force && now < c.refreshAt) return;
    c.refreshAt = now + 250;
    try {
      const rec = await cp.fetch(c.rec.id);
      if (rec !== null) onRecord(rec);
    } catch {
      // The directory is unreachable; the heartbeat loop will bring news when it is back.
    }
  };

  const resolveConv = async (id: string): Promise<Conv | 'not_found' | 'unavailable'> => {
    const known = convs.get(id);
    if (known !== undefined) return known;
    if ((notFound.get(id) ?? 0) > mono() || cp.mode === 'static') return 'not_found';
    let rec: ConvRecord | null;
    try {
      rec = await cp.fetch(id);
    } catch {
      return 'unavailable';
    }
    if (rec === null) {
      if (notFound.size > 10_000) notFound.clear();
      notFound.set(id, mono() + 250);
      return 'not_found';
    }
    onRecord(rec);
    return convs.get(id) ?? 'not_found';
  };

  const peerById = (id: string): PeerInfo | undefined => cp.peers().find((p) => p.id === id);

  /**
   * A forward's answer, or 'moved' as soon as the conversation gets another home or epoch while
   * waiting. A home that froze answers only after the request timeout; by then the directory has
   * often named a successor, which deduplicates the send if the frozen one had replicated it.
   */
  const unlessMoved = (c: Conv, work: Promise<ForwardResult>): Promise<ForwardResult | 'moved'> => {
    const home = c.rec.home;
    const epoch = c.rec.epoch;
    return new Promise((resolve, reject) => {
      const watch = setInterval(() => {
        if (c.rec.home !== home || c.rec.epoch !== epoch) {
          clearInterval(watch);
          resolve('moved');
        }
      }, 50);
      work.then(
        (r) => {
          clearInterval(watch);
          resolve(r);
        },
        (error: unknown) => {
          clearInterval(watch);
          reject(error);
        },
      );
    });
  };

  /** Takes one send to an ack or a definite answer, wherever the home is. */
  const submitSend = async (
    item: ForwardItem,
    origin: 'client' | 'peer',
    deadline: number,
  ): Promise<SendOutcome> => {
    const resolved = await resolveConv(item.conv);
    if (resolved === 'not_found')
      return { kind: 'error', code: 'not_found', message: `conv: ${item.conv} does not exist` };
    if (resolved === 'unavailable') {
      return { kind: 'error', code: 'unavailable', message: 'the directory is unreachable; resend later' };
    }
    const c = resolved;
    if (!c.members.has(item.from)) {
      return { kind: 'error', code: 'forbidden', message: `${item.from} is not a member of ${item.conv}` };
    }
    let failures = 0;
    while (!closing) {
      if (mono() >= deadline) break;
      if (c.rec.home === myId) {
        if (sequencingNow(c)) {
          const stored = await sequenceLocal(c, item);
          const level = await awaitLevel(c, stored.seq, deadline);
          if (level === 'stored' || level === 'replicated') {
            return {
              kind: 'ack',
              seq: stored.seq,
              epoch: stored.epoch,
              level,
              serverTime: stored.serverTime,
            };
          }
          if (level === 'timeout') break;
          continue; // lost the home role: route again (the next home deduplicates)
        }
        await sleep(20); // waiting for the lease to be renewed or the conversation to move
        continue;
      }
      if (origin === 'peer') return { kind: 'not_home', home: c.rec.home, epoch: c.rec.epoch };
      const target = c.rec.home === null ? undefined : peerById(c.rec.home);
      if (target === undefined) {
        await refresh(c);
        await sleep(50);
        continue;
      }
      let result: ForwardResult | 'moved';
      try {
        result = await unlessMoved(c, forwarder.forward(target, item, deadline));
      } catch {
        metrics.forwards.inc({ result: 'failed' });
        failures += 1;
        await refresh(c, true);
        await sleep(Math.min(1000, 50 * 2 ** Math.min(failures, 5)));
        continue;
      }
      if (result === 'moved') {
        metrics.forwards.inc({ result: 'moved' });
        continue;
      }
      metrics.forwards.inc({ result: result.status });
      if (result.status === 'ack') return { kind: 'ack', ...result };
      if (result.status === 'error') return { kind: 'error', code: result.code, message: result.message };
      if (result.status === 'not_home') {
        const before = `${c.rec.home}@${c.rec.epoch}`;
        await refresh(c, true);
        if (`${c.rec.home}@${c.rec.epoch}` === before) await sleep(50);
      }
    }
    if (origin === 'peer') return { kind: 'pending' };
    return {
      kind: 'error',
      code: 'unavailable',
      message: 'the conversation’s home could not take the message in time; resend with the same cmid',
    };
  };

  // ---- follower side ----

  const applyItem = (from: string, item: ReplicateItem): ReplicateItemResult => {
    flushAppends();
    let c = convs.get(item.conv);
    if (c === undefined) {
      if (item.meta === undefined) return { conv: item.conv, status: 'unknown', matched: 0 };
      c = newConv({
        id: item.conv,
        members: item.meta.members,
        residency: item.meta.residency,
        home: from,
        epoch: item.epoch,
        version: 0,
      });
      convs.set(item.conv, c);
      storage.upsertConversation(c.rec);
    }
    if (!bugs.has('no-fencing')) {
      if (item.epoch < c.rec.epoch)
        return { conv: item.conv, status: 'fenced', matched: 0, epoch: c.rec.epoch };
      if (item.epoch === c.rec.epoch && c.rec.home !== null && c.rec.home !== from) {
        return { conv: item.conv, status: 'fenced', matched: 0, epoch: c.rec.epoch };
      }
    }
    if (item.epoch > c.rec.epoch) {
      // The sender is a newer home than the directory has told us about yet.
      c.rec = { ...c.rec, home: from, epoch: item.epoch };
      storage.upsertConversation(c.rec);
      if (c.homeEpoch !== null) loseHome(c);
    }
    const fromHome = c.rec.home === from;
    if (fromHome) c.homeLast = item.lastSeq;

    if (item.transient || !isResident(c)) {
      for (const e of item.entries) {
        if (e.seq > c.transientDelivered && e.seq <= item.commit) {
          push(c, e);
          c.transientDelivered = e.seq;
        }
      }
      if (item.entries.length === 0) c.transientDelivered = Math.max(c.transientDelivered, item.lastSeq);
      return { conv: item.conv, status: 'ok', matched: item.lastSeq };
    }

    const a = agreementPoint(item.epochStarts, item.lastSeq, c.epochStarts, c.lastSeq);
    let truncateAbove: number | null = null;
    if (c.lastSeq > a) {
      const ours = epochAt(c.epochStarts, c.lastSeq, a + 1) ?? 0;
      if (a >= item.lastSeq && ours >= item.epoch) {
        // A late, older description of the same home's log: we already hold more of it.
        return { conv: item.conv, status: 'ok', matched: item.lastSeq };
      }
      truncateAbove = a;
    }
    const base = truncateAbove ?? c.lastSeq;
    let toApply = item.entries.filter((e) => e.seq > base);
    let gap = false;
    if (bugs.has('reorder-apply')) {
      // Bug: apply the batch back to front and accept it across gaps.
      toApply = [...toApply].reverse();
    } else {
      if (toApply.length > 0 && toApply[0]!.seq !== base + 1) {
        gap = true;
        toApply = [];
      }
      const contiguous: WireEntry[] = [];
      for (const e of toApply) {
        if (e.seq !== base + contiguous.length + 1) break;
        contiguous.push(e);
      }
      toApply = contiguous;
    }
    if (truncateAbove !== null) {
      log.warn('truncating a divergent log tail', {
        conv: item.conv,
        above: truncateAbove,
        lastSeq: c.lastSeq,
        home: from,
        epoch: item.epoch,
      });
    }
    storage.applyBatch(item.conv, truncateAbove, toApply, item.epoch);
    if (truncateAbove !== null) {
      c.lastSeq = truncateAbove;
      c.epochStarts = truncateStarts(c.epochStarts, truncateAbove);
      c.undelivered = c.undelivered.filter((e) => e.seq <= truncateAbove);
      c.deliveredSeq = Math.min(c.deliveredSeq, truncateAbove);
      c.commitSeq = Math.min(c.commitSeq, truncateAbove);
    }
    if (bugs.has('reorder-apply')) {
      for (const e of toApply) {
        c.lastSeq = Math.max(c.lastSeq, e.seq);
        push(c, e);
        c.deliveredSeq = Math.max(c.deliveredSeq, e.seq);
      }
      const sorted = [...toApply].sort((x, y) => x.seq - y.seq);
      for (const e of sorted) noteAppend(c.epochStarts, e.epoch, e.seq);
    } else {
      for (const e of toApply) {
        noteAppend(c.epochStarts, e.epoch, e.seq);
        c.lastSeq = e.seq;
        c.undelivered.push(e);
      }
    }
    c.logEpoch = item.epoch;
    if (toApply.length > 0) metrics.applied.inc(toApply.length);
    if (fromHome) c.commitSeq = Math.max(c.commitSeq, Math.min(item.commit, c.lastSeq));
    deliver(c);
    if (gap) return { conv: item.conv, status: 'gap', matched: c.lastSeq };
    return { conv: item.conv, status: 'ok', matched: Math.min(c.lastSeq, item.lastSeq) };
  };

  const onFenced = (convId: string, epoch: number): void => {
    const c = convs.get(convId);
    if (c === undefined || epoch <= c.rec.epoch) return;
    log.warn('fenced by a newer epoch', { conv: convId, ourEpoch: c.rec.epoch, epoch });
    c.rec = { ...c.rec, home: null, epoch };
    loseHome(c);
    void refresh(c, true);
  };

  // ---- sync ----

  const localSync = async (c: Conv, afterSeq: number): Promise<SyncOutcome> => {
    const deadline = mono() + syncWaitMs;
    while (true) {
      const now = mono();
      if (sequencingNow(c)) {
        const upTo = c.commitSeq;
        if (afterSeq > c.lastSeq) {
          return {
            status: 'reset',
            seq: upTo,
            messages: [],
            reason: `the log ends at seq ${c.lastSeq}; seq ${afterSeq} is not part of it`,
          };
        }
        if (afterSeq > upTo && now < deadline) {
          await sleep(20);
          continue;
        }
        return {
          status: 'synced',
          seq: upTo,
          messages: afterSeq < upTo ? storage.range(c.rec.id, afterSeq, upTo) : [],
        };
      }
      const upTo = deliverable(c);
      const current = followerCurrent(c);
      if (current && afterSeq <= upTo) {
        return {
          status: 'synced',
          seq: upTo,
          messages: afterSeq < upTo ? storage.range(c.rec.id, afterSeq, upTo) : [],
        };
      }
      if (now < deadline && !closing) {
        await sleep(20);
        continue;
      }
      return {
        status: 'behind',
        seq: upTo,
        messages: afterSeq < upTo ? storage.range(c.rec.id, afterSeq, upTo) : [],
        reason: current
          ? `this node holds up to seq ${upTo}`
          : 'this node is not in contact with the conversation’s home',
      };
    }
  };

  const remoteSync = async (c: Conv, afterSeq: number, user: string): Promise<SyncOutcome> => {
    const deadline = mono() + syncWaitMs;
    while (c.rec.home === null && mono() < deadline) {
      await refresh(c);
      await sleep(50);
    }
    const target = c.rec.home === null ? undefined : peerById(c.rec.home);
    if (target === undefined) {
      return { status: 'error', code: 'unavailable', seq: 0, messages: [], reason: 'no home to read from' };
    }
    try {
      const res = await requestJsonPeer(`${target.url}/internal/sync`, { conv: c.rec.id, afterSeq, user });
      const parsed = InternalSyncResponse.safeParse(res);
      if (!parsed.success) throw new Error(describeIssues(parsed.error));
      if (parsed.data.status === 'not_home') {
        void refresh(c, true);
        return {
          status: 'error',
          code: 'unavailable',
          seq: 0,
          messages: [],
          reason: 'the home moved; sync again',
        };
      }
      return parsed.data;
    } catch (error) {
      return {
        status: 'error',
        code: 'unavailable',
        seq: 0,
        messages: [],
        reason: `home unreachable: ${errorMessage(error)}`,
      };
    }
  };

  const requestJsonPeer = async (url: string, body: unknown): Promise<unknown> => {
    const res = await requestJson(url, {
      body,
      timeoutMs: peerTimeoutMs,
      headers: { [PEER_HEADER]: key },
      agent,
    });
    if (res.status !== 200) throw new Error(`status ${res.status}`);
    return res.body;
  };

  // ---- admin views ----

  const convDetails = (c: Conv): Record<string, unknown> => ({
    ...c.rec,
    resident: isResident(c),
    isHome: sequencingNow(c),
    lastSeq: c.lastSeq,
    commitSeq: c.commitSeq,
    logEpoch: c.logEpoch,
  });

  const digestOf = (c: Conv): ConversationDigest => {
    const rows = isResident(c) ? storage.logRows(c.rec.id) : [];
    const hash = createHash('sha256');
    for (const row of rows) hash.update(`${row.cmid}\n`);
    const last = rows[rows.length - 1];
    return {
      conv: c.rec.id,
      region: cfg.region,
      node: cfg.node,
      count: rows.length,
      lastSeq: last?.seq ?? 0,
      epoch: last?.epoch ?? 0,
      hash: hash.digest('hex'),
    };
  };

  const logOf = (c: Conv): ConversationLogEntry[] => (isResident(c) ? storage.logRows(c.rec.id) : []);

  return {
    attach(wiring) {
      cp = wiring.controlPlane;
      shipper = wiring.shipper;
      forwarder = wiring.forwarder;
    },
    onRecord,
    knownRecord: (conv) => convs.get(conv)?.rec,
    report(conv) {
      const c = convs.get(conv);
      return c === undefined || !isResident(c)
        ? { lastSeq: 0, logEpoch: 0 }
        : { lastSeq: c.lastSeq, logEpoch: c.logEpoch };
    },
    clientSend: (item, deadline) => submitSend(item, 'client', deadline),
    async clientSync(user, conv, afterSeq) {
      const resolved = await resolveConv(conv);
      if (resolved === 'not_found') {
        return {
          status: 'error',
          code: 'not_found',
          seq: 0,
          messages: [],
          reason: `conv: ${conv} does not exist`,
        };
      }
      if (resolved === 'unavailable') {
        return {
          status: 'error',
          code: 'unavailable',
          seq: 0,
          messages: [],
          reason: 'the directory is unreachable; sync again later',
        };
      }
      if (!resolved.members.has(user)) {
        return {
          status: 'error',
          code: 'forbidden',
          seq: 0,
          messages: [],
          reason: `${user} is not a member of ${conv}`,
        };
      }
      const outcome = isResident(resolved)
        ? await localSync(resolved, afterSeq)
        : await remoteSync(resolved, afterSeq, user);
      // Bug knob: silently drop the first message of every non-empty answer.
      if (bugs.has('drop-sync') && outcome.messages.length > 0) outcome.messages.shift();
      return outcome;
    },
    async forwarded(items) {
      const deadline = mono() + forwardHoldMs;
      const outcomes = await Promise.all(items.map((item) => submitSend(item, 'peer', deadline)));
      return outcomes.map((o): ForwardResult => {
        if (o.kind === 'ack')
          return { status: 'ack', seq: o.seq, epoch: o.epoch, level: o.level, serverTime: o.serverTime };
        if (o.kind === 'error') return { status: 'error', code: o.code, message: o.message };
        if (o.kind === 'not_home') return { status: 'not_home', home: o.home, epoch: o.epoch };
        return { status: 'pending' };
      });
    },
    replicate(request) {
      const authority = authorities.get(request.from);
      if (
        authority !== undefined &&
        authority.incarnation === request.incarnation &&
        request.rid <= authority.rid
      ) {
        // Overtaken by a later request from the same sender; its view of the log is stale.
        return {
          incarnation,
          results: request.items.map((i) => ({ conv: i.conv, status: 'error', matched: 0 })),
        };
      }
      authorities.set(request.from, {
        incarnation: request.incarnation,
        rid: request.rid,
        until: mono() + request.authorityMs,
      });
      return { incarnation, results: request.items.map((item) => applyItem(request.from, item)) };
    },
    async internalSync(conv, afterSeq, user) {
      const c = convs.get(conv);
      if (c === undefined || !isResident(c)) return { status: 'not_home', seq: 0, messages: [] };
      if (!c.members.has(user)) {
        return { status: 'error', code: 'forbidden', seq: 0, messages: [], reason: 'not a member' };
      }
      return localSync(c, afterSeq);
    },
    async conversation(id) {
      const found = await resolveConv(id);
      if (typeof found === 'string') return found;
      return { details: convDetails(found), digest: () => digestOf(found), log: () => logOf(found) };
    },
    shipSource(conv) {
      const c = convs.get(conv);
      if (c === undefined || c.homeEpoch === null || c.rec.home !== myId) return undefined;
      return {
        id: conv,
        epoch: c.homeEpoch,
        lastSeq: c.lastSeq,
        commit: c.commitSeq,
        epochStarts: c.epochStarts,
        members: c.rec.members,
        residency: c.rec.residency,
      };
    },
    commitMatters(src, region) {
      const c = convs.get(src.id);
      if (c === undefined || cfg.ack === 'stored') return false;
      const w = effectiveReplicas(c, cfg.region);
      return w >= 2 || (w === 1 && region === cfg.region);
    },
    onProgress(conv) {
      const c = convs.get(conv);
      if (c !== undefined) advance(c);
    },
    onFenced,
    stats() {
      let homed = 0;
      let maxEpoch = 0;
      for (const c of convs.values()) {
        if (c.homeEpoch !== null) homed++;
        maxEpoch = Math.max(maxEpoch, c.rec.epoch);
      }
      return { conversations: convs.size, homed, maxEpoch };
    },
    load(staticHomes) {
      for (const stored of storage.loadConversations()) {
        const c = newConv(stored.record);
        c.lastSeq = stored.lastSeq;
        c.logEpoch = stored.logEpoch;
        c.commitSeq = Math.min(stored.commitSeq, stored.lastSeq);
        c.epochStarts = stored.epochStarts;
        // Sessions reconnecting after a restart catch up by sync; no pushes of old messages.
        c.deliveredSeq = stored.lastSeq;
        convs.set(c.rec.id, c);
      }
      if (staticHomes) for (const c of convs.values()) if (c.rec.home === myId) becomeHome(c);
    },
    tick() {
      for (const c of [...waitingConvs]) settleWaiters(c);
      for (const c of commitDirty) storage.setCommit(c.rec.id, c.commitSeq);
      commitDirty.clear();
    },
    close() {
      closing = true;
      flushAppends();
      for (const c of commitDirty) storage.setCommit(c.rec.id, c.commitSeq);
      commitDirty.clear();
    },
  };
}
