// The open sessions of a node by user, and whether it takes new ones: pushes walk it to reach
// a conversation's members, and shutting down or being cut off closes every session in it.
import { type Session, sendRaw } from './outbox.ts';

export interface SessionsState {
  readonly byUser: Map<string, Set<Session>>;
  count: number;
  closing: boolean;
  /** Why the node cannot serve right now, or null. */
  unavailable: string | null;
}

export function createSessionsState(): SessionsState {
  return { byUser: new Map(), count: 0, closing: false, unavailable: null };
}

/** Registers `session`; the function returned unregisters it (call it once, when it closes). */
export function addSession(state: SessionsState, session: Session): () => void {
  let set = state.byUser.get(session.user);
  if (set === undefined) {
    set = new Set();
    state.byUser.set(session.user, set);
  }
  const own = set;
  own.add(session);
  state.count++;
  return () => {
    own.delete(session);
    if (own.size === 0) state.byUser.delete(session.user);
    state.count--;
  };
}

/**
 * Sends a text frame to every session of these users; returns how many got it. `onSent` (given
 * for traced messages only) hears the user of each session that got it.
 */
export function pushToMembers(
  state: SessionsState,
  members: ReadonlySet<string>,
  text: string,
  onSent?: (user: string) => void,
): number {
  if (state.count === 0) return 0;
  let sent = 0;
  const bytes = Buffer.byteLength(text);
  const deliver = (sessions: Set<Session>): void => {
    for (const s of sessions) {
      if (sendRaw(s, text, bytes)) {
        sent++;
        onSent?.(s.user);
      }
    }
  };
  // Walk whichever side is smaller: a huge group with few local users, or the reverse.
  if (members.size <= state.byUser.size) {
    for (const member of members) {
      const sessions = state.byUser.get(member);
      if (sessions !== undefined) deliver(sessions);
    }
  } else {
    for (const [user, sessions] of state.byUser) if (members.has(user)) deliver(sessions);
  }
  return sent;
}

/** Closes every open session with 1001 and `reason`. */
export function closeAll(state: SessionsState, reason: string): void {
  for (const sessions of state.byUser.values()) for (const s of sessions) s.ws.close(1001, reason);
}
