// The run model: what every checker needs to know about a run besides its own judgement — the
// time base, regions, conversations, users and their sessions, faults, and one record per
// message (conversation, sender, cmid) with its send, outcome and first delivery. It is built
// in one pass, event by event, before the checkers see each event; it never judges anything.
import { type HistoryEvent, HistoryEvent as HistoryEventSchema } from '../contracts/history.ts';
import type { Phase } from './metrics.ts';

export interface ConversationInfo {
  conv: string;
  members: string[];
  memberSet: Set<string>;
  /** The only regions allowed to hold it; undefined means every region of the run. */
  residency: string[] | undefined;
}

export interface SessionInfo {
  id: string;
  user: string;
  /** The user's record, so per-delivery work needs no user lookup. */
  owner: UserInfo;
  /** Region of the current or last connection. */
  region: string | undefined;
  up: boolean;
  /** Flat [up, down, up, down, …] times; a connection still open has down = NaN. */
  intervals: number[];
  /** The region of each connection in `intervals` (one per up/down pair). */
  intervalRegions: string[];
  /**
   * Ids of the messages this session got, each once, in first-delivery order: what a reset
   * walks. The seq each came at is on the message (MessageRecord.receipts).
   */
  got: number[];
}

export interface UserInfo {
  user: string;
  home: string | undefined;
  /** Region of the user's latest connection, else undefined. */
  region: string | undefined;
  sessions: SessionInfo[];
  connUps: number;
  lastConnUpT: number;
  failovers: { t: number; from: string; to: string }[];
  convs: string[];
}

export interface FaultInfo {
  id: string;
  kind: string;
  target: string;
  regions: string[];
  start: number;
  /** NaN until its fault_stop. */
  end: number;
  /** "regionOutage(eu-west)": how explanations name it. */
  label: string;
}

export interface MessageRecord {
  /** Dense index, so checkers can keep per-message state in arrays. */
  id: number;
  conv: string;
  from: string;
  cmid: string;
  /** NaN when no send event was seen. */
  sendT: number;
  intendedAt: number;
  sendRegion: string | undefined;
  /** Phase at the intended send time (at first sight when the send was not seen). */
  phase: Phase;
  acked: boolean;
  ackT: number;
  /** Seq of the (first) ack; NaN when not acked. */
  seq: number;
  level: string | undefined;
  ackRegion: string | undefined;
  failedT: number;
  failReason: string | undefined;
  indeterminateT: number;
  indeterminateReason: string | undefined;
  firstDeliveryT: number;
  deliveries: number;
  /** The first seq any ack, delivery or final log gave it; NaN until then. */
  firstSeq: number;
  /**
   * Who got it: flat [session, seq, session, seq, …] pairs, one per session, in first-delivery
   * order; the seq is DROPPED once a reset made that client drop it (so a redelivery is not a
   * duplicate, yet the user is known to have had it). Undefined until the first delivery. Kept
   * on the message, not per session, so a delivery looks at the few receivers of the message it
   * already holds instead of probing a map per session.
   */
  receipts: (SessionInfo | number)[] | undefined;
}

export interface FinalRead {
  region: string;
  conv: string;
  t: number;
  ok: boolean;
  error: string | undefined;
  messages: { seq: number; cmid: string; from: string }[];
  /** The message record of each entry (parallel to `messages`); undefined for one no event named. */
  records: (MessageRecord | undefined)[];
}

