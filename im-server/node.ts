// One node of the reference IM server: client WebSockets, the admin and peer HTTP APIs, and the
// per-conversation engine (sequencing at the home, forwarding elsewhere, applying the home's
// log as a follower, delivering committed messages to local sessions, answering syncs).
// docs/CONSISTENCY.md explains the rules this file enforces; docs/PROTOCOL.md the frames.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Clock } from './clock.ts';
import { type ControlPlane, createControlPlane, type PeerInfo } from './control-plane.ts';
import { createForwarder } from './forwarding.ts';
import { parseClientFrame } from './frames.ts';
import { createAgent, HttpError, readJsonBody, requestJson, sendError, sendJson } from './http.ts';
import {
  ConvRecord,
  type EpochStarts,
  type ForwardItem,
  ForwardRequest,
  type ForwardResult,
  InternalSyncRequest,
  InternalSyncResponse,
  type ReplicateItem,
  type ReplicateItemResult,
  ReplicateRequest,
  type WireEntry,
} from './internal-protocol.ts';
import { errorMessage, type Logger } from './log.ts';
import { agreementPoint, epochAt, noteAppend, truncateStarts } from './log-matching.ts';
import { createMetrics } from './metrics.ts';
import {
  type AckLevel,
  type BugName,
  ClockOffsetBody,
  type ConversationDigest,
  ConversationId,
  CreateConversationBody,
  describeZodError,
  type ErrorCode,
  type SendFrame,
  type SyncFrame,
} from './protocol.ts';
import { createShipper, type ShipSource } from './replication.ts';
import { openStorage } from './storage.ts';
import { PEER_HEADER, peerKey, verifyToken } from './token.ts';

export interface NodeConfig {
  region: string;
  node: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  dataDir: string;
  secret: string;
  adminToken: string;
  directoryUrl: string | null;
  peers: PeerInfo[];
  ack: AckLevel;
  /** W: other regions that must hold a message before a `replicated` ack. */
  replicas: number;
  leaseMs: number;
  bugs: ReadonlySet<BugName>;
  maxFrameBytes: number;
  maxBodyBytes: number;
  fsync: boolean;
  clock: Clock;
  logger: Logger;
}

