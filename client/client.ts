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
import {
  ClientMessageId,
  ConversationId,
  DEFAULT_MAX_FRAME_BYTES,
  type ServerFrame,
} from '../contracts/wire.ts';
import { type BackoffOptions, backoffDelay, resolveBackoff } from './backoff.ts';
import { type CloseInfo, type Connection, type ConnectionHandlers, openConnection } from './connection.ts';
import {
  type ConversationState,
  conversationDeadline,
  createConversationState,
  gapExpired,
  type HeldMessage,
  noteOwnAck,
  notePush,
  receive,
  resetTo,
  syncedTo,
} from './conversation-state.ts';
import type { ClientEvent } from './events.ts';
import { createOutbox, entryAction, entryDeadline, type OutboxEntry, type OutboxTimeouts } from './outbox.ts';

export interface Endpoint {
  region: string;
  /** ws://host:port/ws; the client appends `?token=`. */
  url: string;
}

export interface ClientOptions {
  user: string;
  /** A token, or a function called before every connection attempt (so it can be refreshed). */
  token: string | (() => string | Promise<string>);
  /** Home region's endpoints first; at least one. */
  endpoints: Endpoint[];
  /** Synced after each (re)connect; the client also learns conversations from deliveries and sends. */
  conversations?: string[];
  /** Full-jitter reconnect backoff; defaults 100 ms / 5000 ms. */
  backoff?: BackoffOptions;
  /** Consecutive failed attempts on one endpoint before moving to the next; default 2. */
  failoverAfter?: number;
  /** While connected outside the home region, try home again this often; default 30000. */
  returnHomeAfterMs?: number;
  /** A send unacked this long is reported send_indeterminate and dropped; default 30000. */
  sendTimeoutMs?: number;
  /** No ack on an open socket this long → resend with the same cmid; default 5000. */
  ackTimeoutMs?: number;
  /** A gap in pushed seqs that has not filled after this long triggers a sync; default 250. */
  gapWaitMs?: number;
  /**
   * A connection attempt not welcomed within this long is a hard failure: the next attempt goes
   * to the next endpoint. Also bounds each probe home. Default 3000.
   */
  connectTimeoutMs?: number;
  /**
   * Nothing received on the connection for this long → send a ping; 0 turns the idle heartbeat
   * off (silence is then noticed only through unanswered sends and syncs). Default 2000: with the
   * default timeout a dead node is noticed within 4 s, inside the 5–10 s faults scenarios inject,
   * for one 6-byte ping and a 2-byte pong per idle client every 2 s.
   */
  heartbeatMs?: number;
  /**
   * A ping with no pong (nor any other frame) within this long → the connection is dead:
   * `disconnected` with reason `heartbeat timeout`, then the next endpoint. Default 2000, far
   * above a loopback or cross-cloud round trip, so a busy node is not mistaken for a dead one.
   */
  heartbeatTimeoutMs?: number;
  /** Jitter source in [0, 1), for seeded runs; default Math.random. */
  random?: () => number;
  /** Wall clock in ms, used for event times and deadlines; default Date.now. */
  now?: () => number;
  onEvent?: (event: ClientEvent) => void;
}

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

/** Error codes after which the server has definitely not stored the message. */
const DEFINITE_FAILURES: ReadonlySet<string> = new Set([
  'not_found',
  'forbidden',
  'invalid_field',
  'too_large',
]);

/** A home that keeps failing right after the client returns is probed at most this much less often. */
const MAX_PROBE_BACKOFF = 8;

type State = 'idle' | 'waiting' | 'connecting' | 'connected' | 'failed' | 'closed';

function positive(name: string, value: number | undefined, fallback: number, allowZero = false): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw new RangeError(`${name}: must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${v}`);
  }
  return v;
}