export interface RunModel {
  hasRunStart: boolean;
  runId: string | undefined;
  scenario: string | undefined;
  seed: number | undefined;
  /** Time zero of every explanation: run_start's t, else the first event's. */
  t0: number;
  firstT: number;
  lastT: number;
  /** NaN when the history has no run_end (a killed run). */
  runEndT: number;
  regions: string[];
  ackLevel: string | undefined;
  events: number;
  invalidEvents: number;
  firstInvalid: string | undefined;
  conversations: Map<string, ConversationInfo>;
  users: Map<string, UserInfo>;
  sessions: Map<string, SessionInfo>;
  faults: FaultInfo[];
  faultsById: Map<string, FaultInfo>;
  phases: { name: string; t: number }[];
  messages: MessageRecord[];
  /**
   * conversation → sender → cmid → message, for the messages whose cmid an earlier message of
   * another conversation or sender already holds in byCmid (nested, so no key string is built
   * per event). Empty when cmids are unique, as they usually are: a million-message run pays
   * for one map, not two.
   */
  index: Map<string, Map<string, Map<string, MessageRecord>>>;
  /** cmid → the first message with that cmid: every message is here or, if its cmid was taken, in index. */
  byCmid: Map<string, MessageRecord>;
  /** Per conversation, per region: the read that stands (the last ok one, else the last one). */
  finalReads: Map<string, Map<string, FinalRead>>;
  health: { reports: number; invalid: boolean; reasons: string[] };
  /** Some user received its own message: the target echoes senders' messages back. */
  ownEcho: boolean;
  /** Any conn_up at all: without them every user counts as connected throughout. */
  sawConnections: boolean;
  /** The message the current event is about (send, ack, outcome or delivery). */
  current: MessageRecord | undefined;
  /** For a final_read event: the record of each entry, as in FinalRead.records. */
  currentRead: (MessageRecord | undefined)[] | undefined;
  /** The current delivery is the first of its message to that user. */
  currentFirstToUser: boolean;
  /**
   * For the current delivery: the seq the same session already got this message at (since the
   * last reset of that conversation dropped it), else NaN.
   */
  currentRepeatOf: number;
}

export function createRunModel(): RunModel {
  return {
    hasRunStart: false,
    runId: undefined,
    scenario: undefined,
    seed: undefined,
    t0: Number.NaN,
    firstT: Number.NaN,
    lastT: Number.NaN,
    runEndT: Number.NaN,
    regions: [],
    ackLevel: undefined,
    events: 0,
    invalidEvents: 0,
    firstInvalid: undefined,
    conversations: new Map(),
    users: new Map(),
    sessions: new Map(),
    faults: [],
    faultsById: new Map(),
    phases: [],
    messages: [],
    index: new Map(),
    byCmid: new Map(),
    finalReads: new Map(),
    health: { reports: 0, invalid: false, reasons: [] },
    ownEcho: false,
    sawConnections: false,
    current: undefined,
    currentFirstToUser: false,
    currentRead: undefined,
    currentRepeatOf: Number.NaN,
  };
}

/** What a message no one got yet walks, without an array per first delivery. */
const NO_RECEIPTS: readonly (SessionInfo | number)[] = [];

/** Marks a delivery a reset made the client drop. */
const DROPPED = Number.NEGATIVE_INFINITY;

/** Whether any session of `user` ever received the message. */
export function wasDelivered(model: RunModel, user: string, m: MessageRecord): boolean {
  const info = model.users.get(user);
  return info !== undefined && deliveredToUser(info, m);
}

/** Whether any session of the user ever received the message, the user's record in hand. */
export function deliveredToUser(user: UserInfo, m: MessageRecord): boolean {
  const r = m.receipts;
  if (r === undefined) return false;
  for (let i = 0; i < r.length; i += 2) if ((r[i] as SessionInfo).owner === user) return true;
  return false;
}

/** The seq the session got the message at (DROPPED after a reset dropped it), else undefined. */
export function receiptOf(m: MessageRecord, session: SessionInfo): number | undefined {
  const r = m.receipts;
  if (r === undefined) return undefined;
  for (let i = 0; i < r.length; i += 2) if (r[i] === session) return r[i + 1] as number;
  return undefined;
}

/** The message (conversation, sender, cmid) if any event named it. */
export function findMessage(
  model: RunModel,
  conv: string,
  from: string,
  cmid: string,
): MessageRecord | undefined {
  const quick = model.byCmid.get(cmid);
  if (quick === undefined) return undefined;
  if (quick.conv === conv && quick.from === from) return quick;
  return model.index.get(conv)?.get(from)?.get(cmid);
}

export function userOf(model: RunModel, user: string): UserInfo {
  let info = model.users.get(user);
  if (info === undefined) {
    info = {
      user,
      home: undefined,
      region: undefined,
      sessions: [],
      connUps: 0,
      lastConnUpT: Number.NaN,
      failovers: [],
      convs: [],
    };
    model.users.set(user, info);
  }
  return info;
}

function sessionOf(model: RunModel, user: string, id: string): SessionInfo {
  let s = model.sessions.get(id);
  if (s === undefined) {
    const owner = userOf(model, user);
    s = {
      id,
      user,
      owner,
      region: undefined,
      up: false,
      intervals: [],
      intervalRegions: [],
      got: [],
    };
    model.sessions.set(id, s);
    owner.sessions.push(s);
  }
  return s;
}

