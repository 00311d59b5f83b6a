// What one user sees across reconnects and failovers (client-centric guarantees).
// - Read-your-writes: a sync on a connection opened after the user's message was acked must
//   report the conversation at or past that message's seq, unless a reset on that connection
//   said history was cut. When the target echoes senders' own messages (some user received
//   its own message), such a sync must also have delivered it.
// - Monotonic reads: a user's sync never reports a lower seq than the user had already seen
//   (delivered or synced) in that conversation, unless a reset came in between.
// - Silent gaps: by the end, a user's delivered seqs skip a seq that holds someone else's
//   message, below the highest seq it received, and no reset at or above it said so.

import type { HistoryEvent } from '../contracts/history.ts';
import { at, when } from './explain.ts';
import { addCount, type MetricStore } from './metrics.ts';
import { type RunModel, relSeconds } from './model.ts';
import {
  type Checker,
  type CheckOptions,
  createExampleList,
  type Example,
  type ExampleList,
} from './result.ts';
import { runChecker } from './run-checker.ts';
import { createSeqSlots, getSlot, type SeqSlots, setSlot } from './seq-slots.ts';
import { findSilentGaps, type Received } from './silent-gaps.ts';

export interface SessionGuaranteesResult {
  readYourWritesViolations: number;
  monotonicReadViolations: number;
  silentGaps: number;
  /** Messages inside the silent gaps. */
  silentGapMessages: number;
  notes: string[];
  examples: Example[];
}

interface UserConv extends Received {
  /** Per own ack, in history order: the user's ack ordinal, and running max seq / its cmid. */
  ackOrdinals: number[];
  ackMaxSeq: number[];
  ackMaxCmid: string[];
  ackMaxT: number[];
  /** Highest seq seen (delivered or synced) since the last reset, when, and how (SEEN_*). */
  seen: number;
  seenT: number;
  seenHow: number;
}

/** How a user came to see seq `seen`: a code, so a delivery builds no sentence (seenText does, for an example). */
const SEEN_RECEIVED = 0;
const SEEN_RESET = 1;
const SEEN_SYNCED = 2;

/** "received seq 7", as the monotonic-reads explanation says what the user had already seen. */
function seenText(s: UserConv): string {
  if (s.seenHow === SEEN_RESET) return `been reset to seq ${s.seen}`;
  if (s.seenHow === SEEN_SYNCED) return `synced to seq ${s.seen}`;
  return `received seq ${s.seen}`;
}

/** What the checker keeps across events besides each user's conversations. */
interface Kept {
  /** Per session: the user's ack ordinal when its current connection came up, and when. */
  connOrdinal: Map<string, { ordinal: number; t: number; region: string }>;
  /** Sessions that got a reset for a conversation on their current connection. */
  resetOnConn: Set<string>;
  ryw: ExampleList;
  rywEcho: ExampleList;
  mono: ExampleList;
  rywCount: number;
  rywEchoCount: number;
  monoCount: number;
}

function createKept(maxExamples: number): Kept {
  return {
    connOrdinal: new Map(),
    resetOnConn: new Set(),
    ryw: createExampleList(maxExamples),
    rywEcho: createExampleList(maxExamples),
    mono: createExampleList(maxExamples),
    rywCount: 0,
    rywEchoCount: 0,
    monoCount: 0,
  };
}

