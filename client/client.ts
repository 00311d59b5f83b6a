// The IM client: one session of one user, kept alive across node and region failures.
//
// Connection: endpoints are tried in order (home region first), wrapping around; every attempt
// waits a full-jitter backoff. How a failure counts depends on what it says about the endpoint:
// - refused (connection refused or reset, HTTP 503, closed before `welcome`): a soft failure.
//   `failoverAfter` consecutive soft failures on one endpoint move to the next, so a node that is
//   restarting gets a second chance. A welcomed connection that is closed counts as none: the
//   client reconnects to the same endpoint first.
// - silent (no `welcome` within `connectTimeoutMs`, or no answer to a heartbeat ping within
//   `heartbeatTimeoutMs`): a hard failure; the client moves to the next endpoint at once. A frozen
//   or blackholed node still has its TCP connections accepted by the kernel, so retrying it only
//   spends another full timeout.
// While on a region other than home, a probe connection to home is opened every
// `returnHomeAfterMs`; when it is welcomed the client switches over without a gap. A probe that
// is not welcomed in time changes nothing. If home is lost again within `returnHomeAfterMs` of
// returning, the next probe interval doubles (up to 8×), so a home that welcomes and then fails
// cannot make the client flap between regions; a stay that long resets it.
//
// Heartbeat: a connection on which nothing has been received for `heartbeatMs` is sent a
// WebSocket ping (servers answer them without application code). A ping unanswered, and nothing
// else heard, for `heartbeatTimeoutMs` means the path is dead even if TCP has not noticed: an
// idle or receive-only client would otherwise never learn that its node froze.
//
// Sends: every send sits in the outbox until acked, refused definitely, or `sendTimeoutMs` old.
// It is (re)sent with the same cmid after each (re)connect and after `ackTimeoutMs` without an
// ack, so a message is stored at most once whatever the failures.
//
// Receives: per conversation the client delivers by seq watermark (no seq twice, in order where
// the network allows), syncs every known conversation after each connect, and syncs again when a
// pushed message leaves a gap that does not fill within `gapWaitMs`.
//
// Timers: one per client, armed only while something is pending (a reconnect, an unacked send,
// an open gap, a sync in flight, a probe home, the heartbeat). A verdict of silence (connect or
// heartbeat timeout) is confirmed one event-loop turn later, so that a welcome or pong that
// arrived while this process was stalled (GC, thousands of clients on two cores) is read first.
//
// This file composes the client from its parts, each a set of plain functions over one shared
// context (state.ts): options.ts checks the options, connecting.ts and probe.ts own the main
// connection and the probe home, sending.ts what goes out, frames.ts and error-frames.ts what
// comes in, timer.ts and tick.ts the one timer and what it does when it fires.

import { attemptConnect } from './connecting.ts';
import { openConnection } from './connection.ts';
import type { ClientEvent } from './events.ts';
import { createHandlers } from './frames.ts';
import { type ClientOptions, resolveClientOptions } from './options.ts';
import { abandonOutbox, requestSync, submitSend } from './sending.ts';
import { type ClientContext, conversation, createClientState } from './state.ts';
import { tick } from './tick.ts';
import { createTimer } from './timer.ts';

export type { ClientOptions, Endpoint } from './options.ts';

export interface ImClient {
  start(): void;
  send(conv: string, cmid: string, body: string): void;
  sync(conv: string): void;
  /** Unacked outbox entries become send_indeterminate events; no reconnect after. */
  close(): Promise<void>;
  readonly connected: boolean;
  /** Region of the open connection; undefined while disconnected. */
  readonly region: string | undefined;
  /** Highest seq delivered (or passed over by a sync/reset) for the conversation; 0 if none. */
  lastSeq(conv: string): number;
}

export function createClient(options: ClientOptions): ImClient {
  const config = resolveClientOptions(options);
  const state = createClientState(config);
  const emit = (event: ClientEvent): void => {
    config.onEvent?.(event);
  };
  const ctx: ClientContext = {
    config,
    state,
    emit,
    deliver: (conv, message) => {
      emit({
        type: 'delivered',
        t: config.now(),
        conv,
        cmid: message.cmid,
        from: message.from,
        seq: message.seq,
        via: message.via,
      });
    },
    open: (url, token, generation) => openConnection(url, token, generation, handlers),
    schedule: () => timer.schedule(),
    disarm: () => timer.disarm(),
  };
  const handlers = createHandlers(ctx);
  const timer = createTimer(config, state, (confirmed) => tick(ctx, confirmed));

  return {
    start() {
      if (state.phase !== 'idle') return;
      attemptConnect(ctx);
      timer.schedule();
    },
    send(conv, cmid, body) {
      submitSend(ctx, conv, cmid, body);
    },
    sync(conv) {
      const cs = conversation(state, conv);
      cs.syncDisabled = false;
      if (state.live !== 0 && cs.sync === undefined) requestSync(ctx, cs, config.now());
      timer.schedule();
    },
    close() {
      return closeClient(ctx);
    },
    get connected() {
      return state.live !== 0;
    },
    get region() {
      return state.currentRegion;
    },
    lastSeq(conv) {
      return state.conversations.get(conv)?.lastSeq ?? 0;
    },
  };
}

/** ImClient.close: no reconnect after; the open connection is closed gracefully. */
function closeClient(ctx: ClientContext): Promise<void> {
  const { config, state } = ctx;
  if (state.closing !== undefined) return state.closing;
  const t = config.now();
  const wasConnected = state.live !== 0;
  const region = state.currentRegion;
  const open = state.connection;
  state.phase = 'closed';
  ctx.disarm();
  state.connection = undefined;
  state.live = 0;
  state.currentRegion = undefined;
  const p = state.probe;
  state.probe = undefined;
  state.probeGeneration = 0;
  p?.abort('client closed');
  abandonOutbox(ctx, 'client closed');
  if (wasConnected && region !== undefined)
    ctx.emit({ type: 'disconnected', t, region, reason: 'client closed' });
  state.closing = open === undefined ? Promise.resolve() : open.close(1000, 'client closed');
  return state.closing;
}