export function messageOf(
  model: RunModel,
  conv: string,
  from: string,
  cmid: string,
  t: number,
): MessageRecord {
  const quick = model.byCmid.get(cmid);
  if (quick === undefined) {
    const m = newMessage(model, conv, from, cmid, t);
    model.byCmid.set(cmid, m);
    return m;
  }
  if (quick.conv === conv && quick.from === from) return quick;
  // A cmid another conversation or sender already used: only such messages go to the nested index.
  let bySender = model.index.get(conv);
  if (bySender === undefined) {
    bySender = new Map();
    model.index.set(conv, bySender);
  }
  let byCmid = bySender.get(from);
  if (byCmid === undefined) {
    byCmid = new Map();
    bySender.set(from, byCmid);
  }
  let m = byCmid.get(cmid);
  if (m === undefined) {
    m = newMessage(model, conv, from, cmid, t);
    byCmid.set(cmid, m);
  }
  return m;
}

function newMessage(model: RunModel, conv: string, from: string, cmid: string, t: number): MessageRecord {
  const m: MessageRecord = {
    id: model.messages.length,
    conv,
    from,
    cmid,
    sendT: Number.NaN,
    intendedAt: Number.NaN,
    sendRegion: undefined,
    phase: phaseAt(model, t),
    acked: false,
    ackT: Number.NaN,
    seq: Number.NaN,
    level: undefined,
    ackRegion: undefined,
    failedT: Number.NaN,
    failReason: undefined,
    indeterminateT: Number.NaN,
    indeterminateReason: undefined,
    firstDeliveryT: Number.NaN,
    deliveries: 0,
    firstSeq: Number.NaN,
    receipts: undefined,
  };
  model.messages.push(m);
  return m;
}

/** "fault" while any fault is active at t, "before" until the first fault starts, else "after". */
export function phaseAt(model: RunModel, t: number): Phase {
  let started = false;
  for (const f of model.faults) {
    if (f.start <= t) {
      if (Number.isNaN(f.end) || t < f.end) return 'fault';
      started = true;
    }
  }
  return started ? 'after' : 'before';
}

export function activeFaultsAt(model: RunModel, t: number): FaultInfo[] {
  return model.faults.filter((f) => f.start <= t && (Number.isNaN(f.end) || t < f.end));
}

/** The end of observation: run_end, else the last event (a killed run). */
export function endTime(model: RunModel): number {
  return Number.isNaN(model.runEndT) ? model.lastT : model.runEndT;
}

/** Seconds since the run start. */
export function relSeconds(model: RunModel, t: number): number {
  return Math.round((t - model.t0) / 100) / 10;
}

/** Regions a conversation may live in: its residency, else every region of the run. */
export function allowedRegions(model: RunModel, conv: string): string[] {
  return model.conversations.get(conv)?.residency ?? model.regions;
}

/** The region a user is attached to now: its latest connection, else its home. */
export function regionOfUser(model: RunModel, user: string): string | undefined {
  const u = model.users.get(user);
  return u?.region ?? u?.home;
}

export function faultLabel(kind: string, target: string): string {
  return target === '' ? kind : `${kind}(${target})`;
}

function storeFinalRead(
  model: RunModel,
  e: Extract<HistoryEvent, { type: 'final_read' }>,
  records: (MessageRecord | undefined)[],
): void {
  let byRegion = model.finalReads.get(e.conv);
  if (byRegion === undefined) {
    byRegion = new Map();
    model.finalReads.set(e.conv, byRegion);
  }
  const prev = byRegion.get(e.region);
  // A failed read ("unknown") never hides a successful one.
  if (prev?.ok && !e.ok) return;
  byRegion.set(e.region, {
    region: e.region,
    conv: e.conv,
    t: e.t,
    ok: e.ok,
    error: e.error,
    messages: e.messages,
    records,
  });
}

function noteRegion(model: RunModel, region: string | undefined): void {
  // Without run_start (a cut history) the regions are whatever the events name.
  if (region !== undefined && !model.hasRunStart && !model.regions.includes(region))
    model.regions.push(region);
}

