// The client's one timer: armed only while something is pending, always for the earliest
// deadline of all of them, and re-evaluating everything when it fires. What is due when it
// fires is decided by the tick the composer passes in; this file only knows when to wake up.
import { conversationDeadline } from './conversation-state.ts';
import type { ClientConfig } from './options.ts';
import { entryDeadline } from './outbox.ts';
import type { ClientState } from './state.ts';

export interface ClientTimer {
  /** Arms the timer for the earliest deadline now pending; disarms it when nothing is. */
  schedule(): void;
  disarm(): void;
}

/** The earliest time anything pending needs the client; infinity when nothing does. */
export function nextDeadline(config: ClientConfig, state: ClientState): number {
  if (state.confirmSilence) return 0;
  let due = Number.POSITIVE_INFINITY;
  if (state.phase === 'waiting' && state.reconnectAt !== undefined) due = state.reconnectAt;
  if (state.phase === 'connecting' && state.connectDeadline !== undefined)
    due = Math.min(due, state.connectDeadline);
  for (const entry of state.outbox.entries())
    due = Math.min(due, entryDeadline(entry, state.live, config.timeouts));
  if (state.live !== 0) {
    if (state.pingSentAt !== undefined) due = Math.min(due, state.pingSentAt + config.heartbeatTimeoutMs);
    else if (config.heartbeatMs > 0) due = Math.min(due, state.lastHeardAt + config.heartbeatMs);
    for (const cs of state.attention)
      due = Math.min(due, conversationDeadline(cs, config.gapWaitMs, config.timeouts.ackTimeoutMs));
    if (state.probeDeadline !== undefined) due = Math.min(due, state.probeDeadline);
    else if (state.nextProbeAt !== undefined) due = Math.min(due, state.nextProbeAt);
  }
  return due;
}

/**
 * `tick(confirmed)` runs when the timer fires; `confirmed` says a silence verdict noted on the
 * previous firing may now be given.
 */
export function createTimer(
  config: ClientConfig,
  state: ClientState,
  tick: (confirmed: boolean) => void,
): ClientTimer {
  let timer: NodeJS.Timeout | undefined;
  let timerDue = Number.POSITIVE_INFINITY;

  function schedule(): void {
    if (state.phase === 'closed' || state.phase === 'failed') {
      disarm();
      return;
    }
    const due = nextDeadline(config, state);
    if (due === Number.POSITIVE_INFINITY) {
      disarm();
      return;
    }
    // An armed timer that fires no later is left alone: it re-evaluates everything when it fires.
    if (timer !== undefined && timerDue <= due) return;
    disarm();
    timerDue = due;
    timer = setTimeout(onTimer, Math.max(0, due - config.now()));
  }

  function disarm(): void {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    timerDue = Number.POSITIVE_INFINITY;
  }

  function onTimer(): void {
    timer = undefined;
    timerDue = Number.POSITIVE_INFINITY;
    const confirmed = state.confirmSilence;
    state.confirmSilence = false;
    tick(confirmed);
    schedule();
  }

  return { schedule, disarm };
}
