// Error frames from the node: a definite refusal settles the send it names, `unavailable` and
// `rate_limited` delay that send's retry or the sync it answers, and whatever is left is
// reported as an `error` event for the caller.
import type { ServerFrame } from '../contracts/wire.ts';
import { backoffDelay } from './backoff.ts';
import type { ClientEvent } from './events.ts';
import type { OutboxEntry } from './outbox.ts';
import { refuseSync } from './sending.ts';
import type { ClientContext, ClientState } from './state.ts';

/** Error codes after which the server has definitely not stored the message. */
const DEFINITE_FAILURES: ReadonlySet<string> = new Set([
  'not_found',
  'forbidden',
  'invalid_field',
  'too_large',
]);

/**
 * Error codes after which the same frame is sent again after a backoff: the home could not be
 * reached (the message may be stored: the same cmid makes the resend safe), or the node's rate
 * limit refused the frame (nothing happened).
 */
const RETRY_LATER: ReadonlySet<string> = new Set(['unavailable', 'rate_limited']);

export function handleError(
  ctx: ClientContext,
  frame: Extract<ServerFrame, { type: 'error' }>,
  t: number,
): void {
  const { config, state } = ctx;
  const entry = frame.cmid === undefined ? undefined : findEntry(state, frame.cmid, frame.conv);
  if (entry !== undefined) {
    if (DEFINITE_FAILURES.has(frame.code)) {
      state.outbox.take(entry.conv, entry.cmid);
      entry.trace?.end('failed', { 'chatquake.error': frame.code });
      ctx.emit({
        type: 'send_failed',
        t,
        conv: entry.conv,
        cmid: entry.cmid,
        reason: `${frame.code}: ${frame.message}`,
      });
      return;
    }
    if (RETRY_LATER.has(frame.code)) {
      entry.retryAt = t + backoffDelay(entry.unavailableCount++, config.backoff, config.random);
    }
    ctx.emit({
      type: 'error',
      t,
      code: frame.code,
      message: frame.message,
      conv: entry.conv,
      cmid: entry.cmid,
    });
    return;
  }
  if (frame.cmid === undefined && frame.conv !== undefined) {
    const cs = state.conversations.get(frame.conv);
    if (cs?.sync !== undefined) {
      if (RETRY_LATER.has(frame.code)) refuseSync(ctx, cs, t);
      else if (frame.code === 'not_found' || frame.code === 'forbidden') {
        cs.sync = undefined;
        cs.syncDisabled = true;
      }
    }
  }
  const event: ClientEvent = { type: 'error', t, code: frame.code, message: frame.message };
  if (frame.conv !== undefined) event.conv = frame.conv;
  if (frame.cmid !== undefined) event.cmid = frame.cmid;
  ctx.emit(event);
}

function findEntry(state: ClientState, cmid: string, conv: string | undefined): OutboxEntry | undefined {
  if (conv !== undefined) return state.outbox.get(conv, cmid);
  for (const entry of state.outbox.entries()) if (entry.cmid === cmid) return entry;
  return undefined;
}
