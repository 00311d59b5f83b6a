// An in-memory MessagingTarget for load/ tests. It behaves like a small multi-region IM system
// (sessions with failover and an outbox, per-conversation sequence numbers, push delivery and
// sync after reconnecting, replication to the other regions after a delay) and can be made to
// misbehave: slow acks, a stalled system, a region outage, a synchronously slow client, acks
// that never come, and a region whose copy never converges.
import type {
  ConnectOptions,
  ConversationSpec,
  MessagingTarget,
  RegionDigest,
  RegionLog,
  SessionEvent,
  TargetSession,
} from '../../contracts/target.ts';

export interface FakeTargetOptions {
  regions?: string[];
  /** Time from send to ack; default 2 ms. */
  ackDelayMs?: number;
  /** Time from ack to push delivery; default 2 ms. */
  deliveryDelayMs?: number;
  /** Time before the other regions hold a message; default 5 ms. */
  replicationDelayMs?: number;
  connectDelayMs?: number;
  /** Busy-waits inside send() for the n-th send (0-based), blocking the caller's event loop. */
  sendStallMs?: (n: number) => number;
  /** Sends that are never acked (they stay in the outbox until close). */
  neverAck?: (cmid: string) => boolean;
  /** Regions whose copy of these conversations misses every other message, forever. */
  diverge?: { region: string; convs: string[] };
  /** createConversation rejects for these ids. */
  failCreate?: string[];
}

interface Stored {
  seq: number;
  cmid: string;
  from: string;
  /** Harness time at which each region holds it. */
  heldFrom: number;
}

interface Conversation {
  spec: ConversationSpec;
  log: Stored[];
  byCmid: Map<string, Stored>;
}

interface FakeSession extends TargetSession {
  user: string;
  emit(event: SessionEvent): void;
  region?: string;
  connected: boolean;
  closed: boolean;
  lastSeq: Map<string, number>;
  /** Sends without an outcome, by cmid. */
  outbox: Map<string, { conv: string; body: string }>;
  home: string;
}

export interface FakeTarget extends MessagingTarget {
  /** Every send() call, in order. */
  readonly sends: { user: string; conv: string; cmid: string; body: string; t: number }[];
  readonly conversations: Map<string, Conversation>;
  /** Sessions opened and not yet closed. */
  openSessions(): number;
  /** Takes a region down (sessions on it fail over, its reads fail) or brings it back. */
  setRegionDown(region: string, down: boolean): void;
  /** Holds every ack and delivery until this harness time (a stalled system). */
  stallUntil(t: number): void;
  /** Cancels every pending timer. */
  dispose(): void;
}

const now = (): number => performance.timeOrigin + performance.now();

function fnv(text: string, h = 0x811c9dc5): number {
  let x = h >>> 0;
  for (let i = 0; i < text.length; i++) {
    x ^= text.charCodeAt(i);
    x = Math.imul(x, 0x01000193) >>> 0;
  }
  return x;
}

