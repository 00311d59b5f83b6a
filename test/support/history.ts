// The one generator of synthetic histories, for every test that needs a run without running one.
// A seeded model of a plausible run: users homed round-robin in regions, conversations, sends at
// random times in a load window (a Poisson process given its count), acks with seqs in ack order,
// fan-out deliveries whose latency grows with the distance between home regions, faults that cut
// regions off (users fail over), slow them or partition them, syncs after a failover, then the
// heal, digests, final reads and the clients closing. With no bug knob set it is the history of a
// correct system, so the checkers must find nothing in it; the knobs (lose acked messages,
// duplicate deliveries, slow everything down, users that never reconnect) break it in known
// ways, and the truth (what was lost, who was cut off) comes with it.
// Wrapped by synthetic.ts (property tests, the benchmark) and test/reports/fixture.ts (reports).
import type { HistoryEvent } from '../../contracts/history.ts';
import { createRandom, type Random } from '../../lib/random.ts';
import {
  applyOutage,
  availableAt,
  type Connections,
  connectionEvents,
  type FaultTruth,
  noTruth,
  openSessions,
  regionAt,
  type Session,
  sessionAt,
} from './connections.ts';

export type { FaultTruth } from './connections.ts';

export const T0 = 1_767_225_600_000;
/** The load window opens this long into the run, once everyone has connected. */
export const LOAD_START_MS = 1000;
/** Room after the load (and after a fault that outlasts it) for every outcome, the heal, the final reads and the checkers' 5 s delivery grace. */
export const SETTLE_MS = 8000;
/** A client gives up on an unanswered send after this long. */
const TIMEOUT_MS = 3000;
/**
 * How much busier or quieter than usual the system can be in one second: a factor on that
 * second's latencies, uniform in 1 ± this. A second's messages share the system's state, so a
 * short run's p99 is noisy (what compare's per-second bootstrap assumes).
 */
const LOAD_SWING = 0.5;
/** The run's last 2 s: heal, digests, converged, final reads, the clients closing, in this order. */
const TAIL = { healed: 2000, digests: 1800, converged: 1700, finalReads: 1500, finalRead: 1000, close: 100 };

/** What a fault does: drop its regions' connections, add 250 ms to their traffic, or hold traffic between its regions until it stops. */
export type FaultEffect = 'outage' | 'latency' | 'partition';

/** Where and when a fault strikes. */
export interface FaultSpan {
  target: string;
  regions: string[];
  /** Start and stop as fractions of the run's duration. */
  at: number;
  until: number;
}

export interface FaultPlan extends FaultSpan {
  /** Its kind in the history (fault_start.kind), e.g. region_outage or regionOutage. */
  kind: string;
  effect: FaultEffect;
}

export interface HistoryBugs {
  /** Probability an acked message is then lost: in no final read, delivered to nobody. Default 0. */
  loseAcked?: number;
  /** Probability a delivery reaches its session twice. Default 0. */
  duplicate?: number;
  /** Multiplies every latency: a slower build. Default 1. */
  slowdown?: number;
}

export interface HistoryOptions {
  seed: number;
  /** The scenario's name; the run id is `<name>-<seed>`. Default "synthetic". */
  name?: string;
  /** Default eu-west, us-east, ap-south. */
  regions?: string[];
  /** Users, homed round-robin over the regions. Default 12. */
  users?: number;
  /** Default 4. Conversation j always holds user 2j (mod users), so every even user is in one. */
  conversations?: number;
  /** Members per conversation: [min, max]. Default [2, 4]. */
  members?: [number, number];
  /** Share of conversations bound to a subset of regions. Default 0. */
  residencyShare?: number;
  /** Sends, at uniform random times in the load window. Default 60. */
  messages?: number;
  /** The load window's length; it opens LOAD_START_MS into the run. Default 3000. */
  loadMs?: number;
  /** The run's length. Default LOAD_START_MS + loadMs + SETTLE_MS. */
  durationMs?: number;
  /** Default none. */
  faults?: FaultPlan[];
  /** Per outage, how many of its users never reconnect. Default 0. */
  censoredUsers?: number;
  /** Share of sends that fail outright. Default 0. */
  failShare?: number;
  /** Share of sends that end indeterminate, half of them stored anyway. Default 0. */
  indeterminateShare?: number;
  bugs?: HistoryBugs;
}

