// Silent gaps, the end-of-run half of the session guarantees: a user's delivered seqs skip a
// seq that holds someone else's message, below the highest seq it received, and no reset at or
// above it said so. It reads what session-guarantees.ts kept per user and conversation.

import { at, plural, seqRange, when } from './explain.ts';
import { type RunModel, relSeconds } from './model.ts';
import { createExampleList, type Example, type ExampleList } from './result.ts';
import { createSeqSlots, getSlot, type SeqSlots, setSlot, slotSeqs } from './seq-slots.ts';

/** What a user received of one conversation. */
export interface Received {
  /** Highest seq any reset moved this user to: gaps at or below it were announced. */
  resetCover: number;
  /** Seq → delivery time, for gap detection. */
  delivered: SeqSlots<number>;
  maxDelivered: number;
}

interface GapCounts {
  gaps: number;
  /** Messages inside the gaps. */
  gapMessages: number;
}

export interface SilentGaps extends GapCounts {
  examples: Example[];
}

/**
 * Counts the silent gaps of every user in every conversation. `seqSender` holds seqs that only
 * final logs named (conversation → seq → sender); every message's first seq is added to it.
 */
export function findSilentGaps(
  model: RunModel,
  received: Map<string, Map<string, Received>>,
  seqSender: Map<string, SeqSlots<string>>,
  maxExamples: number,
): SilentGaps {
  const seqSenders = seqHolders(model, seqSender);
  const found: GapCounts = { gaps: 0, gapMessages: 0 };
  const gapEx = createExampleList(maxExamples);
  for (const [user, byConv] of received) {
    for (const [conv, s] of byConv) {
      // Stryker disable next-line ConditionalExpression: without deliveries no seq is below maxDelivered, so the loop and close() find nothing
      if (s.maxDelivered === Number.NEGATIVE_INFINITY) continue;
      const senders = seqSenders.get(conv);
      // Stryker disable next-line ConditionalExpression: every delivery gave its message a firstSeq in this conversation, so senders exists here
      if (senders === undefined) continue;
      scanConversation(model, user, conv, s, senders, found, gapEx);
    }
  }
  return { ...found, examples: gapEx.items };
}

/**
 * Which seqs hold a message, and whose: every message's first seq (but a refused one nobody got),
 * plus strangers from final logs.
 */
function seqHolders(
  model: RunModel,
  seqSender: Map<string, SeqSlots<string>>,
): Map<string, SeqSlots<string>> {
  const seqSenders = new Map<string, SeqSlots<string>>();
  for (const [conv, slots] of seqSender) {
    const copy = createSeqSlots<string>();
    for (const q of slotSeqs(slots)) setSlot(copy, q, getSlot(slots, q) as string);
    seqSenders.set(conv, copy);
  }
  for (const m of model.messages) {
    if (Number.isNaN(m.firstSeq)) continue;
    // A message the system refused after acking it (an XMPP bounce) must never appear: skipping
    // its seq is what a reader should do. Had it been delivered, its seq would hold it anyway.
    if (!Number.isNaN(m.failedT) && m.deliveries === 0) continue;
    let slots = seqSenders.get(m.conv);
    if (slots === undefined) {
      slots = createSeqSlots();
      seqSenders.set(m.conv, slots);
    }
    if (getSlot(slots, m.firstSeq) === undefined) setSlot(slots, m.firstSeq, m.from);
  }
  return seqSenders;
}

/** Walks one user's conversation below its highest delivered seq, counting runs of missed seqs. */
function scanConversation(
  model: RunModel,
  user: string,
  conv: string,
  s: Received,
  senders: SeqSlots<string>,
  found: GapCounts,
  gapEx: ExampleList,
): void {
  // Stryker disable next-line EqualityOperator: maxDelivered itself was received, so keeping it only closes the run at the same seq the final close() would
  const known = slotSeqs(senders).filter((q) => q < s.maxDelivered);
  let runStart = Number.NaN;
  let runEnd = Number.NaN;
  let runCount = 0;
  const close = (nextSeq: number): void => {
    if (runCount === 0) return;
    found.gaps++;
    found.gapMessages += runCount;
    // Stryker disable next-line ConditionalExpression: only skips building a sentence; add() keeps no more than maxExamples either way
    if (gapEx.wanted) gapEx.add(gapExample(model, user, conv, runStart, runEnd, runCount, nextSeq, s));
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

function gapExample(
  model: RunModel,
  user: string,
  conv: string,
  from: number,
  to: number,
  count: number,
  nextSeq: number,
  s: Received,
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
