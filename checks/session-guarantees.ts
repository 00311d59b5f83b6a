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
import { at, plural, seqRange, when } from './explain.ts';
import { addCount, type MetricStore } from './metrics.ts';
import { type RunModel, relSeconds } from './model.ts';
import { type Checker, type CheckOptions, createExampleList, type Example } from './result.ts';
import { runChecker } from './run-checker.ts';
import { createSeqSlots, getSlot, type SeqSlots, setSlot, slotSeqs } from './seq-slots.ts';

export interface SessionGuaranteesResult {
  readYourWritesViolations: number;
  monotonicReadViolations: number;
  silentGaps: number;
  /** Messages inside the silent gaps. */
  silentGapMessages: number;
  notes: string[];
  examples: Example[];
}

interface UserConv {
  /** Per own ack, in history order: the user's ack ordinal, and running max seq / its cmid. */
  ackOrdinals: number[];
  ackMaxSeq: number[];
  ackMaxCmid: string[];
  ackMaxT: number[];
  /** Highest seq seen (delivered or synced) since the last reset, and where. */
  seen: number;
  seenT: number;
  seenHow: string;
  /** Highest seq any reset moved this user to: gaps at or below it were announced. */
  resetCover: number;
  /** Seq → delivery time, for gap detection. */
  delivered: SeqSlots<number>;
  maxDelivered: number;
}