function onSend(model: RunModel, e: Extract<HistoryEvent, { type: 'send' }>, t: number): void {
  const m = messageOf(model, e.conv, e.user, e.cmid, e.intendedAt);
  if (Number.isNaN(m.sendT)) {
    m.sendT = t;
    m.intendedAt = e.intendedAt;
    m.sendRegion = e.region ?? regionOfUser(model, e.user);
    m.phase = phaseAt(model, e.intendedAt);
  }
  model.current = m;
}

function onAck(model: RunModel, e: Extract<HistoryEvent, { type: 'ack' }>, t: number): void {
  const m = messageOf(model, e.conv, e.user, e.cmid, t);
  if (Number.isNaN(m.firstSeq)) m.firstSeq = e.seq;
  if (!m.acked) {
    m.acked = true;
    m.ackT = t;
    m.seq = e.seq;
    m.level = e.level ?? model.ackLevel;
    m.ackRegion = e.region ?? regionOfUser(model, e.user);
  }
  model.current = m;
}

function onDeliver(model: RunModel, e: Extract<HistoryEvent, { type: 'deliver' }>, t: number): void {
  const m = messageOf(model, e.conv, e.from, e.cmid, t);
  const session = sessionOf(model, e.user, e.session);
  const r = m.receipts ?? NO_RECEIPTS;
  // One walk over the message's few receivers: this session's receipt, and whether another
  // session of the same user already got it.
  let mine = -1;
  let elsewhere = false;
  for (let i = 0; i < r.length; i += 2) {
    const s = r[i] as SessionInfo;
    if (s === session) mine = i + 1;
    else if (s.owner === session.owner) elsewhere = true;
  }
  if (mine === -1) {
    m.receipts = withReceipt(r, session, e.seq);
    session.got.push(m.id);
    model.currentFirstToUser = !elsewhere;
  } else if (r[mine] === DROPPED) {
    m.receipts![mine] = e.seq;
  } else {
    model.currentRepeatOf = r[mine] as number;
  }
  if (m.deliveries === 0) m.firstDeliveryT = t;
  if (Number.isNaN(m.firstSeq)) m.firstSeq = e.seq;
  m.deliveries++;
  if (e.from === e.user) model.ownEcho = true;
  noteRegion(model, e.region);
  model.current = m;
}

/**
 * The receipts with one more pair, in an array of exactly that size: push would grow a message's
 * 2-slot array to 19 slots, 60 bytes more per message than its 3 or 4 receivers need.
 */
function withReceipt(
  r: readonly (SessionInfo | number)[],
  session: SessionInfo,
  seq: number,
): (SessionInfo | number)[] {
  const n = r.length;
  const next = new Array<SessionInfo | number>(n + 2);
  for (let i = 0; i < n; i++) next[i] = r[i] as SessionInfo | number;
  next[n] = session;
  next[n + 1] = seq;
  return next;
}

function onConnUp(model: RunModel, e: Extract<HistoryEvent, { type: 'conn_up' }>, t: number): void {
  const s = sessionOf(model, e.user, e.session);
  if (s.up) s.intervals[s.intervals.length - 1] = t;
  s.up = true;
  s.region = e.region;
  s.intervals.push(t, Number.NaN);
  s.intervalRegions.push(e.region);
  const u = userOf(model, e.user);
  u.region = e.region;
  u.connUps++;
  u.lastConnUpT = t;
  model.sawConnections = true;
  noteRegion(model, e.region);
}

function onFinalRead(model: RunModel, e: Extract<HistoryEvent, { type: 'final_read' }>): void {
  const records = e.messages.map((entry) => findMessage(model, e.conv, entry.from, entry.cmid));
  e.messages.forEach((entry, i) => {
    const m = records[i];
    if (e.ok && m !== undefined && Number.isNaN(m.firstSeq)) m.firstSeq = entry.seq;
  });
  storeFinalRead(model, e, records);
  model.currentRead = records;
  noteRegion(model, e.region);
}

