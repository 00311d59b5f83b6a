// What the client puts on the main connection on its own initiative: send frames from the
// outbox and sync requests, plus the outcomes it reports for sends that never reach the server
// (refused before sending, abandoned on close). Nothing here opens or closes a connection.
import { DEFAULT_MAX_FRAME_BYTES } from '../contracts/wire.ts';
import { backoffDelay } from './backoff.ts';
import type { ConversationState } from './conversation-state.ts';
import type { OutboxEntry } from './outbox.ts';
import { sendFieldProblem } from './server-frame.ts';
import { type ClientContext, type ClientState, conversation } from './state.ts';
import { clientTracing } from './tracing.ts';

export function transmit(ctx: ClientContext, entry: OutboxEntry, t: number): void {
  const { state } = ctx;
  if (state.connection === undefined || state.live === 0) return;
  // Marked as sent even when the socket is already closing, so that the entry waits for the
  // close event (and the resend after reconnecting) instead of being retried in a busy loop.
  entry.sentOn = state.live;
  entry.sentAt = t;
  entry.retryAt = undefined;
  if (!state.connection.send(entry.frame)) return;
  entry.attempts++;
  ctx.emit({
    type: 'sent',
    t,
    conv: entry.conv,
    cmid: entry.cmid,
    attempt: entry.attempts,
    region: state.currentRegion!,
  });
}

export function requestSync(ctx: ClientContext, cs: ConversationState, t: number): void {
  const { state } = ctx;
  if (state.connection === undefined || state.live === 0) return;
  const afterSeq = cs.lastSeq;
  // Recorded even if the socket is closing: the sync timeout then retries instead of a busy loop.
  state.connection.send(JSON.stringify({ type: 'sync', conv: cs.conv, afterSeq }));
  cs.sync = { afterSeq, sentAt: t };
  cs.syncRetryAt = undefined;
  state.attention.add(cs);
}

/** The node would not answer a sync now (`behind`, `unavailable`): ask again after a backoff. */
export function refuseSync(ctx: ClientContext, cs: ConversationState, t: number): void {
  const { config } = ctx;
  cs.sync = undefined;
  cs.syncRetryAt = t + backoffDelay(cs.syncRefusals++, config.backoff, config.random);
  ctx.state.attention.add(cs);
}

export function abandonOutbox(ctx: ClientContext, reason: string): void {
  for (const entry of ctx.state.outbox.drain()) {
    entry.trace?.end('abandoned', { 'chatquake.reason': reason });
    ctx.emit({ type: 'send_indeterminate', t: ctx.config.now(), conv: entry.conv, cmid: entry.cmid, reason });
  }
}

/** Why a send is refused before it is even serialized; undefined when it may go on. */
function refusal(state: ClientState, conv: string, cmid: string, body: string): string | undefined {
  if (state.phase === 'closed' || state.phase === 'failed')
    return state.phase === 'closed' ? 'client closed' : 'unauthorized';
  // The node refuses a body it could not store byte-exactly (a lone surrogate); so do we.
  const problem = sendFieldProblem(conv, cmid, body);
  return problem === undefined ? undefined : `invalid_field: ${problem}`;
}

/** ImClient.send: checks the message, queues it in the outbox and sends it if connected. */
export function submitSend(ctx: ClientContext, conv: string, cmid: string, body: string): void {
  const { state } = ctx;
  const refused = refusal(state, conv, cmid, body);
  if (refused !== undefined) {
    refuse(ctx, conv, cmid, refused);
    return;
  }
  const trace = clientTracing()?.startSend(conv, cmid);
  const traceparent = trace?.traceparent;
  const frame = JSON.stringify(
    traceparent === undefined
      ? { type: 'send', conv, cmid, body }
      : { type: 'send', conv, cmid, body, traceparent },
  );
  const bytes = Buffer.byteLength(frame);
  if (bytes > DEFAULT_MAX_FRAME_BYTES) {
    // The server would close the socket (1009) and the resend would close the next one too.
    trace?.end('refused');
    refuse(ctx, conv, cmid, `too_large: frame of ${bytes} bytes exceeds ${DEFAULT_MAX_FRAME_BYTES}`);
    return;
  }
  const t = ctx.config.now();
  const entry = state.outbox.add(conv, cmid, frame, t);
  if (entry === undefined) {
    trace?.end('duplicate');
    return; // already pending: its outcome answers this call too
  }
  if (trace !== undefined) entry.trace = trace;
  conversation(state, conv);
  if (state.live !== 0) transmit(ctx, entry, t);
  ctx.schedule();
}

function refuse(ctx: ClientContext, conv: string, cmid: string, reason: string): void {
  ctx.emit({ type: 'send_failed', t: ctx.config.now(), conv, cmid, reason });
}