export function createFakeTarget(options: FakeTargetOptions = {}): FakeTarget {
  const regions = options.regions ?? ['eu', 'us', 'ap'];
  const ackDelayMs = options.ackDelayMs ?? 2;
  const deliveryDelayMs = options.deliveryDelayMs ?? 2;
  const replicationDelayMs = options.replicationDelayMs ?? 5;
  const connectDelayMs = options.connectDelayMs ?? 1;
  const down = new Set<string>();
  const conversations = new Map<string, Conversation>();
  const sessionsOf = new Map<string, Set<FakeSession>>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const sends: FakeTarget['sends'] = [];
  let stalledUntil = 0;
  let sessionCount = 0;
  let sendCount = 0;
  let disposed = false;

  const later = (ms: number, fn: () => void): void => {
    if (disposed) return;
    const wait = Math.max(ms, stalledUntil - now(), 0);
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!disposed) fn();
    }, wait);
    timers.add(timer);
  };

  const homeOf = (c: Conversation): string => c.spec.residency?.[0] ?? regions[0] ?? 'none';
  const allowed = (c: Conversation, region: string): boolean =>
    c.spec.residency === undefined || c.spec.residency.includes(region);

  const held = (c: Conversation, region: string, t: number): Stored[] => {
    if (!allowed(c, region)) return [];
    const home = homeOf(c);
    let msgs = c.log.filter((m) => region === home || m.heldFrom <= t);
    if (options.diverge?.region === region && options.diverge.convs.includes(c.spec.id)) {
      msgs = msgs.filter((m) => m.seq % 2 === 1);
    }
    return msgs;
  };

  const connectSession = (s: FakeSession, previous?: string): void => {
    later(connectDelayMs, () => {
      if (s.closed) return;
      const order = [s.home, ...regions.filter((r) => r !== s.home)];
      const region = order.find((r) => !down.has(r));
      if (region === undefined) {
        // Everything is down: try again later, as a client SDK would.
        connectSession(s, previous);
        return;
      }
      if (previous !== undefined && previous !== region) {
        s.emit({ type: 'failover', t: now(), from: previous, to: region });
      }
      s.region = region;
      s.connected = true;
      s.emit({ type: 'connected', t: now(), region, node: `${region}-1` });
      // Catch up on everything missed while away, then resend the outbox.
      for (const [convId, c] of conversations) {
        if (!c.spec.members.includes(s.user)) continue;
        const after = s.lastSeq.get(convId) ?? 0;
        const missed = c.log.filter((m) => m.seq > after);
        for (const m of missed) {
          if (m.from === s.user) continue;
          s.emit({
            type: 'delivered',
            t: now(),
            conv: convId,
            cmid: m.cmid,
            from: m.from,
            seq: m.seq,
            via: 'sync',
          });
        }
        const last = c.log.length > 0 ? (c.log[c.log.length - 1] as Stored).seq : after;
        if (after > 0 || missed.length > 0)
          s.emit({ type: 'synced', t: now(), conv: convId, afterSeq: after, seq: last });
        s.lastSeq.set(convId, Math.max(after, last));
      }
      for (const [cmid, { conv, body }] of s.outbox) transmit(s, conv, cmid, body);
    });
  };

  const transmit = (s: FakeSession, conv: string, cmid: string, _body: string): void => {
    if (!s.connected || s.region === undefined) return;
    if (options.neverAck?.(cmid)) return;
    const region = s.region;
    later(ackDelayMs, () => {
      if (s.closed || !s.outbox.has(cmid)) return;
      if (down.has(region) || s.region !== region) return; // lost with the connection; resent later
      const c = conversations.get(conv);
      if (!c) {
        s.outbox.delete(cmid);
        s.emit({ type: 'send_failed', t: now(), conv, cmid, reason: 'no such conversation' });
        return;
      }
      let stored = c.byCmid.get(cmid);
      if (!stored) {
        stored = { seq: c.log.length + 1, cmid, from: s.user, heldFrom: now() + replicationDelayMs };
        c.log.push(stored);
        c.byCmid.set(cmid, stored);
        const message = stored;
        for (const member of c.spec.members) {
          if (member === s.user) continue;
          for (const peer of sessionsOf.get(member) ?? []) {
            later(deliveryDelayMs, () => {
              if (!peer.connected || peer.closed) return;
              if ((peer.lastSeq.get(conv) ?? 0) >= message.seq) return;
              peer.lastSeq.set(conv, message.seq);
              peer.emit({
                type: 'delivered',
                t: now(),
                conv,
                cmid,
                from: message.from,
                seq: message.seq,
                via: 'push',
              });
            });
          }
        }
      }
      s.outbox.delete(cmid);
      s.emit({ type: 'acked', t: now(), conv, cmid, seq: stored.seq, epoch: 1, level: 'replicated' });
    });
  };

  const target: FakeTarget = {
    name: 'fake',
    sends,
    conversations,
    regions: () => regions.slice(),
    openSessions: () => [...sessionsOf.values()].reduce((n, set) => n + set.size, 0),
    async createConversation(spec) {
      await new Promise((r) => setTimeout(r, 0));
      if (options.failCreate?.includes(spec.id)) throw new Error(`fake: refused to create ${spec.id}`);
      if (!conversations.has(spec.id)) conversations.set(spec.id, { spec, log: [], byCmid: new Map() });
    },
    connect(opts: ConnectOptions) {
      const session: FakeSession = {
        id: `${opts.user}#${++sessionCount}`,
        user: opts.user,
        home: opts.region,
        emit: opts.onEvent,
        connected: false,
        closed: false,
        lastSeq: new Map(),
        outbox: new Map(),
        send(conv, cmid, body) {
          if (session.closed) throw new Error('session closed');
          const stall = options.sendStallMs?.(sendCount) ?? 0;
          sendCount++;
          if (stall > 0) {
            const until = performance.now() + stall;
            while (performance.now() < until) {
              // a client stuck in synchronous work
            }
          }
          sends.push({ user: session.user, conv, cmid, body, t: now() });
          session.outbox.set(cmid, { conv, body });
          transmit(session, conv, cmid, body);
        },
        async close() {
          if (session.closed) return;
          for (const [cmid, { conv }] of session.outbox) {
            session.emit({
              type: 'send_indeterminate',
              t: now(),
              conv,
              cmid,
              reason: 'closed before an answer',
            });
          }
          session.outbox.clear();
          if (session.connected) {
            session.emit({
              type: 'disconnected',
              t: now(),
              region: session.region as string,
              reason: 'closed',
            });
          }
          session.connected = false;
          session.closed = true;
          sessionsOf.get(session.user)?.delete(session);
        },
      };
      let set = sessionsOf.get(opts.user);
      if (!set) {
        set = new Set();
        sessionsOf.set(opts.user, set);
      }
      set.add(session);
      connectSession(session);
      return session;
    },
    async digest(region, conv): Promise<RegionDigest> {
      if (down.has(region)) throw new Error(`fake: region ${region} is down`);
      const c = conversations.get(conv);
      if (!c) throw new Error(`fake: no conversation ${conv}`);
      const msgs = held(c, region, now());
      let hash = 0x811c9dc5;
      for (const m of msgs) hash = fnv(`${m.seq}:${m.cmid}`, hash);
      return {
        region,
        conv,
        count: msgs.length,
        lastSeq: msgs.length > 0 ? (msgs[msgs.length - 1] as Stored).seq : 0,
        hash: hash.toString(16),
      };
    },
    async readLog(region, conv): Promise<RegionLog> {
      if (down.has(region)) throw new Error(`fake: region ${region} is down`);
      const c = conversations.get(conv);
      if (!c) throw new Error(`fake: no conversation ${conv}`);
      return {
        region,
        conv,
        messages: held(c, region, now()).map((m) => ({ seq: m.seq, cmid: m.cmid, from: m.from })),
      };
    },
    setRegionDown(region, isDown) {
      if (!isDown) {
        down.delete(region);
        return;
      }
      down.add(region);
      for (const set of sessionsOf.values()) {
        for (const s of set) {
          if (!s.connected || s.region !== region) continue;
          s.connected = false;
          s.emit({ type: 'disconnected', t: now(), region, reason: 'region down' });
          connectSession(s, region);
        }
      }
    },
    stallUntil(t) {
      stalledUntil = t;
    },
    dispose() {
      disposed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
  return target;
}
