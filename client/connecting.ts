// The main connection's life: an attempt on the current endpoint, the welcome that makes it
// live (or the move over to a welcomed probe home), and the failure that decides where and when
// to try next. The rules for counting failures are in client.ts's header.
import { backoffDelay } from './backoff.ts';
import { probeFailed } from './probe.ts';
import { abandonOutbox, requestSync, transmit } from './sending.ts';
import { type ClientContext, heard } from './state.ts';

export function attemptConnect(ctx: ClientContext): void {
  const { config, state } = ctx;
  state.phase = 'connecting';
  state.reconnectAt = undefined;
  const t = config.now();
  state.connectDeadline = t + config.connectTimeoutMs;
  const attemptGeneration = ++state.generation;
  const url = config.endpoints[state.endpointIndex]!.url;
  const token = config.token;
  if (typeof token === 'string') {
    state.connection = ctx.open(url, token, attemptGeneration);
    return;
  }
  Promise.resolve()
    .then(token)
    .then(
      (value) => {
        if (state.phase !== 'connecting' || state.generation !== attemptGeneration) return;
        state.connection = ctx.open(url, value, attemptGeneration);
      },
      (error: unknown) => {
        if (state.phase !== 'connecting' || state.generation !== attemptGeneration) return;
        ctx.emit({
          type: 'error',
          t: config.now(),
          code: 'token',
          message: `token function failed: ${String(error)}`,
        });
        attemptFailed(ctx, 'token function failed', false);
        ctx.schedule();
      },
    );
}

/**
 * Gives up on the current connection (or attempt) now; its late close event is ignored. `hard`:
 * the endpoint went silent, so the next attempt goes to the next endpoint.
 */
export function dropConnection(ctx: ClientContext, reason: string, hard: boolean): void {
  const dropped = ctx.state.connection;
  attemptFailed(ctx, reason, false, hard);
  dropped?.abort(reason);
}

/** The connection (or attempt) is gone; decide where and when to try next. */
export function attemptFailed(ctx: ClientContext, reason: string, unauthorized: boolean, hard = false): void {
  const { config, state } = ctx;
  const t = config.now();
  const wasConnected = state.live !== 0;
  const lostRegion = state.currentRegion;
  state.connection = undefined;
  state.live = 0;
  state.currentRegion = undefined;
  state.connectDeadline = undefined;
  state.pingSentAt = undefined;
  state.confirmSilence = false;
  state.nextProbeAt = undefined;
  if (state.probeGeneration !== 0) probeFailed(ctx, t, 'main connection lost');
  state.nextProbeAt = undefined;
  if (state.homeSince !== undefined) {
    // A return home that did not last: wait longer before the next one. One that did: reset.
    if (t - state.homeSince >= config.returnHomeAfterMs) state.probeIntervalMs = config.returnHomeAfterMs;
    else if (state.returnedHome)
      state.probeIntervalMs = Math.min(state.probeIntervalMs * 2, config.maxProbeIntervalMs);
    state.homeSince = undefined;
    state.returnedHome = false;
  }
  for (const cs of state.conversations.values()) {
    cs.sync = undefined;
    cs.syncRetryAt = undefined;
  }
  state.attention.clear();
  if (wasConnected) ctx.emit({ type: 'disconnected', t, region: lostRegion!, reason });
  if (unauthorized) {
    // A bad token will not get better by retrying; hammering the server with it helps nobody.
    state.phase = 'failed';
    ctx.emit({ type: 'error', t, code: 'unauthorized', message: `server refused the token (${reason})` });
    abandonOutbox(ctx, 'unauthorized');
    ctx.disarm();
    return;
  }
  if (hard || !wasConnected) {
    state.failuresOnEndpoint++;
    if (hard || state.failuresOnEndpoint >= config.failoverAfter) {
      state.endpointIndex = (state.endpointIndex + 1) % config.endpoints.length;
      state.failuresOnEndpoint = 0;
    }
  }
  state.phase = 'waiting';
  state.reconnectAt = t + backoffDelay(state.backoffAttempt++, config.backoff, config.random);
}

/** The node welcomed the main connection: it is live; sync every conversation, resend the outbox. */
export function welcomed(ctx: ClientContext, node: string, t: number): void {
  const { config, state } = ctx;
  const region = config.endpoints[state.endpointIndex]!.region;
  state.phase = 'connected';
  state.live = state.connection!.generation;
  state.connectDeadline = undefined;
  state.failuresOnEndpoint = 0;
  state.backoffAttempt = 0;
  state.currentRegion = region;
  heard(state, t);
  state.homeSince = region === config.homeRegion ? t : undefined;
  state.nextProbeAt = region === config.homeRegion ? undefined : t + state.probeIntervalMs;
  ctx.emit({ type: 'connected', t, region, node });
  if (state.previousRegion !== undefined && state.previousRegion !== region) {
    ctx.emit({ type: 'failover', t, from: state.previousRegion, to: region });
  }
  state.previousRegion = region;
  for (const cs of state.conversations.values()) {
    cs.syncRefusals = 0;
    if (!cs.syncDisabled) requestSync(ctx, cs, t);
  }
  for (const entry of state.outbox.entries()) {
    entry.retryAt = undefined;
    entry.unavailableCount = 0;
    transmit(ctx, entry, t);
  }
}

/** Home answered: move over to the probe and let go of the connection elsewhere. */
export function promoteProbe(ctx: ClientContext, node: string, t: number): void {
  const { state } = ctx;
  const old = state.connection;
  const oldRegion = state.currentRegion;
  state.connection = state.probe;
  state.probe = undefined;
  state.probeGeneration = 0;
  state.probeDeadline = undefined;
  state.endpointIndex = state.probeEndpoint;
  state.failuresOnEndpoint = 0;
  if (old !== undefined) void old.close(1000, 'returning home');
  if (oldRegion !== undefined)
    ctx.emit({ type: 'disconnected', t, region: oldRegion, reason: 'returning home' });
  for (const cs of state.conversations.values()) cs.sync = undefined;
  welcomed(ctx, node, t);
  state.returnedHome = true;
}