export function createClient(options: ClientOptions): ImClient {
  if (options.endpoints.length === 0) throw new RangeError('endpoints: at least one endpoint is required');
  for (const [i, endpoint] of options.endpoints.entries()) {
    if (!/^wss?:\/\//.test(endpoint.url))
      throw new RangeError(`endpoints.${i}.url: not a ws:// URL: ${endpoint.url}`);
  }
  const endpoints = options.endpoints.map((e) => ({ region: e.region, url: e.url }));
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const onEvent = options.onEvent;
  const backoff = resolveBackoff(options.backoff);
  const failoverAfter = Math.floor(positive('failoverAfter', options.failoverAfter, 2));
  const returnHomeAfterMs = positive('returnHomeAfterMs', options.returnHomeAfterMs, 30_000);
  const timeouts: OutboxTimeouts = {
    sendTimeoutMs: positive('sendTimeoutMs', options.sendTimeoutMs, 30_000),
    ackTimeoutMs: positive('ackTimeoutMs', options.ackTimeoutMs, 5_000),
  };
  const gapWaitMs = positive('gapWaitMs', options.gapWaitMs, 250, true);
  const connectTimeoutMs = positive('connectTimeoutMs', options.connectTimeoutMs, 3_000);
  const heartbeatMs = positive('heartbeatMs', options.heartbeatMs, 2_000, true);
  const heartbeatTimeoutMs = positive('heartbeatTimeoutMs', options.heartbeatTimeoutMs, 2_000);
  const maxProbeIntervalMs = returnHomeAfterMs * MAX_PROBE_BACKOFF;
  const homeRegion = endpoints[0]!.region;
  const homeEndpoints = endpoints.flatMap((e, i) => (e.region === homeRegion ? [i] : []));

  let state: State = 'idle';
  let connection: Connection | undefined;
  let generation = 0;
  /** Generation of the welcomed connection; 0 while none is. */
  let live = 0;
  let endpointIndex = 0;
  let failuresOnEndpoint = 0;
  let backoffAttempt = 0;
  let reconnectAt: number | undefined;
  let connectDeadline: number | undefined;
  let currentRegion: string | undefined;
  let previousRegion: string | undefined;
  let lastHeardAt = 0;
  let pingSentAt: number | undefined;
  let probe: Connection | undefined;
  /** Generation reserved for the probe being opened; 0 while no probe is under way. */
  let probeGeneration = 0;
  let probeEndpoint = 0;
  let probeRound = 0;
  let probeDeadline: number | undefined;
  let nextProbeAt: number | undefined;
  /** Current wait between probes home; grows while returns home do not last. */
  let probeIntervalMs = returnHomeAfterMs;
  /** When the open connection to home was welcomed; undefined while not connected home. */
  let homeSince: number | undefined;
  /** The open connection to home came from a probe: the client returned there. */
  let returnedHome = false;
  /** A silence verdict is due; it is given on the next timer, after one pass over pending I/O. */
  let confirmSilence = false;
  let closing: Promise<void> | undefined;

  const outbox = createOutbox();
  const conversations = new Map<string, ConversationState>();
  /** Conversations with a gap, a sync in flight or a sync retry pending. */
  const attention = new Set<ConversationState>();
  let timer: NodeJS.Timeout | undefined;
  let timerDue = Number.POSITIVE_INFINITY;

  const emit = (event: ClientEvent): void => {
    onEvent?.(event);
  };

  const deliver = (conv: string, message: HeldMessage): void => {
    emit({
      type: 'delivered',
      t: now(),
      conv,
      cmid: message.cmid,
      from: message.from,
      seq: message.seq,
      via: message.via,
    });
  };

  function conversation(conv: string): ConversationState {
    let cs = conversations.get(conv);
    if (cs === undefined) {
      cs = createConversationState(conv);
      conversations.set(conv, cs);
    }
    return cs;
  }

  for (const conv of options.conversations ?? []) conversation(conv);

  // ---- timer ----

  function nextDeadline(): number {
    if (confirmSilence) return 0;
    let due = Number.POSITIVE_INFINITY;
    if (state === 'waiting' && reconnectAt !== undefined) due = reconnectAt;
    if (state === 'connecting' && connectDeadline !== undefined) due = Math.min(due, connectDeadline);
    for (const entry of outbox.entries()) due = Math.min(due, entryDeadline(entry, live, timeouts));
    if (live !== 0) {
      if (pingSentAt !== undefined) due = Math.min(due, pingSentAt + heartbeatTimeoutMs);
      else if (heartbeatMs > 0) due = Math.min(due, lastHeardAt + heartbeatMs);
      for (const cs of attention)
        due = Math.min(due, conversationDeadline(cs, gapWaitMs, timeouts.ackTimeoutMs));
      if (probeDeadline !== undefined) due = Math.min(due, probeDeadline);
      else if (nextProbeAt !== undefined) due = Math.min(due, nextProbeAt);
    }
    return due;
  }

  function schedule(): void {
    if (state === 'closed' || state === 'failed') {
      disarm();
      return;
    }
    const due = nextDeadline();
    if (due === Number.POSITIVE_INFINITY) {
      disarm();
      return;
    }
    // An armed timer that fires no later is left alone: it re-evaluates everything when it fires.
    if (timer !== undefined && timerDue <= due) return;
    disarm();
    timerDue = due;
    timer = setTimeout(onTimer, Math.max(0, due - now()));
  }

  function disarm(): void {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    timerDue = Number.POSITIVE_INFINITY;
  }

  function onTimer(): void {
    timer = undefined;
    timerDue = Number.POSITIVE_INFINITY;
    const confirmed = confirmSilence;
    confirmSilence = false;
    tick(confirmed);
    schedule();
  }

  /**
   * Whether a silence that is due may be acted on now. The first time it is only noted: the timer
   * fires again after the event loop has polled for I/O, and only then is the verdict given.
   */
  function silenceConfirmed(confirmed: boolean): boolean {
    if (!confirmed) confirmSilence = true;
    return confirmed;
  }

  function tick(confirmed: boolean): void {
    const t = now();
    if (state === 'waiting' && reconnectAt !== undefined && t >= reconnectAt) attemptConnect();
    if (
      state === 'connecting' &&
      connectDeadline !== undefined &&
      t >= connectDeadline &&
      silenceConfirmed(confirmed)
    ) {
      if (connection === undefined) dropConnection('token not available before connect timeout', false);
      else dropConnection('connect timeout', true);
    }
    if (live !== 0) {
      if (pingSentAt !== undefined) {
        if (t >= pingSentAt + heartbeatTimeoutMs && silenceConfirmed(confirmed))
          dropConnection('heartbeat timeout', true);
      } else if (heartbeatMs > 0 && t >= lastHeardAt + heartbeatMs) {
        ping(t);
      }
    }
    for (const entry of outbox.entries()) {
      const action = entryAction(entry, live, t, timeouts);
      if (action === 'expire') {
        outbox.take(entry.conv, entry.cmid);
        emit({
          type: 'send_indeterminate',
          t,
          conv: entry.conv,
          cmid: entry.cmid,
          reason: `no ack within ${timeouts.sendTimeoutMs} ms`,
        });
      } else if (action === 'transmit') {
        if (entry.sentOn === live && entry.retryAt === undefined) suspectSilence(entry.sentAt, t);
        transmit(entry, t);
      }
    }
    if (live !== 0) {
      for (const cs of attention) {
        if (cs.sync !== undefined) {
          if (t >= cs.sync.sentAt + timeouts.ackTimeoutMs) {
            suspectSilence(cs.sync.sentAt, t);
            requestSync(cs, t);
          }
        } else if (cs.syncRetryAt !== undefined && t >= cs.syncRetryAt) {
          requestSync(cs, t);
        } else if (cs.gapSince !== undefined && !cs.syncDisabled && t >= cs.gapSince + gapWaitMs) {
          if (gapExpired(cs, t, deliver)) requestSync(cs, t);
        }
        if (cs.sync === undefined && cs.syncRetryAt === undefined && cs.gapSince === undefined)
          attention.delete(cs);
      }
      if (probeDeadline !== undefined && t >= probeDeadline) {
        if (silenceConfirmed(confirmed)) probeFailed(t, 'connect timeout');
      } else if (probeGeneration === 0 && nextProbeAt !== undefined && t >= nextProbeAt) startProbe(t);
    }
  }

  /** Something went unanswered since `since`; if nothing at all was heard since, ask for a pong. */
  function suspectSilence(since: number, t: number): void {
    if (lastHeardAt < since && pingSentAt === undefined) ping(t);
  }

  function ping(t: number): void {
    if (connection === undefined) return;
    pingSentAt = t;
    connection.ping();
  }

  /** Anything from the node on the main connection: the path is alive. */
  function heard(t: number): void {
    lastHeardAt = t;
    pingSentAt = undefined;
  }

  // ---- connecting ----

  function attemptConnect(): void {
    state = 'connecting';
    reconnectAt = undefined;
    const t = now();
    connectDeadline = t + connectTimeoutMs;
    const attemptGeneration = ++generation;
    const url = endpoints[endpointIndex]!.url;
    const token = options.token;
    if (typeof token === 'string') {
      connection = openConnection(url, token, attemptGeneration, handlers);
      return;
    }
    Promise.resolve()
      .then(token)
      .then(
        (value) => {
          if (state !== 'connecting' || generation !== attemptGeneration) return;
          connection = openConnection(url, value, attemptGeneration, handlers);
        },
        (error: unknown) => {
          if (state !== 'connecting' || generation !== attemptGeneration) return;
          emit({
            type: 'error',
            t: now(),
            code: 'token',
            message: `token function failed: ${String(error)}`,
          });
          attemptFailed('token function failed', false);
          schedule();
        },
      );
  }

  /**
   * Gives up on the current connection (or attempt) now; its late close event is ignored. `hard`:
   * the endpoint went silent, so the next attempt goes to the next endpoint.
   */
  function dropConnection(reason: string, hard: boolean): void {
    const dropped = connection;
    attemptFailed(reason, false, hard);
    dropped?.abort(reason);
  }

  /** The connection (or attempt) is gone; decide where and when to try next. */
  function attemptFailed(reason: string, unauthorized: boolean, hard = false): void {
    const t = now();
    const wasConnected = live !== 0;
    const lostRegion = currentRegion;
    connection = undefined;
    live = 0;
    currentRegion = undefined;
    connectDeadline = undefined;
    pingSentAt = undefined;
    confirmSilence = false;
    nextProbeAt = undefined;
    if (probeGeneration !== 0) probeFailed(t, 'main connection lost');
    nextProbeAt = undefined;
    if (homeSince !== undefined) {
      // A return home that did not last: wait longer before the next one. One that did: reset.
      if (t - homeSince >= returnHomeAfterMs) probeIntervalMs = returnHomeAfterMs;
      else if (returnedHome) probeIntervalMs = Math.min(probeIntervalMs * 2, maxProbeIntervalMs);
      homeSince = undefined;
      returnedHome = false;
    }
    for (const cs of conversations.values()) {
      cs.sync = undefined;
      cs.syncRetryAt = undefined;
    }
    attention.clear();
    if (wasConnected) emit({ type: 'disconnected', t, region: lostRegion!, reason });
    if (unauthorized) {
      // A bad token will not get better by retrying; hammering the server with it helps nobody.
      state = 'failed';
      emit({ type: 'error', t, code: 'unauthorized', message: `server refused the token (${reason})` });
      abandonOutbox('unauthorized');
      disarm();
      return;
    }
    if (hard || !wasConnected) {
      failuresOnEndpoint++;
      if (hard || failuresOnEndpoint >= failoverAfter) {
        endpointIndex = (endpointIndex + 1) % endpoints.length;
        failuresOnEndpoint = 0;
      }
    }
    state = 'waiting';
    reconnectAt = t + backoffDelay(backoffAttempt++, backoff, random);
  }

  function welcomed(node: string, t: number): void {
    const region = endpoints[endpointIndex]!.region;
    state = 'connected';
    live = connection!.generation;
    connectDeadline = undefined;
    failuresOnEndpoint = 0;
    backoffAttempt = 0;
    currentRegion = region;
    heard(t);
    homeSince = region === homeRegion ? t : undefined;
    nextProbeAt = region === homeRegion ? undefined : t + probeIntervalMs;
    emit({ type: 'connected', t, region, node });
    if (previousRegion !== undefined && previousRegion !== region) {
      emit({ type: 'failover', t, from: previousRegion, to: region });
    }
    previousRegion = region;
    for (const cs of conversations.values()) {
      cs.syncRefusals = 0;
      if (!cs.syncDisabled) requestSync(cs, t);
    }
    for (const entry of outbox.entries()) {
      entry.retryAt = undefined;
      entry.unavailableCount = 0;
      transmit(entry, t);
    }
  }

  function startProbe(t: number): void {
    probeEndpoint = homeEndpoints[probeRound % homeEndpoints.length]!;
    probeRound++;
    nextProbeAt = undefined;
    probeDeadline = t + connectTimeoutMs;
    const token = options.token;
    const url = endpoints[probeEndpoint]!.url;
    const thisProbe = ++generation;
    probeGeneration = thisProbe;
    const open = (value: string): void => {
      if (probeGeneration !== thisProbe || state !== 'connected') return;
      probe = openConnection(url, value, thisProbe, handlers);
    };
    if (typeof token === 'string') open(token);
    else
      Promise.resolve()
        .then(token)
        .then(open, () => {
          if (probeGeneration !== thisProbe) return;
          probeFailed(now(), 'token function failed');
          schedule();
        });
  }

  /** The probe home did not get through; try again a full interval later. */
  function probeFailed(t: number, reason: string): void {
    const failed = probe;
    probe = undefined;
    probeGeneration = 0;
    probeDeadline = undefined;
    failed?.abort(reason);
    if (state === 'connected' && currentRegion !== homeRegion) nextProbeAt = t + probeIntervalMs;
  }

  /** Home answered: move over to the probe and let go of the connection elsewhere. */
  function promoteProbe(node: string, t: number): void {
    const old = connection;
    const oldRegion = currentRegion;
    connection = probe;
    probe = undefined;
    probeGeneration = 0;
    probeDeadline = undefined;
    endpointIndex = probeEndpoint;
    failuresOnEndpoint = 0;
    if (old !== undefined) void old.close(1000, 'returning home');
    if (oldRegion !== undefined)
      emit({ type: 'disconnected', t, region: oldRegion, reason: 'returning home' });
    for (const cs of conversations.values()) cs.sync = undefined;
    welcomed(node, t);
    returnedHome = true;
  }

  // ---- frames ----

  const handlers: ConnectionHandlers = {
    onFrame(from, frame) {
      if (from === probe) {
        if (frame.type === 'welcome') {
          promoteProbe(frame.node, now());
          schedule();
        }
        return;
      }
      if (from !== connection) return;
      const t = now();
      heard(t);
      handleFrame(frame, t);
      schedule();
    },
    onInvalidFrame(from, problem) {
      if (from !== connection) return;
      heard(now());
      emit({ type: 'error', t: now(), code: 'bad_frame', message: problem });
    },
    onHeartbeat(from) {
      if (from !== connection) return;
      heard(now());
      schedule();
    },
    onClose(from, info: CloseInfo) {
      if (from === probe) {
        probeFailed(now(), info.reason);
        schedule();
        return;
      }
      if (from !== connection || state === 'closed') return;
      attemptFailed(info.reason, info.unauthorized);
      schedule();
    },
  };

  function handleFrame(frame: ServerFrame, t: number): void {
    switch (frame.type) {
      case 'welcome':
        if (state === 'connecting') welcomed(frame.node, t);
        return;
      case 'ack': {
        const entry = outbox.take(frame.conv, frame.cmid);
        // No entry: an answer to a resend whose first ack already arrived, or one that came too late.
        if (entry === undefined) return;
        noteOwnAck(conversation(frame.conv), frame.seq);
        emit({
          type: 'acked',
          t,
          conv: frame.conv,
          cmid: frame.cmid,
          seq: frame.seq,
          epoch: frame.epoch,
          level: frame.level,
        });
        return;
      }
      case 'msg': {
        const cs = conversation(frame.conv);
        if (cs.sync === undefined && connection !== undefined) {
          const afterSeq = cs.pushedMax;
          if (notePush(cs, connection.generation, frame.seq)) {
            emit({ type: 'out_of_order', t, conv: frame.conv, seq: frame.seq, afterSeq });
          }
        }
        const outcome = receive(
          cs,
          {
            seq: frame.seq,
            cmid: frame.cmid,
            from: frame.from,
            via: cs.sync === undefined ? 'push' : 'sync',
          },
          t,
          deliver,
        );
        if (outcome === 'held') attention.add(cs);
        return;
      }
      case 'synced': {
        const cs = conversation(frame.conv);
        const afterSeq = cs.sync?.afterSeq ?? cs.lastSeq;
        syncedTo(cs, frame.seq, t, deliver);
        emit({ type: 'synced', t, conv: frame.conv, afterSeq, seq: frame.seq });
        if (cs.gapSince === undefined) attention.delete(cs);
        return;
      }
      case 'behind': {
        // The node cannot vouch for the conversation; what it has is not the current state.
        const cs = conversation(frame.conv);
        refuseSync(cs, t);
        emit({
          type: 'error',
          t,
          code: 'behind',
          conv: frame.conv,
          message: `node is behind at seq ${frame.seq}${frame.reason === undefined ? '' : `: ${frame.reason}`}`,
        });
        return;
      }
      case 'reset': {
        const cs = conversation(frame.conv);
        const answered = cs.sync;
        cs.sync = undefined;
        resetTo(cs, frame.seq);
        emit({ type: 'reset', t, conv: frame.conv, seq: frame.seq, reason: frame.reason });
        // A reset ends a sync answer; catch up from the new starting point, unless that is
        // exactly where the sync it answered started (asking again would be reset again).
        if (answered === undefined || answered.afterSeq !== frame.seq) requestSync(cs, t);
        return;
      }
      case 'error':
        handleError(frame, t);
        return;
    }
  }

  function handleError(frame: Extract<ServerFrame, { type: 'error' }>, t: number): void {
    const entry = frame.cmid === undefined ? undefined : findEntry(frame.cmid, frame.conv);
    if (entry !== undefined) {
      if (DEFINITE_FAILURES.has(frame.code)) {
        outbox.take(entry.conv, entry.cmid);
        emit({
          type: 'send_failed',
          t,
          conv: entry.conv,
          cmid: entry.cmid,
          reason: `${frame.code}: ${frame.message}`,
        });
        return;
      }
      if (frame.code === 'unavailable') {
        entry.retryAt = t + backoffDelay(entry.unavailableCount++, backoff, random);
      }
      emit({
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
      const cs = conversations.get(frame.conv);
      if (cs?.sync !== undefined) {
        if (frame.code === 'unavailable') refuseSync(cs, t);
        else if (frame.code === 'not_found' || frame.code === 'forbidden') {
          cs.sync = undefined;
          cs.syncDisabled = true;
        }
      }
    }
    const event: ClientEvent = { type: 'error', t, code: frame.code, message: frame.message };
    if (frame.conv !== undefined) event.conv = frame.conv;
    if (frame.cmid !== undefined) event.cmid = frame.cmid;
    emit(event);
  }

  function findEntry(cmid: string, conv: string | undefined): OutboxEntry | undefined {
    if (conv !== undefined) return outbox.get(conv, cmid);
    for (const entry of outbox.entries()) if (entry.cmid === cmid) return entry;
    return undefined;
  }

  function refuseSync(cs: ConversationState, t: number): void {
    cs.sync = undefined;
    cs.syncRetryAt = t + backoffDelay(cs.syncRefusals++, backoff, random);
    attention.add(cs);
  }

  // ---- sending ----

  function transmit(entry: OutboxEntry, t: number): void {
    if (connection === undefined || live === 0) return;
    // Marked as sent even when the socket is already closing, so that the entry waits for the
    // close event (and the resend after reconnecting) instead of being retried in a busy loop.
    entry.sentOn = live;
    entry.sentAt = t;
    entry.retryAt = undefined;
    if (!connection.send(entry.frame)) return;
    entry.attempts++;
    emit({
      type: 'sent',
      t,
      conv: entry.conv,
      cmid: entry.cmid,
      attempt: entry.attempts,
      region: currentRegion!,
    });
  }

  function requestSync(cs: ConversationState, t: number): void {
    if (connection === undefined || live === 0) return;
    const afterSeq = cs.lastSeq;
    // Recorded even if the socket is closing: the sync timeout then retries instead of a busy loop.
    connection.send(JSON.stringify({ type: 'sync', conv: cs.conv, afterSeq }));
    cs.sync = { afterSeq, sentAt: t };
    cs.syncRetryAt = undefined;
    attention.add(cs);
  }

  function abandonOutbox(reason: string): void {
    for (const entry of outbox.drain()) {
      emit({ type: 'send_indeterminate', t: now(), conv: entry.conv, cmid: entry.cmid, reason });
    }
  }

  function refuse(conv: string, cmid: string, reason: string): void {
    emit({ type: 'send_failed', t: now(), conv, cmid, reason });
  }

  return {
    start() {
      if (state !== 'idle') return;
      attemptConnect();
      schedule();
    },
    send(conv, cmid, body) {
      if (state === 'closed' || state === 'failed') {
        refuse(conv, cmid, state === 'closed' ? 'client closed' : 'unauthorized');
        return;
      }
      const convCheck = ConversationId.safeParse(conv);
      if (!convCheck.success)
        return refuse(conv, cmid, `invalid_field: conv: ${convCheck.error.issues[0]?.message}`);
      const cmidCheck = ClientMessageId.safeParse(cmid);
      if (!cmidCheck.success)
        return refuse(conv, cmid, `invalid_field: cmid: ${cmidCheck.error.issues[0]?.message}`);
      const frame = JSON.stringify({ type: 'send', conv, cmid, body });
      const bytes = Buffer.byteLength(frame);
      if (bytes > DEFAULT_MAX_FRAME_BYTES) {
        // The server would close the socket (1009) and the resend would close the next one too.
        return refuse(conv, cmid, `too_large: frame of ${bytes} bytes exceeds ${DEFAULT_MAX_FRAME_BYTES}`);
      }
      const t = now();
      const entry = outbox.add(conv, cmid, frame, t);
      if (entry === undefined) return; // already pending: its outcome answers this call too
      conversation(conv);
      if (live !== 0) transmit(entry, t);
      schedule();
    },
    sync(conv) {
      const cs = conversation(conv);
      cs.syncDisabled = false;
      if (live !== 0 && cs.sync === undefined) requestSync(cs, now());
      schedule();
    },
    close() {
      if (closing !== undefined) return closing;
      const t = now();
      const wasConnected = live !== 0;
      const region = currentRegion;
      const open = connection;
      state = 'closed';
      disarm();
      connection = undefined;
      live = 0;
      currentRegion = undefined;
      const p = probe;
      probe = undefined;
      probeGeneration = 0;
      p?.abort('client closed');
      abandonOutbox('client closed');
      if (wasConnected && region !== undefined)
        emit({ type: 'disconnected', t, region, reason: 'client closed' });
      closing = open === undefined ? Promise.resolve() : open.close(1000, 'client closed');
      return closing;
    },
    get connected() {
      return live !== 0;
    },
    get region() {
      return currentRegion;
    },
    lastSeq(conv) {
      return conversations.get(conv)?.lastSeq ?? 0;
    },
  };
}