export interface HistoryTruth {
  /** Cmids of the acked messages the loseAcked knob lost. */
  lost: string[];
  /** Extra deliveries the duplicate knob added. */
  duplicates: number;
  /** One per planned fault, in plan order. */
  faults: FaultTruth[];
}

export interface GeneratedHistory {
  events: HistoryEvent[];
  truth: HistoryTruth;
}

type Resolved = Required<Omit<HistoryOptions, 'bugs'>> & { bugs: Required<HistoryBugs> };

export const HISTORY_DEFAULTS: Omit<Resolved, 'seed' | 'durationMs' | 'bugs'> = {
  name: 'synthetic',
  regions: ['eu-west', 'us-east', 'ap-south'],
  users: 12,
  conversations: 4,
  members: [2, 4],
  residencyShare: 0,
  messages: 60,
  loadMs: 3000,
  faults: [],
  censoredUsers: 0,
  failShare: 0,
  indeterminateShare: 0,
};

const BUG_DEFAULTS: Required<HistoryBugs> = { loseAcked: 0, duplicate: 0, slowdown: 1 };

/** `defaults` overridden by every option that is not undefined. */
export function withDefaults<T extends object>(
  defaults: T,
  options: { [K in keyof T]?: T[K] | undefined },
): T {
  const merged: T = { ...defaults };
  for (const key of Object.keys(options) as (keyof T)[]) {
    const value = options[key];
    if (value !== undefined) merged[key] = value;
  }
  return merged;
}

function resolve(options: HistoryOptions): Resolved {
  const o = withDefaults(HISTORY_DEFAULTS, options);
  return {
    ...o,
    seed: options.seed,
    durationMs: options.durationMs ?? LOAD_START_MS + o.loadMs + SETTLE_MS,
    bugs: withDefaults(BUG_DEFAULTS, options.bugs ?? {}),
  };
}

interface Conv {
  id: string;
  members: string[];
  residency: string[] | undefined;
}

interface Window {
  plan: FaultPlan;
  id: string;
  start: number;
  stop: number;
}

type Outcome = 'ack' | 'failed' | 'indeterminate-stored' | 'indeterminate-lost';

interface Msg {
  cmid: string;
  user: string;
  conv: string;
  intendedAt: number;
  sendT: number;
  outcome: Outcome;
  /** When the server stored it (the ack's time when acked); NaN if never. */
  storedAt: number;
  /** When the client heard its fate (ack, failure or timeout). */
  answeredAt: number;
  seq: number;
  lost: boolean;
}

/** Everything the parts of one generation share. */
interface Run {
  o: Resolved;
  events: HistoryEvent[];
  home: Map<string, string>;
  convs: Conv[];
  convById: Map<string, Conv>;
  conns: Connections;
  windows: Window[];
  regionIndex: Map<string, number>;
  /** Per second of the run, a factor on latency: how busy the system was. */
  load: number[];
  loadStart: number;
  end: number;
}

export function generateHistory(options: HistoryOptions): GeneratedHistory {
  const o = resolve(options);
  const rnd = createRandom(o.seed);
  const run = startRun(o, rnd.fork('people'), rnd.fork('load'));
  const faults = planFaults(run, rnd.fork('faults'));
  const msgs = planSends(run, rnd.fork('sends'));
  const stored = assignSeqs(msgs);
  for (const m of msgs) emitSend(run, m);
  const { duplicates, seen } = deliver(run, stored, rnd.fork('deliveries'));
  const logs = new Map<string, Msg[]>(run.convs.map((c) => [c.id, []]));
  for (const m of stored) logs.get(m.conv)?.push(m);
  emitSyncs(run, logs, seen);
  finishRun(run, logs);
  run.events.sort((a, b) => a.t - b.t);
  return {
    events: run.events,
    truth: { lost: msgs.filter((m) => m.lost).map((m) => m.cmid), duplicates, faults },
  };
}