export interface RunningNode {
  host: string;
  port: number;
  close(): Promise<void>;
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

interface Session {
  id: number;
  user: string;
  ws: WebSocket;
}

type SendOutcome =
  | { kind: 'ack'; seq: number; epoch: number; level: AckLevel; serverTime: number }
  | { kind: 'error'; code: ErrorCode; message: string }
  | { kind: 'not_home'; home: string | null; epoch: number }
  | { kind: 'pending' };

type SyncOutcome = InternalSyncResponse;

/** A slow client whose socket buffer grows past this is disconnected (it reconnects and syncs). */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
const SLOW_CONSUMER_CLOSE = 1013;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const regionOf = (nodeId: string): string => nodeId.slice(0, nodeId.indexOf('/'));

export async function startNode(cfg: NodeConfig): Promise<RunningNode> {
  const myId = `${cfg.region}/${cfg.node}`;
  const incarnation = randomBytes(8).toString('hex');
  const log = cfg.logger;
  const clock = cfg.clock;
  const bugs = cfg.bugs;
  const key = peerKey(cfg.secret);
  const mono = (): number => clock.monoNow();
  // Timing, all derived from the lease so `--lease-ms` scales the whole failure detector.
  const peerTimeoutMs = Math.min(5000, Math.max(1000, cfg.leaseMs));
  const keepaliveMs = Math.max(50, Math.floor(cfg.leaseMs / 4));
  const sendTimeoutMs = Math.max(5000, 2 * cfg.leaseMs + 1000);
  // How long a home holds a forwarded batch's answer waiting for replication; the forwarder
  // resends what is still pending. Half the request timeout leaves room for a slow link.
  const forwardHoldMs = Math.floor(peerTimeoutMs / 2);
  const syncWaitMs = Math.min(1000, Math.floor(cfg.leaseMs / 2));

  mkdirSync(cfg.dataDir, { recursive: true });
  const storage = openStorage(join(cfg.dataDir, 'node.db'), { fsync: cfg.fsync });
  const agent = createAgent(16);
  const convs = new Map<string, Conv>();
  const sessionsByUser = new Map<string, Set<Session>>();
  const authorities = new Map<string, { incarnation: string; rid: number; until: number }>();
  const notFound = new Map<string, number>();
  const waitingConvs = new Set<Conv>();
  const commitDirty = new Set<Conv>();
  let sessionCount = 0;
  let nextSessionId = 1;
  let closing = false;
  let advertisedUrl = '';

  const metrics = createMetrics(
    { region: cfg.region, node: cfg.node },
    {
      leaseValid: () => cp.leaseValid(),
      clockOffsetMs: () => clock.offsetMs(),
      homedConversations: () => [...convs.values()].filter((c) => c.homeEpoch !== null).length,
      replicationLag: () => shipper.lag(),
    },
  );

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

  const sendRaw = (session: Session, text: string): void => {
    const ws = session.ws;
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      ws.close(SLOW_CONSUMER_CLOSE, 'slow consumer: reconnect and sync');
      return;
    }
    ws.send(text);
  };
  const sendFrame = (session: Session, frame: object): void => sendRaw(session, JSON.stringify(frame));
  const sendErrorFrame = (
    session: Session,
    code: ErrorCode,
    message: string,
    ids: { cmid?: string | undefined; conv?: string | undefined } = {},
  ): void => {
    metrics.errors.inc({ code });
    sendFrame(session, {
      type: 'error',
      code,
      message,
      ...(ids.cmid === undefined ? {} : { cmid: ids.cmid }),
      ...(ids.conv === undefined ? {} : { conv: ids.conv }),
    });
  };
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
    if (sessionCount === 0) return;
    const text = msgFrame(c.rec.id, e);
    let sent = 0;
    if (c.members.size <= sessionsByUser.size) {
      for (const member of c.members) {
        const sessions = sessionsByUser.get(member);
        if (sessions === undefined) continue;
        for (const s of sessions) {
          sendRaw(s, text);
          sent++;
        }
      }
    } else {
      for (const [user, sessions] of sessionsByUser) {
        if (!c.members.has(user)) continue;
        for (const s of sessions) {
          sendRaw(s, text);
          sent++;
        }
      }
    }
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
      notFound.set(id, mono() + 1000);
      return 'not_found';
    }
    onRecord(rec);
    return convs.get(id) ?? 'not_found';
  };

  const peerById = (id: string): PeerInfo | undefined => cp.peers().find((p) => p.id === id);

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
      let result: ForwardResult;
      try {
        result = await forwarder.forward(target, item, deadline);
      } catch {
        metrics.forwards.inc({ result: 'failed' });
        failures += 1;
        await refresh(c, true);
        await sleep(Math.min(1000, 50 * 2 ** Math.min(failures, 5)));
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
      if (!parsed.success) throw new Error(describeZodError(parsed.error));
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

  // ---- client sessions ----

  const handleSend = async (session: Session, frame: SendFrame): Promise<void> => {
    const started = performance.now();
    const outcome = await submitSend(
      { conv: frame.conv, from: session.user, cmid: frame.cmid, body: frame.body },
      'client',
      mono() + sendTimeoutMs,
    );
    if (outcome.kind === 'ack') {
      metrics.acks.inc({ level: outcome.level });
      metrics.ackLatency.observe({ level: outcome.level }, (performance.now() - started) / 1000);
      sendFrame(session, {
        type: 'ack',
        conv: frame.conv,
        cmid: frame.cmid,
        epoch: outcome.epoch,
        seq: outcome.seq,
        level: outcome.level,
        serverTime: outcome.serverTime,
      });
    } else if (outcome.kind === 'error') {
      sendErrorFrame(session, outcome.code, outcome.message, { cmid: frame.cmid, conv: frame.conv });
    } else {
      sendErrorFrame(
        session,
        'unavailable',
        'the conversation’s home is unavailable; resend with the same cmid',
        {
          cmid: frame.cmid,
          conv: frame.conv,
        },
      );
    }
  };

  const handleSync = async (session: Session, frame: SyncFrame): Promise<void> => {
    const resolved = await resolveConv(frame.conv);
    if (resolved === 'not_found') {
      sendErrorFrame(session, 'not_found', `conv: ${frame.conv} does not exist`, { conv: frame.conv });
      return;
    }
    if (resolved === 'unavailable') {
      sendErrorFrame(session, 'unavailable', 'the directory is unreachable; sync again later', {
        conv: frame.conv,
      });
      return;
    }
    if (!resolved.members.has(session.user)) {
      sendErrorFrame(session, 'forbidden', `${session.user} is not a member of ${frame.conv}`, {
        conv: frame.conv,
      });
      return;
    }
    const outcome = isResident(resolved)
      ? await localSync(resolved, frame.afterSeq)
      : await remoteSync(resolved, frame.afterSeq, session.user);
    metrics.syncs.inc({ result: outcome.status });
    if (outcome.status === 'error' || outcome.status === 'not_home') {
      sendErrorFrame(session, outcome.code ?? 'unavailable', outcome.reason ?? 'sync failed', {
        conv: frame.conv,
      });
      return;
    }
    const messages = outcome.messages;
    if (bugs.has('drop-sync') && messages.length > 0) messages.shift();
    for (const e of messages) sendRaw(session, msgFrame(frame.conv, e));
    if (messages.length > 0) metrics.delivered.inc({ via: 'sync' }, messages.length);
    if (outcome.status === 'synced')
      sendFrame(session, { type: 'synced', conv: frame.conv, seq: outcome.seq });
    else if (outcome.status === 'behind') {
      sendFrame(session, { type: 'behind', conv: frame.conv, seq: outcome.seq, reason: outcome.reason });
    } else {
      sendFrame(session, {
        type: 'reset',
        conv: frame.conv,
        seq: outcome.seq,
        reason: outcome.reason ?? 'reset',
      });
    }
  };

  const onSession = (ws: WebSocket, user: string): void => {
    const session: Session = { id: nextSessionId++, user, ws };
    let set = sessionsByUser.get(user);
    if (set === undefined) {
      set = new Set();
      sessionsByUser.set(user, set);
    }
    set.add(session);
    sessionCount++;
    metrics.sessions.inc();
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        metrics.framesReceived.inc({ type: 'invalid' });
        sendErrorFrame(session, 'bad_frame', 'binary frames are not supported; send JSON text frames');
        return;
      }
      const text = Array.isArray(data)
        ? Buffer.concat(data).toString('utf8')
        : Buffer.from(data as ArrayBuffer).toString('utf8');
      const parsed = parseClientFrame(text, cfg.maxBodyBytes);
      if (!parsed.ok) {
        metrics.framesReceived.inc({ type: 'invalid' });
        sendErrorFrame(session, parsed.error.code, parsed.error.message, parsed.error);
        return;
      }
      metrics.framesReceived.inc({ type: parsed.frame.type });
      const work =
        parsed.frame.type === 'send' ? handleSend(session, parsed.frame) : handleSync(session, parsed.frame);
      work.catch((error: unknown) => {
        log.error('frame handling failed', { error: errorMessage(error), type: parsed.frame.type });
        const frame = parsed.frame;
        sendErrorFrame(session, 'unavailable', 'internal error; retry', {
          conv: frame.conv,
          cmid: frame.type === 'send' ? frame.cmid : undefined,
        });
      });
    });
    ws.on('close', () => {
      set.delete(session);
      if (set.size === 0) sessionsByUser.delete(user);
      sessionCount--;
      metrics.sessions.dec();
    });
    ws.on('error', () => {
      // `ws` closes the socket itself (1009 for an oversized frame); nothing else to do.
    });
    sendFrame(session, {
      type: 'welcome',
      user,
      region: cfg.region,
      node: cfg.node,
      serverTime: clock.wallNow(),
    });
  };

  // ---- HTTP ----

  const requireJson = async <T>(
    req: IncomingMessage,
    schema: {
      safeParse(v: unknown): { success: true; data: T } | { success: false; error: import('zod').ZodError };
    },
    limit: number,
  ): Promise<T> => {
    const body = await readJsonBody(req, limit);
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw new HttpError(400, describeZodError(parsed.error));
    return parsed.data;
  };

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

  const handleAdmin = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    if (req.headers.authorization !== `Bearer ${cfg.adminToken}`) {
      sendError(res, 401, 'unauthorized: send Authorization: Bearer ADMIN_TOKEN');
      return;
    }
    if (path === '/admin/conversations' && req.method === 'POST') {
      const body = await requireJson(req, CreateConversationBody, 8 * 1024 * 1024);
      try {
        const result = await cp.create(body);
        if (result.status === 201) {
          const rec = ConvRecord.safeParse(result.body);
          if (rec.success) {
            onRecord(rec.data);
            sendJson(res, 201, {
              id: rec.data.id,
              members: rec.data.members,
              residency: rec.data.residency,
              home: rec.data.home,
              epoch: rec.data.epoch,
            });
            return;
          }
        }
        sendJson(res, result.status, result.body);
      } catch (error) {
        sendError(res, 503, `directory unreachable: ${errorMessage(error)}`);
      }
      return;
    }
    if (path === '/admin/clock' && req.method === 'POST') {
      const body = await requireJson(req, ClockOffsetBody, 64 * 1024);
      clock.setOffsetMs(body.offsetMs);
      log.warn('clock offset set', { offsetMs: body.offsetMs });
      sendJson(res, 200, { offsetMs: clock.offsetMs(), serverTime: clock.wallNow() });
      return;
    }
    if (path === '/admin/clock' && req.method === 'GET') {
      sendJson(res, 200, { offsetMs: clock.offsetMs(), serverTime: clock.wallNow() });
      return;
    }
    const match = /^\/admin\/conversations\/([^/]+)(\/digest|\/log)?$/.exec(path);
    if (match !== null && req.method === 'GET') {
      const id = ConversationId.safeParse(decodeURIComponent(match[1]!));
      if (!id.success) {
        sendError(res, 400, `id: ${describeZodError(id.error)}`);
        return;
      }
      const found = await resolveConv(id.data);
      if (found === 'unavailable') {
        sendError(res, 503, 'directory unreachable');
        return;
      }
      if (found === 'not_found') {
        sendError(res, 404, `conversation ${id.data} not found`);
        return;
      }
      if (match[2] === '/digest') sendJson(res, 200, digestOf(found));
      else if (match[2] === '/log') {
        sendJson(res, 200, {
          conv: found.rec.id,
          region: cfg.region,
          node: cfg.node,
          messages: isResident(found) ? storage.logRows(found.rec.id) : [],
        });
      } else sendJson(res, 200, convDetails(found));
      return;
    }
    sendError(res, 404, 'not found');
  };

  const handleInternal = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    if (req.headers[PEER_HEADER] !== key) {
      sendError(res, 401, 'unauthorized');
      return;
    }
    if (req.method !== 'POST') {
      sendError(res, 405, 'method not allowed');
      return;
    }
    if (path === '/internal/replicate') {
      const body = await requireJson(req, ReplicateRequest, 64 * 1024 * 1024);
      const authority = authorities.get(body.from);
      if (
        authority !== undefined &&
        authority.incarnation === body.incarnation &&
        body.rid <= authority.rid
      ) {
        // Overtaken by a later request from the same sender; its view of the log is stale.
        sendJson(res, 200, {
          incarnation,
          results: body.items.map((i) => ({ conv: i.conv, status: 'error', matched: 0 })),
        });
        return;
      }
      authorities.set(body.from, {
        incarnation: body.incarnation,
        rid: body.rid,
        until: mono() + body.authorityMs,
      });
      const results = body.items.map((item) => applyItem(body.from, item));
      sendJson(res, 200, { incarnation, results });
      return;
    }
    if (path === '/internal/send') {
      const body = await requireJson(req, ForwardRequest, 64 * 1024 * 1024);
      const deadline = mono() + forwardHoldMs;
      const outcomes = await Promise.all(body.items.map((item) => submitSend(item, 'peer', deadline)));
      const results: ForwardResult[] = outcomes.map((o) => {
        if (o.kind === 'ack')
          return { status: 'ack', seq: o.seq, epoch: o.epoch, level: o.level, serverTime: o.serverTime };
        if (o.kind === 'error') return { status: 'error', code: o.code, message: o.message };
        if (o.kind === 'not_home') return { status: 'not_home', home: o.home, epoch: o.epoch };
        return { status: 'pending' };
      });
      sendJson(res, 200, { results });
      return;
    }
    if (path === '/internal/sync') {
      const body = await requireJson(req, InternalSyncRequest, 64 * 1024);
      const c = convs.get(body.conv);
      if (c === undefined || !isResident(c)) {
        sendJson(res, 200, { status: 'not_home', seq: 0, messages: [] });
        return;
      }
      if (!c.members.has(body.user)) {
        sendJson(res, 200, {
          status: 'error',
          code: 'forbidden',
          seq: 0,
          messages: [],
          reason: 'not a member',
        });
        return;
      }
      sendJson(res, 200, await localSync(c, body.afterSeq));
      return;
    }
    if (path === '/internal/conversations') {
      const rec = await requireJson(req, ConvRecord, 8 * 1024 * 1024);
      if (!convs.has(rec.id)) onRecord(rec);
      sendJson(res, 200, { ok: true });
      return;
    }
    sendError(res, 404, 'not found');
  };

  const healthz = (): Record<string, unknown> => {
    let homed = 0;
    let maxEpoch = 0;
    for (const c of convs.values()) {
      if (c.homeEpoch !== null) homed++;
      maxEpoch = Math.max(maxEpoch, c.rec.epoch);
    }
    return {
      status: 'ok',
      region: cfg.region,
      node: cfg.node,
      nodeId: myId,
      incarnation,
      mode: cp.mode,
      ack: cfg.ack,
      replicas: cfg.replicas,
      bugs: [...bugs],
      serverTime: clock.wallNow(),
      clockOffsetMs: clock.offsetMs(),
      lease: {
        valid: cp.leaseValid(),
        remainingMs: Math.round(Math.min(cp.leaseRemainingMs(), 1e12)),
        leaseMs: cfg.leaseMs,
      },
      directory: cfg.directoryUrl === null ? null : { url: cfg.directoryUrl, caughtUp: cp.caughtUp() },
      epochs: { homedConversations: homed, maxEpoch },
      conversations: convs.size,
      sessions: sessionCount,
      peers: cp.peers().map((p) => p.id),
    };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://node');
    const path = url.pathname;
    if (path === '/healthz' && req.method === 'GET') {
      sendJson(res, 200, healthz());
      return;
    }
    if (path === '/metrics' && req.method === 'GET') {
      const text = await metrics.registry.metrics();
      res.writeHead(200, { 'content-type': metrics.registry.contentType });
      res.end(text);
      return;
    }
    if (path.startsWith('/admin/')) return handleAdmin(req, res, path);
    if (path.startsWith('/internal/')) return handleInternal(req, res, path);
    sendError(res, 404, 'not found');
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof HttpError) sendError(res, error.status, error.message);
      else {
        log.error('request failed', { path: req.url, error: errorMessage(error) });
        sendError(res, 500, 'internal error');
      }
    });
  });
  server.keepAliveTimeout = 30_000;
  server.headersTimeout = 20_000;

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: cfg.maxFrameBytes,
    perMessageDeflate: false,
  });
  const refuse = (socket: Socket, status: number, text: string): void => {
    const body = JSON.stringify({ error: text, status });
    socket.end(
      `HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : status === 404 ? 'Not Found' : 'Service Unavailable'}\r\n` +
        `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  };
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => {});
    const url = new URL(req.url ?? '/', 'http://node');
    if (url.pathname !== '/ws') {
      refuse(socket, 404, 'WebSocket endpoint is /ws');
      return;
    }
    if (closing) {
      refuse(socket, 503, 'shutting down');
      return;
    }
    const header = req.headers.authorization;
    const token = url.searchParams.get('token') ?? (header?.startsWith('Bearer ') ? header.slice(7) : null);
    const auth = token === null ? null : verifyToken(token, cfg.secret, clock.wallNow());
    if (auth === null) {
      refuse(socket, 401, token === null ? 'missing token' : 'invalid or expired token');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => onSession(ws, auth.user));
  });

  // ---- wiring ----

  const cp: ControlPlane = createControlPlane({
    nodeId: myId,
    region: cfg.region,
    node: cfg.node,
    advertisedUrl: () => advertisedUrl,
    directoryUrl: cfg.directoryUrl,
    peers: cfg.peers,
    leaseMs: cfg.leaseMs,
    peerKey: key,
    agent,
    logger: log,
    monoNow: mono,
    wallNow: () => clock.wallNow(),
    hooks: {
      onRecord,
      report: (conv) => {
        const c = convs.get(conv);
        return c === undefined || !isResident(c)
          ? { lastSeq: 0, logEpoch: 0 }
          : { lastSeq: c.lastSeq, logEpoch: c.logEpoch };
      },
      known: (conv) => convs.get(conv)?.rec,
      reachable: () => shipper.reachableRegions(cfg.leaseMs).filter((r) => r !== cfg.region),
    },
  });

  const shipper = createShipper({
    myId,
    incarnation,
    peerKey: key,
    agent,
    logger: log,
    metrics,
    timeoutMs: peerTimeoutMs,
    keepaliveMs,
    peers: () => cp.peers(),
    source: (conv): ShipSource | undefined => {
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
    readEntries: (conv, afterSeq, upToSeq) => storage.range(conv, afterSeq, upToSeq),
    commitMatters: (src, region) => {
      const c = convs.get(src.id);
      if (c === undefined || cfg.ack === 'stored') return false;
      const w = effectiveReplicas(c, cfg.region);
      return w >= 2 || (w === 1 && region === cfg.region);
    },
    authorityMs: () => (cp.mode === 'static' ? cfg.leaseMs : cp.leaseRemainingMs()),
    onProgress: (conv) => {
      const c = convs.get(conv);
      if (c !== undefined) advance(c);
    },
    onFenced,
  });

  const forwarder = createForwarder({ myId, peerKey: key, agent, logger: log, timeoutMs: peerTimeoutMs });

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

  const sweep = setInterval(() => {
    for (const c of [...waitingConvs]) settleWaiters(c);
    for (const c of commitDirty) storage.setCommit(c.rec.id, c.commitSeq);
    commitDirty.clear();
  }, 50);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.port, cfg.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  advertisedUrl = `http://${cfg.host}:${port}`;
  if (cp.mode === 'static') {
    for (const c of convs.values()) if (c.rec.home === myId) becomeHome(c);
  }
  cp.start();
  log.info('node started', {
    port,
    mode: cp.mode,
    ack: cfg.ack,
    replicas: cfg.replicas,
    leaseMs: cfg.leaseMs,
    conversations: convs.size,
    bugs: [...bugs],
  });

  return {
    host: cfg.host,
    port,
    close: async () => {
      if (closing) return;
      closing = true;
      flushAppends();
      clearInterval(sweep);
      cp.stop();
      shipper.stop();
      forwarder.stop();
      for (const sessions of sessionsByUser.values()) {
        for (const s of sessions) s.ws.close(1001, 'node shutting down');
      }
      await new Promise<void>((resolve) => {
        wss.close(() => resolve());
      });
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      for (const c of commitDirty) storage.setCommit(c.rec.id, c.commitSeq);
      agent.destroy();
      storage.close();
      log.info('node stopped');
    },
  };
}
