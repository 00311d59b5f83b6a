// What the client does when its timer fires: whatever has come due, in a fixed order (reconnect,
// connect timeout, heartbeat, outbox, conversations, probe home). A verdict of silence is only
// noted on the first firing and given on the next one (see client.ts's header on timers).
import { attemptConnect, dropConnection } from './connecting.ts';
import { gapExpired } from './conversation-state.ts';
import { entryAction } from './outbox.ts';
import { probeFailed, startProbe } from './probe.ts';
import { requestSync, transmit } from './sending.ts';
import { type ClientContext, type ClientState, ping, suspectSilence } from './state.ts';

/** `confirmed`: a silence noted on the previous firing may be acted on now. */
export function tick(ctx: ClientContext, confirmed: boolean): void {
  const { config, state } = ctx;
  const t = config.now();
  if (state.phase === 'waiting' && state.reconnectAt !== undefined && t >= state.reconnectAt)
    attemptConnect(ctx);
  if (
    state.phase === 'connecting' &&
    state.connectDeadline !== undefined &&
    t >= state.connectDeadline &&
    silenceConfirmed(state, confirmed)
  ) {
    if (state.connection === undefined)
      dropConnection(ctx, 'token not available before connect timeout', false);
    else dropConnection(ctx, 'connect timeout', true);
  }
  if (state.live !== 0) {
    if (state.pingSentAt !== undefined) {
      if (t >= state.pingSentAt + config.heartbeatTimeoutMs && silenceConfirmed(state, confirmed))
        dropConnection(ctx, 'heartbeat timeout', true);
    } else if (config.heartbeatMs > 0 && t >= state.lastHeardAt + config.heartbeatMs) {
      ping(state, t);
    }
  }
  tickOutbox(ctx, t);
  if (state.live !== 0) {
    tickConversations(ctx, t);
    if (state.probeDeadline !== undefined && t >= state.probeDeadline) {
      if (silenceConfirmed(state, confirmed)) probeFailed(ctx, t, 'connect timeout');
    } else if (state.probeGeneration === 0 && state.nextProbeAt !== undefined && t >= state.nextProbeAt)
      startProbe(ctx, t);
  }
}

/**
 * Whether a silence that is due may be acted on now. The first time it is only noted: the timer
 * fires again after the event loop has polled for I/O, and only then is the verdict given.
 */
function silenceConfirmed(state: ClientState, confirmed: boolean): boolean {
  if (!confirmed) state.confirmSilence = true;
  return confirmed;
}

/** Expires sends past the send timeout and (re)transmits those due on the open connection. */
function tickOutbox(ctx: ClientContext, t: number): void {
  const { config, state } = ctx;
  for (const entry of state.outbox.entries()) {
    const action = entryAction(entry, state.live, t, config.timeouts);
    if (action === 'expire') {
      state.outbox.take(entry.conv, entry.cmid);
      entry.trace?.end('expired');
      ctx.emit({
        type: 'send_indeterminate',
        t,
        conv: entry.conv,
        cmid: entry.cmid,
        reason: `no ack within ${config.timeouts.sendTimeoutMs} ms`,
      });
    } else if (action === 'transmit') {
      if (entry.sentOn === state.live && entry.retryAt === undefined) suspectSilence(state, entry.sentAt, t);
      transmit(ctx, entry, t);
    }
  }
}

/** Syncs again where a sync went unanswered, a refusal's backoff ended or a gap did not fill. */
function tickConversations(ctx: ClientContext, t: number): void {
  const { config, state } = ctx;
  for (const cs of state.attention) {
    if (cs.sync !== undefined) {
      if (t >= cs.sync.sentAt + config.timeouts.ackTimeoutMs) {
        suspectSilence(state, cs.sync.sentAt, t);
        requestSync(ctx, cs, t);
      }
    } else if (cs.syncRetryAt !== undefined && t >= cs.syncRetryAt) {
      requestSync(ctx, cs, t);
    } else if (cs.gapSince !== undefined && !cs.syncDisabled && t >= cs.gapSince + config.gapWaitMs) {
      if (gapExpired(cs, t, ctx.deliver)) requestSync(ctx, cs, t);
    }
    if (cs.sync === undefined && cs.syncRetryAt === undefined && cs.gapSince === undefined)
      state.attention.delete(cs);
  }
}