/** run_start, users, conversations and the load phase; everyone connected at home. */
function startRun(o: Resolved, rnd: Random, load: Random): Run {
  const end = T0 + o.durationMs;
  const loadStart = T0 + LOAD_START_MS;
  const events: HistoryEvent[] = [
    {
      type: 'run_start',
      t: T0,
      runId: `${o.name}-${o.seed}`,
      scenario: o.name,
      seed: o.seed,
      regions: o.regions,
      ackLevel: 'replicated',
    },
  ];
  const users = Array.from({ length: o.users }, (_, i) => ({
    id: `u${i}`,
    home: o.regions[i % o.regions.length] as string,
  }));
  for (const u of users) events.push({ type: 'user', t: T0 + 1, user: u.id, region: u.home });
  const convs = createConversations(
    o,
    users.map((u) => u.id),
    rnd,
  );
  for (const c of convs) {
    events.push({
      type: 'conversation',
      t: T0 + 2,
      conv: c.id,
      members: c.members,
      ...(c.residency !== undefined ? { residency: c.residency } : {}),
    });
  }
  events.push({ type: 'phase', t: loadStart, name: 'load_start' });
  events.push({ type: 'phase', t: loadStart + o.loadMs, name: 'load_stop' });
  const windows = o.faults.map((plan, i) => ({
    plan,
    id: `f${i + 1}`,
    start: T0 + plan.at * o.durationMs,
    stop: T0 + plan.until * o.durationMs,
  }));
  return {
    o,
    events,
    home: new Map(users.map((u) => [u.id, u.home])),
    convs,
    convById: new Map(convs.map((c) => [c.id, c])),
    conns: openSessions(users, T0 + 100),
    windows,
    regionIndex: new Map(o.regions.map((r, i) => [r, i])),
    load: Array.from(
      { length: Math.ceil(o.durationMs / 1000) + 1 },
      () => 1 + LOAD_SWING * (2 * load.next() - 1),
    ),
    loadStart,
    end,
  };
}

function createConversations(o: Resolved, users: string[], rnd: Random): Conv[] {
  const [min, max] = o.members;
  return Array.from({ length: o.conversations }, (_, j) => {
    const first = users[(2 * j) % users.length] as string;
    const size = Math.min(users.length, rnd.int(min, max));
    const others = rnd.shuffle(users.filter((u) => u !== first)).slice(0, size - 1);
    const bound = rnd.chance(o.residencyShare) && o.regions.length > 1;
    const residency = bound ? rnd.shuffle(o.regions).slice(0, rnd.int(1, o.regions.length - 1)) : undefined;
    return { id: `c${j}`, members: [first, ...others], residency };
  });
}

/** fault_start/fault_stop for every fault; outages, in time order, drop and fail over their users. */
function planFaults(run: Run, rnd: Random): FaultTruth[] {
  const truth = run.windows.map(() => noTruth());
  for (const w of run.windows) {
    const { kind, target, regions } = w.plan;
    run.events.push({ type: 'fault_start', t: w.start, faultId: w.id, kind, target, regions });
    run.events.push({ type: 'fault_stop', t: w.stop, faultId: w.id });
  }
  const outages = run.windows.map((w, i) => ({ w, i })).filter(({ w }) => w.plan.effect === 'outage');
  for (const { w, i } of outages.sort((a, b) => a.w.start - b.w.start)) {
    truth[i] = applyOutage(run.conns, {
      start: w.start,
      regions: w.plan.regions,
      allRegions: run.o.regions,
      censored: run.o.censoredUsers,
      slowdown: run.o.bugs.slowdown,
      rnd,
    });
  }
  return truth;
}

/** Extra delay of traffic from one region to another at `t`: latency faults add 250 ms, partitions hold it until they stop. */
function faultDelay(run: Run, from: string, to: string, t: number): number {
  let add = 0;
  for (const w of run.windows) {
    if (t < w.start || t >= w.stop) continue;
    const { effect, regions } = w.plan;
    if (effect === 'latency' && (regions.includes(from) || regions.includes(to))) add += 250;
    if (effect === 'partition' && from !== to && regions.includes(from) && regions.includes(to)) {
      add += w.stop - t + 200;
    }
  }
  return add;
}

/** One-way latency between home regions: 6 ms within one, more the further apart they are listed. */
function hop(run: Run, from: string, to: string): number {
  if (from === to) return 6;
  return 30 + 25 * Math.abs((run.regionIndex.get(from) ?? 0) - (run.regionIndex.get(to) ?? 0));
}

/** How busy the system is in the second holding `t`: a factor on its latencies, shared by that second's messages. */
function loadAt(run: Run, t: number): number {
  return run.load[Math.floor((t - T0) / 1000)] ?? 1;
}

const sessionsOf = (run: Run, user: string): Session[] => run.conns.get(user) as Session[];