export function createSessionGuaranteesChecker(options: CheckOptions): Checker<SessionGuaranteesResult> {
  const state = new Map<string, Map<string, UserConv>>();
  /** Acks per user so far: ordinals order acks against conn_ups in history order. */
  const userAcks = new Map<string, number>();
  /** Per session: the user's ack ordinal when its current connection came up, and when. */
  const connOrdinal = new Map<string, { ordinal: number; t: number; region: string }>();
  /** Sessions that got a reset for a conversation on their current connection. */
  const resetOnConn = new Set<string>();
  /** Per conversation: seq → sender, from every source, to know which skipped seqs hold a message. */
  const seqSender = new Map<string, SeqSlots<string>>();
  const ryw = createExampleList(options.maxExamples);
  const rywEcho = createExampleList(options.maxExamples);
  const mono = createExampleList(options.maxExamples);
  let rywCount = 0;
  let rywEchoCount = 0;
  let monoCount = 0;

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
        // Stryker disable next-line StringLiteral: never shown; seenHow is read only once seen rose above -Infinity, which also set it
        seenHow: '',
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
            s.seenHow = `received seq ${e.seq}`;
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
          s.seenHow = `been reset to seq ${e.seq}`;
          // Stryker disable next-line EqualityOperator: on equal seqs the assignment writes the value already there
          if (e.seq > s.resetCover) s.resetCover = e.seq;
          resetOnConn.add(`${e.session}\u0000${e.conv}`);
          break;
        }
        case 'synced': {
          const s = of(e.user, e.conv);
          // Monotonic reads.
          if (e.seq < s.seen) {
            monoCount++;
            // Stryker disable next-line ConditionalExpression: only skips building a sentence; add() keeps no more than maxExamples either way
            if (mono.wanted) {
              mono.add({
                check: 'monotonic-reads',
                message: `User ${e.user}'s sync of ${e.conv} reported seq ${e.seq}, but ${e.user} had already ${s.seenHow} at ${at(model, s.seenT)}, with no reset in between; the sync finished ${when(model, e.t)}.`,
                conv: e.conv,
                user: e.user,
                ...(regionOf(model, e.session) !== undefined ? { region: regionOf(model, e.session) } : {}),
                t: relSeconds(model, e.t),
              });
            }
          } else if (e.seq > s.seen) {
            s.seen = e.seq;
            s.seenT = e.t;
            s.seenHow = `synced to seq ${e.seq}`;
          }
          if (resetOnConn.has(`${e.session}\u0000${e.conv}`)) break;
          const n = s.ackOrdinals.length;
          // Stryker disable next-line ConditionalExpression: without acks lastAtOrBelow gives -1 and ownSeq is undefined, so nothing below counts
          if (n === 0) break;
          // Read-your-writes: the user's writes acked before this connection came up must be
          // within what the sync reports.
          const conn = connOrdinal.get(e.session);
          if (conn !== undefined) {
            const idx = lastAtOrBelow(s.ackOrdinals, conn.ordinal);
            // No ack before this connection (idx -1): nothing is required.
            if (e.seq < (s.ackMaxSeq[idx] ?? Number.NEGATIVE_INFINITY)) {
              rywCount++;
              // Stryker disable next-line ConditionalExpression: only skips building a sentence; add() keeps no more than maxExamples either way
              if (ryw.wanted) {
                const ownSeq = s.ackMaxSeq[idx] as number;
                const ownCmid = s.ackMaxCmid[idx] as string;
                ryw.add({
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
              break;
            }
          }
          // With echo: a sync whose range covers the user's latest acked message must deliver it.
          const ownSeq = s.ackMaxSeq[n - 1] as number;
          if (ownSeq > e.afterSeq && ownSeq <= e.seq && getSlot(s.delivered, ownSeq) === undefined) {
            rywEchoCount++;
            // Stryker disable next-line ConditionalExpression: only skips building a sentence; add() keeps no more than maxExamples either way
            if (rywEcho.wanted) {
              const ownCmid = s.ackMaxCmid[n - 1] as string;
              const region = regionOf(model, e.session);
              rywEcho.add({
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
          break;
        }
      }
    },
    finish(model: RunModel, metrics: MetricStore): SessionGuaranteesResult {
      const notes: string[] = [];
      const readYourWrites = rywCount + (model.ownEcho ? rywEchoCount : 0);
      if (!model.ownEcho && rywEchoCount > 0) {
        notes.push(
          'no user ever received its own message, so syncs were not required to deliver the sender’s own messages',
        );
      }

      // Which seqs hold a message, and whose: every message's first seq, plus strangers from final logs.
      const seqSenders = new Map<string, SeqSlots<string>>();
      for (const [conv, slots] of seqSender) {
        const copy = createSeqSlots<string>();
        for (const q of slotSeqs(slots)) setSlot(copy, q, getSlot(slots, q) as string);
        seqSenders.set(conv, copy);
      }
      for (const m of model.messages) {
        if (Number.isNaN(m.firstSeq)) continue;
        let slots = seqSenders.get(m.conv);
        if (slots === undefined) {
          slots = createSeqSlots();
          seqSenders.set(m.conv, slots);
        }
        if (getSlot(slots, m.firstSeq) === undefined) setSlot(slots, m.firstSeq, m.from);
      }
      const gapEx = createExampleList(options.maxExamples);
      let gaps = 0;
      let gapMessages = 0;
      for (const [user, byConv] of state) {
        for (const [conv, s] of byConv) {
          // Stryker disable next-line ConditionalExpression: without deliveries no seq is below maxDelivered, so the loop and close() find nothing
          if (s.maxDelivered === Number.NEGATIVE_INFINITY) continue;
          const senders = seqSenders.get(conv);
          // Stryker disable next-line ConditionalExpression: every delivery gave its message a firstSeq in this conversation, so senders exists here
          if (senders === undefined) continue;
          // Stryker disable next-line EqualityOperator: maxDelivered itself was received, so keeping it only closes the run at the same seq the final close() would
          const known = slotSeqs(senders).filter((q) => q < s.maxDelivered);
          let runStart = Number.NaN;
          let runEnd = Number.NaN;
          let runCount = 0;
          const close = (nextSeq: number): void => {
            if (runCount === 0) return;
            gaps++;
            gapMessages += runCount;
            // Stryker disable next-line ConditionalExpression: only skips building a sentence; add() keeps no more than maxExamples either way
            if (gapEx.wanted)
              gapEx.add(gapExample(model, user, conv, runStart, runEnd, runCount, nextSeq, s));
            runCount = 0;
          };
          for (const q of known) {
            const got = getSlot(s.delivered, q) !== undefined;
            if (!got && getSlot(senders, q) !== user && q > s.resetCover) {
              if (runCount === 0) runStart = q;
              runEnd = q;
              runCount++;
            } else if (got) {
              close(q);
            }
          }
          close(s.maxDelivered);
        }
      }

      addCount(metrics, 'read_your_writes_violations', readYourWrites);
      addCount(metrics, 'monotonic_read_violations', monoCount);
      addCount(metrics, 'silent_gaps', gaps);
      return {
        readYourWritesViolations: readYourWrites,
        monotonicReadViolations: monoCount,
        silentGaps: gaps,
        silentGapMessages: gapMessages,
        notes,
        examples: [...ryw.items, ...(model.ownEcho ? rywEcho.items : []), ...mono.items, ...gapEx.items],
      };
    },
  };
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

function gapExample(
  model: RunModel,
  user: string,
  conv: string,
  from: number,
  to: number,
  count: number,
  nextSeq: number,
  s: UserConv,
): Example {
  const nextT = getSlot(s.delivered, nextSeq) ?? Number.NaN;
  const reconnect = lastReconnectBefore(model, user, nextT);
  const after = Number.isNaN(reconnect) ? '' : `, after reconnecting at ${at(model, reconnect)}`;
  return {
    check: 'silent-gaps',
    message: `User ${user} never received ${seqRange(from, to)} of ${conv} (${plural(count, 'message')}), though it received seq ${nextSeq} ${when(model, nextT)}${after}; no reset covered them.`,
    conv,
    user,
    t: relSeconds(model, nextT),
  };
}

/** The latest conn_up of the user before t that was not its first connection, else NaN. */
function lastReconnectBefore(model: RunModel, user: string, t: number): number {
  const ups: number[] = [];
  // Stryker disable next-line OptionalChaining,ArrayDeclaration: only called for a user with a delivery, whose record the model made
  for (const s of model.users.get(user)?.sessions ?? []) {
    // Stryker disable next-line EqualityOperator: an extra undefined is sorted last and is never <= t
    for (let i = 0; i < s.intervals.length; i += 2) ups.push(s.intervals[i] as number);
  }
  ups.sort((a, b) => a - b);
  let last = Number.NaN;
  // Stryker disable next-line EqualityOperator: ups[ups.length] is undefined, which is never <= t
  for (let i = 1; i < ups.length; i++) if ((ups[i] as number) <= t) last = ups[i] as number;
  return last;
}

/** Read-your-writes, monotonic reads and silent gaps over a whole history. */
export function checkSessionGuarantees(
  events: Iterable<HistoryEvent>,
  options: Partial<CheckOptions> = {},
): SessionGuaranteesResult {
  return runChecker(createSessionGuaranteesChecker, events, options);
}
