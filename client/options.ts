// What a client may be told (ClientOptions) and the same options checked once, with every
// default filled in (ClientConfig). The parts of the client read the config and never the raw
// options, so a default or a bound lives in this one place.
import { type BackoffOptions, type ResolvedBackoff, resolveBackoff } from './backoff.ts';
import type { ClientEvent } from './events.ts';
import type { OutboxTimeouts } from './outbox.ts';

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

/** The options after checking, with defaults applied and the derived values computed once. */
export interface ClientConfig {
  readonly endpoints: readonly Endpoint[];
  readonly token: ClientOptions['token'];
  readonly conversations: readonly string[];
  readonly now: () => number;
  readonly random: () => number;
  readonly onEvent: ((event: ClientEvent) => void) | undefined;
  readonly backoff: ResolvedBackoff;
  readonly failoverAfter: number;
  readonly returnHomeAfterMs: number;
  readonly timeouts: OutboxTimeouts;
  readonly gapWaitMs: number;
  readonly connectTimeoutMs: number;
  readonly heartbeatMs: number;
  readonly heartbeatTimeoutMs: number;
  /** The longest the wait between probes home may grow to. */
  readonly maxProbeIntervalMs: number;
  readonly homeRegion: string;
  /** Indexes into `endpoints` of the home region's endpoints, which probes take turns on. */
  readonly homeEndpoints: readonly number[];
}

/** A home that keeps failing right after the client returns is probed at most this much less often. */
const MAX_PROBE_BACKOFF = 8;

function positive(name: string, value: number | undefined, fallback: number, allowZero = false): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw new RangeError(`${name}: must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${v}`);
  }
  return v;
}

function checkedEndpoints(endpoints: readonly Endpoint[]): Endpoint[] {
  if (endpoints.length === 0) throw new RangeError('endpoints: at least one endpoint is required');
  for (const [i, endpoint] of endpoints.entries()) {
    if (!/^wss?:\/\//.test(endpoint.url))
      throw new RangeError(`endpoints.${i}.url: not a ws:// URL: ${endpoint.url}`);
  }
  return endpoints.map((e) => ({ region: e.region, url: e.url }));
}

/** Checks the options (throwing RangeError on the first bad one) and fills in the defaults. */
export function resolveClientOptions(options: ClientOptions): ClientConfig {
  const endpoints = checkedEndpoints(options.endpoints);
  const backoff = resolveBackoff(options.backoff);
  const failoverAfter = Math.floor(positive('failoverAfter', options.failoverAfter, 2));
  const returnHomeAfterMs = positive('returnHomeAfterMs', options.returnHomeAfterMs, 30_000);
  const timeouts: OutboxTimeouts = {
    sendTimeoutMs: positive('sendTimeoutMs', options.sendTimeoutMs, 30_000),
    ackTimeoutMs: positive('ackTimeoutMs', options.ackTimeoutMs, 5_000),
  };
  const homeRegion = endpoints[0]!.region;
  return {
    endpoints,
    token: options.token,
    conversations: options.conversations ?? [],
    now: options.now ?? Date.now,
    random: options.random ?? Math.random,
    onEvent: options.onEvent,
    backoff,
    failoverAfter,
    returnHomeAfterMs,
    timeouts,
    gapWaitMs: positive('gapWaitMs', options.gapWaitMs, 250, true),
    connectTimeoutMs: positive('connectTimeoutMs', options.connectTimeoutMs, 3_000),
    heartbeatMs: positive('heartbeatMs', options.heartbeatMs, 2_000, true),
    heartbeatTimeoutMs: positive('heartbeatTimeoutMs', options.heartbeatTimeoutMs, 2_000),
    maxProbeIntervalMs: returnHomeAfterMs * MAX_PROBE_BACKOFF,
    homeRegion,
    homeEndpoints: endpoints.flatMap((e, i) => (e.region === homeRegion ? [i] : [])),
  };
}