/** Who sends what when, and what became of it. */
function planSends(run: Run, rnd: Random): Msg[] {
  const { o } = run;
  const times = Array.from({ length: o.messages }, () => run.loadStart + rnd.next() * o.loadMs);
  times.sort((a, b) => a - b);
  return times.map((intendedAt, i) => {
    const conv = rnd.pick(run.convs);
    const user = rnd.pick(conv.members);
    const sendT = intendedAt + rnd.next() * 2;
    const home = run.home.get(user) as string;
    const latency =
      (4 + rnd.exponential(6)) * o.bugs.slowdown * loadAt(run, intendedAt) +
      faultDelay(run, home, home, intendedAt);
    const roll = rnd.next();
    const keep = rnd.chance(0.5);
    const lose = rnd.chance(o.bugs.loseAcked);
    const wanted: Outcome =
      roll < o.failShare
        ? 'failed'
        : roll < o.failShare + o.indeterminateShare
          ? keep
            ? 'indeterminate-stored'
            : 'indeterminate-lost'
          : 'ack';
    const fate = settle(sessionsOf(run, user), sendT, latency, wanted);
    return {
      cmid: `m${i}`,
      user,
      conv: conv.id,
      intendedAt,
      sendT,
      ...fate,
      seq: 0,
      lost: fate.outcome === 'ack' && lose,
    };
  });
}

/**
 * When the server stores the message and the client hears back: a sender that is offline sends
 * when it reconnects, an ack that finds it offline waits for the reconnect, and a sender that
 * never comes back times out with the message unstored.
 */
function settle(
  sessions: Session[],
  sendT: number,
  latency: number,
  wanted: Outcome,
): Pick<Msg, 'outcome' | 'storedAt' | 'answeredAt'> {
  const start = availableAt(sessions, sendT);
  const answer = start === null ? null : start + latency;
  const back = answer === null ? null : availableAt(sessions, answer);
  if (answer === null || back === null) {
    return { outcome: 'indeterminate-lost', storedAt: Number.NaN, answeredAt: sendT + TIMEOUT_MS };
  }
  const at = back === answer ? answer : back + latency;
  const stored = wanted === 'ack' || wanted === 'indeterminate-stored';
  const answered = wanted === 'ack' || wanted === 'failed';
  return { outcome: wanted, storedAt: stored ? at : Number.NaN, answeredAt: answered ? at : at + TIMEOUT_MS };
}

/** The server numbers each conversation's messages in the order it stores them; returns the stored ones in that order. */
function assignSeqs(msgs: Msg[]): Msg[] {
  const stored = msgs.filter((m) => !Number.isNaN(m.storedAt));
  stored.sort((a, b) => a.storedAt - b.storedAt);
  const next = new Map<string, number>();
  for (const m of stored) {
    m.seq = (next.get(m.conv) ?? 0) + 1;
    next.set(m.conv, m.seq);
  }
  return stored;
}

function emitSend(run: Run, m: Msg): void {
  const { user, conv, cmid } = m;
  const region = regionAt(sessionsOf(run, user), m.sendT);
  run.events.push({ type: 'send', t: m.sendT, intendedAt: m.intendedAt, user, conv, cmid, region });
  if (m.outcome === 'ack') {
    run.events.push({ type: 'ack', t: m.answeredAt, user, conv, cmid, seq: m.seq, level: 'replicated' });
  } else if (m.outcome === 'failed') {
    run.events.push({ type: 'send_failed', t: m.answeredAt, user, conv, cmid, reason: 'unavailable' });
  } else {
    run.events.push({ type: 'send_indeterminate', t: m.answeredAt, user, conv, cmid, reason: 'timeout' });
  }
}

/** When a delivery due at `t` reaches the user: then, or by sync just after it reconnects; null if it never does. */
function arrival(
  sessions: Session[],
  due: number,
  slowdown: number,
): { t: number; via: 'push' | 'sync' } | null {
  let t = due;
  let via: 'push' | 'sync' = 'push';
  for (;;) {
    const up = availableAt(sessions, t);
    if (up === null) return null;
    if (up === t) return { t, via };
    t = up + 20 * slowdown;
    via = 'sync';
  }
}

/** What each user received of each conversation, in order: key user NUL conv. */
type Seen = Map<string, { t: number; seq: number }[]>;

