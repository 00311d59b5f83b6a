// One conversation as a client sees it: the seq it has delivered up to, messages that arrived
// ahead of a gap, and the sync it has asked for. Delivery is by watermark: a seq at or below
// `lastSeq` is a duplicate, the next seq is delivered at once (and releases whatever it unblocks),
// anything further ahead waits in `held` until the gap fills, a sync answers, or the caller gives
// up waiting. The functions here do no I/O and read no clock; the client passes `now` in.

export type Via = 'push' | 'sync';

export interface HeldMessage {
  seq: number;
  cmid: string;
  from: string;
  via: Via;
}

/** Receives each delivery in order; one sink per client, so no closure is made per message. */
export type DeliverySink = (conv: string, message: HeldMessage) => void;

export interface ConversationState {
  readonly conv: string;
  /** Highest seq delivered (or passed over by a sync or reset); 0 before anything. */
  lastSeq: number;
  /** Messages past a gap, by seq; undefined while empty to keep idle conversations small. */
  held: Map<number, HeldMessage> | undefined;
  /** Seqs the server acked for this client's own sends that are still above the watermark. */
  ownAcked: Set<number> | undefined;
  /** When the current gap opened; undefined while there is none. */
  gapSince: number | undefined;
  /** The sync in flight on the current connection, if any. */
  sync: { afterSeq: number; sentAt: number } | undefined;
  /** After a `behind` or `unavailable` answer: sync again at this time. */
  syncRetryAt: number | undefined;
  /** Consecutive `behind`/`unavailable` answers to syncs, for the retry backoff. */
  syncRefusals: number;
  /** A `not_found`/`forbidden` answer to a sync: do not ask again until a message shows up. */
  syncDisabled: boolean;
  /** The connection (by generation) whose pushes `pushedMax` describes. */
  pushedOn: number;
  /** Highest seq pushed on that connection outside a sync; a server pushes in seq order. */
  pushedMax: number;
}

export function createConversationState(conv: string): ConversationState {
  return {
    conv,
    lastSeq: 0,
    held: undefined,
    ownAcked: undefined,
    gapSince: undefined,
    sync: undefined,
    syncRetryAt: undefined,
    syncRefusals: 0,
    syncDisabled: false,
    pushedOn: 0,
    pushedMax: 0,
  };
}

export type ReceiveOutcome = 'delivered' | 'duplicate' | 'held';

/**
 * Notes a push (a `msg` outside any sync) on connection `generation` and tells whether it came out
 * of order: a new message below a seq already pushed there. A correct server pushes committed
 * messages in seq order per connection, so this is the server's fault, which the client's
 * in-order delivery would otherwise hide from the harness.
 */
export function notePush(state: ConversationState, generation: number, seq: number): boolean {
  if (state.pushedOn !== generation) {
    state.pushedOn = generation;
    state.pushedMax = 0;
  }
  const outOfOrder = seq < state.pushedMax && seq > state.lastSeq && state.held?.has(seq) !== true;
  if (seq > state.pushedMax) state.pushedMax = seq;
  return outOfOrder;
}

/** A message arrived (pushed, or as part of a sync answer). */
export function receive(
  state: ConversationState,
  message: HeldMessage,
  now: number,
  deliver: DeliverySink,
): ReceiveOutcome {
  state.syncDisabled = false;
  if (message.seq <= state.lastSeq) return 'duplicate';
  if (message.seq === state.lastSeq + 1) {
    state.lastSeq = message.seq;
    deliver(state.conv, message);
    release(state, now, deliver);
    return 'delivered';
  }
  if (state.held === undefined) state.held = new Map();
  else if (state.held.has(message.seq)) return 'duplicate';
  state.held.set(message.seq, message);
  if (state.gapSince === undefined) state.gapSince = now;
  return 'held';
}