export function createSessionGuaranteesChecker(options: CheckOptions): Checker<SessionGuaranteesResult> {
  const state = new Map<string, Map<string, UserConv>>();
  /** Acks per user so far: ordinals order acks against conn_ups in history order. */
  const userAcks = new Map<string, number>();
  /** Per conversation: seq → sender, from every source, to know which skipped seqs hold a message. */
  const seqSender = new Map<string, SeqSlots<string>>();
  const k = createKept(options.maxExamples);
  const { connOrdinal, resetOnConn } = k;

  const of = (user: string, conv: string): UserConv => {
    let byConv = state.get(user);
    if (byConv === undefined) {
      byConv = new Map();
      state.set(user, byConv);
    }
    let s = byConv.get(conv);
    if (s === undefined) {
      s = {
        ackOrdinals: [],
        ackMaxSeq: [],
        ackMaxCmid: [],
        ackMaxT: [],
        seen: Number.NEGATIVE_INFINITY,
        seenT: Number.NaN,
        // Stryker disable next-line NumericLiteral: never shown; seenHow is read only once seen rose above -Infinity, which also set it
        seenHow: SEEN_RECEIVED,
        resetCover: Number.NEGATIVE_INFINITY,
        delivered: createSeqSlots(),
        maxDelivered: Number.NEGATIVE_INFINITY,
      };
      byConv.set(conv, s);
    }
    return s;
  };

  const noteSeq = (conv: string, seq: number, from: string): void => {
    let m = seqSender.get(conv);
    if (m === undefined) {
      m = createSeqSlots();
      seqSender.set(conv, m);
    }
    if (getSlot(m, seq) === undefined) setSlot(m, seq, from);
  };

  return {
    name: 'session-guarantees',
    add(e: HistoryEvent, model: RunModel) {
      switch (e.type) {
        case 'ack': {
          const ordinal = (userAcks.get(e.user) ?? 0) + 1;
          userAcks.set(e.user, ordinal);
          const s = of(e.user, e.conv);
          const n = s.ackMaxSeq.length;
          const prevMax = n === 0 ? Number.NEGATIVE_INFINITY : (s.ackMaxSeq[n - 1] as number);
          s.ackOrdinals.push(ordinal);
          if (e.seq > prevMax) {
            s.ackMaxSeq.push(e.seq);
            s.ackMaxCmid.push(e.cmid);
            s.ackMaxT.push(e.t);
          } else {
            s.ackMaxSeq.push(prevMax);
            s.ackMaxCmid.push(s.ackMaxCmid[n - 1] as string);
            s.ackMaxT.push(s.ackMaxT[n - 1] as number);
          }
          break;
        }
        case 'conn_up':
          connOrdinal.set(e.session, { ordinal: userAcks.get(e.user) ?? 0, t: e.t, region: e.region });
          for (const key of resetOnConn) if (key.startsWith(`${e.session}\u0000`)) resetOnConn.delete(key);
          break;
        case 'deliver': {
          const s = of(e.user, e.conv);
          if (getSlot(s.delivered, e.seq) === undefined) setSlot(s.delivered, e.seq, e.t);
          // Stryker disable next-line EqualityOperator: on equal seqs the assignment writes the value already there
          if (e.seq > s.maxDelivered) s.maxDelivered = e.seq;
          if (e.seq > s.seen) {
            s.seen = e.seq;
            s.seenT = e.t;
            s.seenHow = SEEN_RECEIVED;
          }
          break;
        }
        case 'final_read': {
          // Messages no other event named still hold seqs a user may have skipped.
          if (!e.ok) break;
          const records = model.currentRead!;
          e.messages.forEach((entry, k) => {
            if (records[k] === undefined) noteSeq(e.conv, entry.seq, entry.from);
          });
          break;
        }
        case 'reset': {
          const s = of(e.user, e.conv);
          s.seen = e.seq;
          s.seenT = e.t;
          s.seenHow = SEEN_RESET;
          // Stryker disable next-line EqualityOperator: on equal seqs the assignment writes the value already there
          if (e.seq > s.resetCover) s.resetCover = e.seq;
          resetOnConn.add(`${e.session}\u0000${e.conv}`);
          break;
        }
        case 'synced':
          onSynced(k, of(e.user, e.conv), e, model);
          break;
      }
    },
    finish(model: RunModel, metrics: MetricStore): SessionGuaranteesResult {
      const notes: string[] = [];
      const readYourWrites = k.rywCount + (model.ownEcho ? k.rywEchoCount : 0);
      if (!model.ownEcho && k.rywEchoCount > 0) {
        notes.push(
          'no user ever received its own message, so syncs were not required to deliver the sender’s own messages',
        );
      }

      const {
        gaps,
        gapMessages,
        examples: gapExamples,
      } = findSilentGaps(model, state, seqSender, options.maxExamples);
      addCount(metrics, 'read_your_writes_violations', readYourWrites);
      addCount(metrics, 'monotonic_read_violations', k.monoCount);
      addCount(metrics, 'silent_gaps', gaps);
      return {
        readYourWritesViolations: readYourWrites,
        monotonicReadViolations: k.monoCount,
        silentGaps: gaps,
        silentGapMessages: gapMessages,
        notes,
        examples: [
          ...k.ryw.items,
          ...(model.ownEcho ? k.rywEcho.items : []),
          ...k.mono.items,
          ...gapExamples,
        ],
      };
    },
  };
}

type SyncedEvent = Extract<HistoryEvent, { type: 'synced' }>;

/** A sync: monotonic reads first, then read-your-writes unless a reset on this connection cut history. */
function onSynced(k: Kept, s: UserConv, e: SyncedEvent, model: RunModel): void {
  checkMonotonicRead(k, s, e, model);
  if (k.resetOnConn.has(`${e.session}\u0000${e.conv}`)) return;
  // Stryker disable next-line ConditionalExpression: without acks lastAtOrBelow gives -1 and ownSeq is undefined, so nothing below counts
  if (s.ackOrdinals.length === 0) return;
  if (checkReadYourWrites(k, s, e, model)) return;
  checkOwnEcho(k, s, e, model);
}