export function observe(model: RunModel, e: HistoryEvent): void {
  model.events++;
  model.current = undefined;
  model.currentFirstToUser = false;
  model.currentRepeatOf = Number.NaN;
  model.currentRead = undefined;
  const t = e.t;
  if (Number.isNaN(model.firstT)) model.firstT = t;
  // Stryker disable next-line EqualityOperator: "<" only also reassigns lastT when t equals it, to the same value
  if (!(t <= model.lastT)) model.lastT = t;
  if (Number.isNaN(model.t0)) model.t0 = t;
  switch (e.type) {
    case 'run_start':
      model.hasRunStart = true;
      model.runId = e.runId;
      model.scenario = e.scenario;
      model.seed = e.seed;
      model.t0 = e.t;
      model.regions = [...e.regions];
      model.ackLevel = e.ackLevel;
      break;
    case 'conversation': {
      model.conversations.set(e.conv, {
        conv: e.conv,
        members: e.members,
        memberSet: new Set(e.members),
        residency: e.residency,
      });
      for (const member of e.members) userOf(model, member).convs.push(e.conv);
      break;
    }
    case 'user': {
      const u = userOf(model, e.user);
      u.home = e.region;
      noteRegion(model, e.region);
      break;
    }
    case 'send':
      onSend(model, e, t);
      break;
    case 'ack':
      onAck(model, e, t);
      break;
    case 'send_failed': {
      const m = messageOf(model, e.conv, e.user, e.cmid, t);
      if (Number.isNaN(m.failedT)) {
        m.failedT = t;
        m.failReason = e.reason;
      }
      model.current = m;
      break;
    }
    case 'send_indeterminate': {
      const m = messageOf(model, e.conv, e.user, e.cmid, t);
      if (Number.isNaN(m.indeterminateT)) {
        m.indeterminateT = t;
        m.indeterminateReason = e.reason;
      }
      model.current = m;
      break;
    }
    case 'deliver':
      onDeliver(model, e, t);
      break;
    case 'conn_up':
      onConnUp(model, e, t);
      break;
    case 'conn_down': {
      const s = sessionOf(model, e.user, e.session);
      if (s.up) s.intervals[s.intervals.length - 1] = t;
      s.up = false;
      break;
    }
    case 'failover':
      userOf(model, e.user).failovers.push({ t, from: e.from, to: e.to });
      sessionOf(model, e.user, e.session);
      break;
    case 'fault_start': {
      const f: FaultInfo = {
        id: e.faultId,
        kind: e.kind,
        target: e.target,
        regions: e.regions ?? [],
        start: t,
        end: Number.NaN,
        label: faultLabel(e.kind, e.target),
      };
      model.faults.push(f);
      model.faultsById.set(f.id, f);
      break;
    }
    case 'fault_stop': {
      const f = model.faultsById.get(e.faultId);
      if (f !== undefined && Number.isNaN(f.end)) f.end = t;
      break;
    }
    case 'reset': {
      // The client drops what it holds past the reset seq, so getting it again is expected.
      const session = model.sessions.get(e.session);
      if (session !== undefined) {
        for (const id of session.got) {
          const m = model.messages[id]!;
          if (m.conv === e.conv) dropReceipt(m, session, e.seq);
        }
      }
      break;
    }
    case 'phase':
      model.phases.push({ name: e.name, t });
      break;
    case 'final_read':
      onFinalRead(model, e);
      break;
    case 'health':
      model.health.reports++;
      if (!e.ok) {
        model.health.invalid = true;
        const reason = e.reason ?? `send lag p99 ${e.sendLagP99Ms} ms`;
        if (model.health.reasons.length < 10 && !model.health.reasons.includes(reason))
          model.health.reasons.push(reason);
      }
      break;
    case 'run_end':
      model.runEndT = t;
      break;
    // synced, out_of_order and digest events matter to single checkers only.
  }
}

/** Marks the session's receipt of the message dropped when it came past the reset seq. */
function dropReceipt(m: MessageRecord, session: SessionInfo, resetSeq: number): void {
  const r = m.receipts!;
  for (let i = 0; i < r.length; i += 2) {
    if (r[i] === session) {
      if ((r[i + 1] as number) > resetSeq) r[i + 1] = DROPPED;
      return;
    }
  }
}

/**
 * Validates one raw event against the history schema (the file reader only frames lines).
 * Returns the parsed event, or undefined after counting it as invalid.
 */
export function ingest(model: RunModel, raw: unknown): HistoryEvent | undefined {
  if (isValidHotEvent(raw)) return raw;
  const parsed = HistoryEventSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  model.invalidEvents++;
  if (model.firstInvalid === undefined) {
    const issue = parsed.error.issues[0];
    const type = typeof raw === 'object' && raw !== null ? (raw as { type?: unknown }).type : undefined;
    model.firstInvalid = `${typeof type === 'string' ? type : 'event'} #${model.events + model.invalidEvents}: ${
      issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'
    }`;
  }
  return undefined;
}