/** Delivers held messages that follow the watermark without a gap and tidies what is left. */
function release(state: ConversationState, now: number, deliver: DeliverySink): void {
  const held = state.held;
  if (held !== undefined) {
    let progressed = false;
    for (let next = held.get(state.lastSeq + 1); next !== undefined; next = held.get(state.lastSeq + 1)) {
      held.delete(next.seq);
      state.lastSeq = next.seq;
      deliver(state.conv, next);
      progressed = true;
    }
    if (held.size === 0) {
      state.held = undefined;
      state.gapSince = undefined;
    } else if (progressed) {
      // A new, later gap: give it its own full wait.
      state.gapSince = now;
    }
  }
  pruneOwnAcked(state);
}

function pruneOwnAcked(state: ConversationState): void {
  const own = state.ownAcked;
  if (own === undefined) return;
  for (const seq of own) if (seq <= state.lastSeq) own.delete(seq);
  if (own.size === 0) state.ownAcked = undefined;
}

/**
 * The server acked one of this client's sends at `seq`. It does not deliver anything (the
 * message arrives as a push, or not, depending on the server) but lets an expired gap skip it.
 */
export function noteOwnAck(state: ConversationState, seq: number): void {
  if (seq <= state.lastSeq) return;
  if (state.ownAcked === undefined) state.ownAcked = new Set();
  state.ownAcked.add(seq);
}

/**
 * The gap has been open long enough. Holes that are this client's own acked sends are stepped
 * over (a server need not echo a sender's message back); returns true when a real gap remains
 * and the caller should sync.
 */
export function gapExpired(state: ConversationState, now: number, deliver: DeliverySink): boolean {
  const held = state.held;
  if (held === undefined) return false;
  const own = state.ownAcked;
  let progressed = false;
  while (held.size > 0) {
    const seq = state.lastSeq + 1;
    const next = held.get(seq);
    if (next !== undefined) {
      held.delete(seq);
      state.lastSeq = seq;
      deliver(state.conv, next);
    } else if (own?.has(seq)) {
      state.lastSeq = seq;
    } else {
      break;
    }
    progressed = true;
  }
  if (progressed) release(state, now, deliver);
  return state.held !== undefined;
}

/**
 * The node finished a sync at `seq`: it sent everything it holds up to there. Held messages up
 * to `seq` are delivered in order across any holes (a hole the node did not fill is a message it
 * does not have; waiting for it would stall the conversation) and the watermark moves to `seq`.
 */
export function syncedTo(state: ConversationState, seq: number, now: number, deliver: DeliverySink): void {
  state.sync = undefined;
  state.syncRetryAt = undefined;
  state.syncRefusals = 0;
  const held = state.held;
  if (held !== undefined) {
    const ready = [...held.keys()].filter((s) => s <= seq).sort((a, b) => a - b);
    for (const s of ready) {
      const message = held.get(s)!;
      held.delete(s);
      state.lastSeq = s;
      deliver(state.conv, message);
    }
    if (held.size === 0) state.held = undefined;
  }
  if (seq > state.lastSeq) state.lastSeq = seq;
  if (state.held !== undefined && state.held.size > 0) state.gapSince = now;
  release(state, now, deliver);
  if (state.held === undefined) state.gapSince = undefined;
}

/**
 * The server reset the conversation to `seq`: whatever the client holds past it is dropped and
 * delivery continues from there, so seqs above `seq` may be delivered again (with what the
 * server now has at those seqs). The caller decides about syncs.
 */
export function resetTo(state: ConversationState, seq: number): void {
  state.lastSeq = seq;
  state.held = undefined;
  state.ownAcked = undefined;
  state.gapSince = undefined;
}

/** The earliest time this conversation needs the client's attention, or Infinity. */
export function conversationDeadline(
  state: ConversationState,
  gapWaitMs: number,
  syncTimeoutMs: number,
): number {
  if (state.sync !== undefined) return state.sync.sentAt + syncTimeoutMs;
  let deadline = Number.POSITIVE_INFINITY;
  if (state.syncRetryAt !== undefined) deadline = state.syncRetryAt;
  if (state.gapSince !== undefined && !state.syncDisabled) {
    deadline = Math.min(deadline, state.gapSince + gapWaitMs);
  }
  return deadline;
}