/**
 * Every stored message to every member but its sender, in seq order per member and
 * conversation, as a correct server delivers; lost ones to nobody.
 */
function deliver(run: Run, stored: Msg[], rnd: Random): { duplicates: number; seen: Seen } {
  const slow = run.o.bugs.slowdown;
  const last = new Map<string, number>();
  const seen: Seen = new Map();
  let duplicates = 0;
  for (const m of stored) {
    if (m.lost) continue;
    const from = run.home.get(m.user) as string;
    for (const member of (run.convById.get(m.conv) as Conv).members) {
      if (member === m.user) continue;
      const key = `${member}\u0000${m.conv}`;
      const to = run.home.get(member) as string;
      const due =
        m.storedAt +
        (hop(run, from, to) + 20 + rnd.exponential(5)) * loadAt(run, m.storedAt) * slow +
        faultDelay(run, from, to, m.storedAt);
      const sessions = sessionsOf(run, member);
      const got = arrival(sessions, Math.max(due, (last.get(key) ?? 0) + 0.5), slow);
      // Once a message can no longer reach this member, no later one does either: order holds.
      last.set(key, got === null ? Infinity : got.t);
      if (got === null) continue;
      const event: HistoryEvent = {
        type: 'deliver',
        t: got.t,
        user: member,
        session: (sessionAt(sessions, got.t) as Session).id,
        conv: m.conv,
        cmid: m.cmid,
        from: m.user,
        seq: m.seq,
        via: got.via,
        region: regionAt(sessions, got.t),
      };
      run.events.push(event);
      const mine = seen.get(key);
      if (mine === undefined) seen.set(key, [{ t: got.t, seq: m.seq }]);
      else mine.push({ t: got.t, seq: m.seq });
      if (rnd.chance(run.o.bugs.duplicate)) {
        duplicates++;
        run.events.push({ ...event, t: got.t + 3 });
      }
    }
  }
  return { duplicates, seen };
}

/** After each failover the client syncs each of its conversations, from what it had before the drop to the server's head. */
function emitSyncs(run: Run, logs: Map<string, Msg[]>, seen: Seen): void {
  for (const [user, sessions] of run.conns) {
    sessions.forEach((s, k) => {
      const before = sessions[k - 1];
      if (before === undefined) return;
      const t = s.up + 400 * run.o.bugs.slowdown;
      for (const c of run.convs) {
        if (!c.members.includes(user)) continue;
        let head = 0;
        for (const m of logs.get(c.id) ?? []) if (m.storedAt < t) head = m.seq;
        let afterSeq = 0;
        for (const d of seen.get(`${user}\u0000${c.id}`) ?? []) if (d.t < before.down) afterSeq = d.seq;
        run.events.push({ type: 'synced', t, user, session: s.id, conv: c.id, afterSeq, seq: head });
      }
    });
  }
}

/** The heal, digests that agree, final reads, health reports, the clients closing and run_end. */
function finishRun(run: Run, logs: Map<string, Msg[]>): void {
  const { end, events } = run;
  const healed = end - TAIL.healed;
  events.push({ type: 'phase', t: healed, name: 'healed' });
  events.push({ type: 'phase', t: end - TAIL.converged, name: 'converged' });
  events.push({ type: 'phase', t: end - TAIL.finalReads, name: 'final_reads' });
  for (const c of run.convs) {
    const log = (logs.get(c.id) ?? []).filter((m) => !m.lost);
    const lastSeq = log.at(-1)?.seq ?? 0;
    const messages = log.map((m) => ({ seq: m.seq, cmid: m.cmid, from: m.user }));
    for (const region of c.residency ?? run.o.regions) {
      const hash = `h${log.length}-${lastSeq}`;
      events.push({
        type: 'digest',
        t: end - TAIL.digests,
        region,
        conv: c.id,
        count: log.length,
        lastSeq,
        hash,
      });
      events.push({ type: 'final_read', t: end - TAIL.finalRead, region, conv: c.id, ok: true, messages });
    }
  }
  for (let t = T0 + 10_000; t < end; t += 10_000) {
    events.push({ type: 'health', t, sendLagP99Ms: 1.2, sendLagMaxMs: 3, eventLoopDelayP99Ms: 4, ok: true });
  }
  events.push(...connectionEvents(run.conns, end - TAIL.close));
  events.push({ type: 'run_end', t: end });
}