/**
 * Whether `user` had a connection that stayed up for a continuous `graceMs` after `fromT`,
 * outside every fault window touching that connection's region. Such a user had every chance
 * to receive a message acked at `fromT`, by push or by the sync after reconnecting. Without any
 * conn_up in the history, every user counts as connected from the run start to its end.
 */
export function hadQuietConnection(model: RunModel, user: string, fromT: number, graceMs: number): boolean {
  const end = endTime(model);
  if (!model.sawConnections) return end - Math.max(fromT, model.t0) >= graceMs;
  const info = model.users.get(user);
  if (info === undefined) return false;
  for (const s of info.sessions) {
    for (const [k, region] of s.intervalRegions.entries()) {
      const up = s.intervals[2 * k] as number;
      const rawDown = s.intervals[2 * k + 1] as number;
      const down = Number.isNaN(rawDown) ? end : rawDown;
      if (quietStretch(model, region, Math.max(up, fromT), down, graceMs, end)) return true;
    }
  }
  return false;
}

/** Whether [from, to) holds `graceMs` in one piece outside every fault window touching `region`. */
function quietStretch(
  model: RunModel,
  region: string,
  from: number,
  to: number,
  graceMs: number,
  end: number,
): boolean {
  // The region's fault windows that start before the stretch ends, in start order.
  const windows = model.faults
    .filter((f) => f.start < to && f.regions.includes(region))
    .map((f): [number, number] => [f.start, Number.isNaN(f.end) ? end : f.end])
    .sort((a, b) => a[0] - b[0]);
  let cursor = from;
  for (const [s, e] of windows) {
    if (s - cursor >= graceMs) return true;
    cursor = Math.max(cursor, e);
  }
  return to - cursor >= graceMs;
}

const isStr = (v: unknown): boolean => typeof v === 'string' && v.length > 0;
const isOptStr = (v: unknown): boolean => v === undefined || typeof v === 'string';
const isNum = (v: unknown): boolean => Number.isFinite(v);
const isInt = (v: unknown): boolean => Number.isSafeInteger(v);

/**
 * The schema check for the three events that make up almost all of a history (send, ack,
 * deliver) and for final_read, whose entries (every message of a conversation, per region)
 * outnumber all other events together: written out so a million of them are not each copied
 * by zod. It accepts exactly what contracts/history.ts accepts (a test holds the two
 * together); anything it does not accept goes to zod, which either accepts it or says what is
 * wrong.
 */
export function isValidHotEvent(raw: unknown): raw is HistoryEvent {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return false;
  const e = raw as Record<string, unknown>;
  switch (e.type) {
    case 'deliver':
      return (
        isNum(e.t) &&
        isStr(e.user) &&
        isStr(e.session) &&
        isStr(e.conv) &&
        isStr(e.cmid) &&
        isStr(e.from) &&
        isInt(e.seq) &&
        (e.via === 'push' || e.via === 'sync') &&
        isOptStr(e.region)
      );
    case 'send':
      return (
        isNum(e.t) &&
        isNum(e.intendedAt) &&
        isStr(e.user) &&
        isStr(e.conv) &&
        isStr(e.cmid) &&
        isOptStr(e.region)
      );
    case 'ack':
      return (
        isNum(e.t) &&
        isStr(e.user) &&
        isStr(e.conv) &&
        isStr(e.cmid) &&
        isInt(e.seq) &&
        (e.epoch === undefined || isInt(e.epoch)) &&
        isOptStr(e.level) &&
        isOptStr(e.region)
      );
    case 'final_read':
      return (
        isNum(e.t) &&
        isStr(e.region) &&
        isStr(e.conv) &&
        typeof e.ok === 'boolean' &&
        isOptStr(e.error) &&
        Array.isArray(e.messages) &&
        e.messages.every(isLogEntry)
      );
    default:
      return false;
  }
}

/** One entry of a final log: { seq, cmid, from }. */
function isLogEntry(raw: unknown): boolean {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return false;
  const entry = raw as Record<string, unknown>;
  return isInt(entry.seq) && isStr(entry.cmid) && isStr(entry.from);
}