function checkMonotonicRead(k: Kept, s: UserConv, e: SyncedEvent, model: RunModel): void {
  if (e.seq < s.seen) {
    k.monoCount++;
    // Stryker disable next-line ConditionalExpression: only skips building a sentence; add() keeps no more than maxExamples either way
    if (k.mono.wanted) {
      k.mono.add({
        check: 'monotonic-reads',
        message: `User ${e.user}'s sync of ${e.conv} reported seq ${e.seq}, but ${e.user} had already ${seenText(s)} at ${at(model, s.seenT)}, with no reset in between; the sync finished ${when(model, e.t)}.`,
        conv: e.conv,
        user: e.user,
        ...(regionOf(model, e.session) !== undefined ? { region: regionOf(model, e.session) } : {}),
        t: relSeconds(model, e.t),
      });
    }
  } else if (e.seq > s.seen) {
    s.seen = e.seq;
    s.seenT = e.t;
    s.seenHow = SEEN_SYNCED;
  }
}

/**
 * Read-your-writes: the user's writes acked before this connection came up must be within what
 * the sync reports. Returns whether the sync broke it.
 */
function checkReadYourWrites(k: Kept, s: UserConv, e: SyncedEvent, model: RunModel): boolean {
  const conn = k.connOrdinal.get(e.session);
  if (conn === undefined) return false;
  const idx = lastAtOrBelow(s.ackOrdinals, conn.ordinal);
  // No ack before this connection (idx -1): nothing is required.
  if (e.seq >= (s.ackMaxSeq[idx] ?? Number.NEGATIVE_INFINITY)) return false;
  k.rywCount++;
  // Stryker disable next-line ConditionalExpression: only skips building a sentence; add() keeps no more than maxExamples either way
  if (k.ryw.wanted) {
    const ownSeq = s.ackMaxSeq[idx] as number;
    const ownCmid = s.ackMaxCmid[idx] as string;
    k.ryw.add({
      check: 'read-your-writes',
      message: `User ${e.user}'s sync of ${e.conv} on a connection to ${conn.region} (opened at ${at(model, conn.t)}) said the log ends at seq ${e.seq}, below its own message ${ownCmid} acked with seq ${ownSeq} at ${at(model, s.ackMaxT[idx] as number)}; the sync finished ${when(model, e.t)}.`,
      conv: e.conv,
      cmid: ownCmid,
      from: e.user,
      user: e.user,
      region: conn.region,
      t: relSeconds(model, e.t),
    });
  }
  // Stryker disable next-line BooleanLiteral: the own-echo check could not count here either: its message is the latest ack, at or above the one this sync fell below
  return true;
}

/** With echo: a sync whose range covers the user's latest acked message must deliver it. */
function checkOwnEcho(k: Kept, s: UserConv, e: SyncedEvent, model: RunModel): void {
  const n = s.ackOrdinals.length;
  const ownSeq = s.ackMaxSeq[n - 1] as number;
  if (ownSeq > e.afterSeq && ownSeq <= e.seq && getSlot(s.delivered, ownSeq) === undefined) {
    k.rywEchoCount++;
    // Stryker disable next-line ConditionalExpression: only skips building a sentence; add() keeps no more than maxExamples either way
    if (k.rywEcho.wanted) {
      const ownCmid = s.ackMaxCmid[n - 1] as string;
      const region = regionOf(model, e.session);
      k.rywEcho.add({
        check: 'read-your-writes',
        message: `User ${e.user}'s sync of ${e.conv} after seq ${e.afterSeq} reported seq ${e.seq} but never delivered its own message ${ownCmid} (seq ${ownSeq}, acked at ${at(model, s.ackMaxT[n - 1] as number)}), though the target echoes senders' messages; the sync finished ${when(model, e.t)}.`,
        conv: e.conv,
        cmid: ownCmid,
        from: e.user,
        user: e.user,
        ...(region !== undefined ? { region } : {}),
        t: relSeconds(model, e.t),
      });
    }
  }
}

function regionOf(model: RunModel, session: string): string | undefined {
  return model.sessions.get(session)?.region;
}

/** Index of the last element ≤ x in an ascending array, or -1. */
function lastAtOrBelow(sorted: number[], x: number): number {
  let lo = 0;
  // Stryker disable next-line ArithmeticOperator: a probe past the end reads undefined, which is never <= x, as for an element above x
  let hi = sorted.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) <= x) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Read-your-writes, monotonic reads and silent gaps over a whole history. */
export function checkSessionGuarantees(
  events: Iterable<HistoryEvent>,
  options: Partial<CheckOptions> = {},
): SessionGuaranteesResult {
  return runChecker(createSessionGuaranteesChecker, events, options);
}
