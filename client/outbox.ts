// Sends that have no outcome yet. An entry stays until the server acks it, refuses it definitely,
// or it outlives the send timeout; until then it is resent with the same cmid, which the server
// deduplicates per (conversation, sender, cmid). Entries are plain records in insertion order so
// that a reconnect replays them in the order the user sent them.

import type { SendSpan } from './tracing.ts';

export interface OutboxEntry {
  readonly conv: string;
  readonly cmid: string;
  /** The serialized send frame, kept so that resends do not serialize again. */
  readonly frame: string;
  /** When send() was called; the send timeout runs from here. */
  readonly enqueuedAt: number;
  /** How many times the frame went out. */
  attempts: number;
  /** Connection generation the last transmission went out on; 0 when not sent since connecting. */
  sentOn: number;
  /** When the last transmission went out. */
  sentAt: number;
  /** After an `unavailable` answer: not before this time. */
  retryAt: number | undefined;
  /** Consecutive `unavailable` answers, for the retry backoff. */
  unavailableCount: number;
  /** The send's span when tracing is on (client/tracing.ts), ended with its outcome. */
  trace?: SendSpan;
}

export interface Outbox {
  readonly size: number;
  has(conv: string, cmid: string): boolean;
  get(conv: string, cmid: string): OutboxEntry | undefined;
  /** Adds a new entry; returns undefined when (conv, cmid) is already pending. */
  add(conv: string, cmid: string, frame: string, now: number): OutboxEntry | undefined;
  /** Removes and returns the entry, if pending. */
  take(conv: string, cmid: string): OutboxEntry | undefined;
  /** Pending entries in the order they were added. */
  entries(): IterableIterator<OutboxEntry>;
  /** Removes every entry and returns them in order. */
  drain(): OutboxEntry[];
}

function keyOf(conv: string, cmid: string): string {
  // Ids are restricted to [A-Za-z0-9._:@-], so a newline cannot occur in either part.
  return `${conv}\n${cmid}`;
}

export function createOutbox(): Outbox {
  const pending = new Map<string, OutboxEntry>();
  return {
    get size() {
      return pending.size;
    },
    has(conv, cmid) {
      return pending.has(keyOf(conv, cmid));
    },
    get(conv, cmid) {
      return pending.get(keyOf(conv, cmid));
    },
    add(conv, cmid, frame, now) {
      const key = keyOf(conv, cmid);
      if (pending.has(key)) return undefined;
      const entry: OutboxEntry = {
        conv,
        cmid,
        frame,
        enqueuedAt: now,
        attempts: 0,
        sentOn: 0,
        sentAt: 0,
        retryAt: undefined,
        unavailableCount: 0,
      };
      pending.set(key, entry);
      return entry;
    },
    take(conv, cmid) {
      const key = keyOf(conv, cmid);
      const entry = pending.get(key);
      if (entry !== undefined) pending.delete(key);
      return entry;
    },
    entries() {
      return pending.values();
    },
    drain() {
      const all = [...pending.values()];
      pending.clear();
      return all;
    },
  };
}

export interface OutboxTimeouts {
  sendTimeoutMs: number;
  ackTimeoutMs: number;
}

/**
 * The earliest moment an entry needs attention: it expires, its ack is overdue on the current
 * connection, or its `unavailable` retry is due. `generation` is the open connection's (0 when
 * none), so entries not yet sent on it only count for expiry.
 */
export function entryDeadline(entry: OutboxEntry, generation: number, timeouts: OutboxTimeouts): number {
  let deadline = entry.enqueuedAt + timeouts.sendTimeoutMs;
  if (generation !== 0) {
    if (entry.retryAt !== undefined) deadline = Math.min(deadline, entry.retryAt);
    else if (entry.sentOn === generation) deadline = Math.min(deadline, entry.sentAt + timeouts.ackTimeoutMs);
    else deadline = Math.min(deadline, 0); // connected but not yet sent on this connection: now
  }
  return deadline;
}

export type EntryAction = 'expire' | 'transmit' | 'wait';

/** What is due for an entry at `now` on connection `generation` (0 when disconnected). */
export function entryAction(
  entry: OutboxEntry,
  generation: number,
  now: number,
  timeouts: OutboxTimeouts,
): EntryAction {
  if (now >= entry.enqueuedAt + timeouts.sendTimeoutMs) return 'expire';
  if (generation === 0) return 'wait';
  if (entry.retryAt !== undefined) return now >= entry.retryAt ? 'transmit' : 'wait';
  if (entry.sentOn !== generation) return 'transmit';
  return now >= entry.sentAt + timeouts.ackTimeoutMs ? 'transmit' : 'wait';
}
