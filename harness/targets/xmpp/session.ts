// One user's XMPP session as a TargetSession: a c2s connection to the user's home server only
// (an XMPP account lives on one server, so "failover" is reconnecting to the same one), with
// stream management (XEP-0198) turning the server's `<a h/>` into `acked` and a resumed or
// failed stream into resends. Also the one place that opens an @xmpp/client connection, so
// the readers in mam.ts get the same socket settings.
/// <reference path="./xmpp-client.d.ts" />
import { client, type XmlElement, type XmppClient, xml } from '@xmpp/client';
import type { SessionEvent, TargetSession } from '../../../contracts/target.ts';
import { readArchive } from './mam.ts';
import {
  buildMessage,
  type ChatquakeMessage,
  memberIndexOfSeq,
  parseBounce,
  parseMessage,
  stanzaIdBy,
} from './stanza.ts';

const NS_SM = 'urn:xmpp:sm:3';
const NS_STREAM = 'http://etherx.jabber.org/streams';

export interface XmppConnectionOptions {
  service: string;
  domain: string;
  username: string;
  password: string;
  resource: string;
  /** Socket connect plus stream negotiation; a slower attempt is dropped and retried. */
  connectTimeoutMs: number;
  /** Base reconnect delay; each drop waits base × (0.5 … 1.5) drawn from `random`. */
  reconnectDelayMs: number;
  random: () => number;
}

/**
 * An @xmpp/client connection (not started) with TCP_NODELAY on every socket it opens and a
 * watchdog that drops an attempt that is not online within connectTimeoutMs.
 */
export function openXmppClient(o: XmppConnectionOptions): XmppClient {
  const xmpp = client({
    service: o.service,
    domain: o.domain,
    username: o.username,
    password: o.password,
    resource: o.resource,
    timeout: o.connectTimeoutMs,
    // @xmpp/client never picks PLAIN off TLS, and the regions offer no TLS to clients on loopback
    // and no SCRAM (its 4096 SHA-1 rounds in Lua per login stall a region when dozens of users
    // reconnect at once): PLAIN it is, as a loopback test rig may.
    credentials: (authenticate, mechanisms) =>
      authenticate(
        { username: o.username, password: o.password },
        mechanisms.includes('PLAIN') ? 'PLAIN' : (mechanisms[0] ?? 'PLAIN'),
      ),
  });
  const jitter = (): number => Math.round(o.reconnectDelayMs * (0.5 + o.random()));
  xmpp.reconnect.delay = jitter();
  let watchdog: NodeJS.Timeout | undefined;
  xmpp.on('status', (status: string) => {
    if (status === 'connect') xmpp.socket?.setNoDelay(true);
    if (status === 'connecting') {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        if (xmpp.status !== 'online') xmpp.socket?.destroy();
      }, o.connectTimeoutMs);
      watchdog.unref();
    }
    if (status === 'online' || status === 'offline') clearTimeout(watchdog);
  });
  xmpp.streamManagement.on('resumed', () => clearTimeout(watchdog));
  xmpp.on('disconnect', () => {
    // Read by the reconnect module when the next drop schedules its attempt.
    xmpp.reconnect.delay = jitter();
  });
  return xmpp;
}

/** What a session needs from its target: where the peer is and which seq a new send gets. */
export interface SessionContext {
  id: string;
  user: string;
  region: string;
  connection: XmppConnectionOptions;
  resend: boolean;
  /** The peer's bare JID and the seq of a first send of `cmid` in `conv`; throws for an unknown conversation. */
  assign(conv: string): { to: string; seq: number };
  /** Conversations to catch up on from the archive after a reconnect that lost the stream. */
  conversations: string[];
  /** The other member of a direct conversation, or undefined when it is not known. */
  peer(conv: string): { user: string; jid: string; index: number } | undefined;
  /** Per archive page of a catch-up. */
  readTimeoutMs: number;
  /** The user a JID local part stands for. */
  userOf(local: string): string;
  onEvent: (event: SessionEvent) => void;
}

interface Outgoing {
  conv: string;
  cmid: string;
  body: string;
  seq: number;
  to: string;
}

/** One session's state, made in one place and handed to the plain functions below. */
interface SessionState {
  ctx: SessionContext;
  xmpp: XmppClient;
  /** Every message this session sent, by cmid: a resend keeps its seq, a bounce finds its conv. */
  sent: Map<string, Outgoing>;
  /** Written on the current stream, not yet acked. */
  inflight: Map<string, Outgoing>;
  /** Waiting for a ready stream: resends first (in their original order), then new sends. */
  retry: Outgoing[];
  outbox: Outgoing[];
  /** Highest seq pushed per conversation on this session. */
  highest: Map<string, number>;
  /** Cmids delivered per conversation, so a catch-up does not deliver them again. */
  delivered: Map<string, Set<string>>;
  /** Highest seq delivered per conversation by push or sync: a catch-up delivers only above it. */
  topDelivered: Map<string, number>;
  /** When the session began: a catch-up with no anchor reads the archive from here. */
  startedAt: number;
  /** Per conversation, the archive id of the newest message known here: where a catch-up starts. */
  anchor: Map<string, string>;
  /** Conversations being caught up, with the pushes held back until the catch-up is delivered. */
  syncing: Map<string, ChatquakeMessage[]>;
  /** Some stream was ready before: a new, unresumed one then catches up from the archive. */
  everReady: boolean;
  /** Online with stream management settled: sends go straight out. */
  ready: boolean;
  /** A `connected` was reported and no `disconnected` since. */
  up: boolean;
  onlineThisStream: boolean;
  /** The server's last stream features offered stream management. */
  smOffered: boolean;
  closed: boolean;
  lastError: string;
}

const now = (): number => Date.now();

function transmit(s: SessionState, m: Outgoing): void {
  s.inflight.set(m.cmid, m);
  s.xmpp.send(buildMessage(m)).catch(() => {
    // Never reached the stream's queue: not on the wire as far as stream management knows.
    if (s.inflight.get(m.cmid) !== m) return;
    s.inflight.delete(m.cmid);
    unsent(s, m, 'write failed');
  });
}

/** A send that left no trace the server acknowledged: queued again, or reported indeterminate. */
function unsent(s: SessionState, m: Outgoing, reason: string): void {
  if (s.closed) return;
  if (s.ctx.resend) s.retry.push(m);
  else s.ctx.onEvent({ type: 'send_indeterminate', t: now(), conv: m.conv, cmid: m.cmid, reason });
}

function streamReady(s: SessionState, resumed: boolean): void {
  if (s.closed || s.ready) return;
  s.ready = true;
  // A resumed stream keeps its presence; a new one announces it, so the server pushes to it.
  if (!resumed) s.xmpp.send(xml('presence')).catch(() => {});
  s.up = true;
  s.ctx.onEvent({ type: 'connected', t: now(), region: s.ctx.region, node: 'n1' });
  if (!resumed && s.everReady) for (const conv of s.ctx.conversations) void catchUp(s, conv);
  s.everReady = true;
  const queued = [...s.retry, ...s.outbox];
  s.retry = [];
  s.outbox = [];
  for (const m of queued) transmit(s, m);
}

function watchConnection(s: SessionState): void {
  const { xmpp, ctx } = s;
  xmpp.on('online', () => {
    s.onlineThisStream = true;
    // A server without stream management never acks: the session still sends and receives.
    if (!s.smOffered) setImmediate(() => streamReady(s, false));
  });
  xmpp.on('nonza', (element: XmlElement) => {
    if (element.is('features', NS_STREAM)) s.smOffered = element.getChild('sm', NS_SM) !== undefined;
    // Presence waits for <enabled/>: sent earlier, it races the enable and desynchronises the
    // ack counters. setImmediate lets the library record the enable first.
    if (element.is('enabled', NS_SM)) setImmediate(() => streamReady(s, false));
    // A <failed/> after binding refuses stream management itself (before it, a resumption).
    else if (element.is('failed', NS_SM) && s.onlineThisStream) setImmediate(() => streamReady(s, false));
  });
  xmpp.streamManagement.on('resumed', () => streamReady(s, true));
  xmpp.on('disconnect', (info) => {
    s.ready = false;
    s.onlineThisStream = false;
    if (s.closed || !s.up) return;
    s.up = false;
    const reason = info.reason instanceof Error ? info.reason.message : s.lastError || 'connection closed';
    ctx.onEvent({ type: 'disconnected', t: now(), region: ctx.region, reason });
    s.lastError = '';
  });
  xmpp.on('error', (error: unknown) => {
    s.lastError = error instanceof Error ? error.message : String(error);
  });
}

function watchOutcomes(s: SessionState): void {
  const sm = s.xmpp.streamManagement;
  const ours = (stanza: XmlElement): Outgoing | undefined =>
    stanza.name === 'message' ? s.inflight.get(stanza.attrs.id ?? '') : undefined;
  sm.on('ack', (stanza: XmlElement) => {
    const m = ours(stanza);
    if (m === undefined) return;
    s.inflight.delete(m.cmid);
    s.ctx.onEvent({ type: 'acked', t: now(), conv: m.conv, cmid: m.cmid, seq: m.seq, level: 'accepted' });
  });
  sm.on('fail', (stanza: XmlElement) => {
    const m = ours(stanza);
    if (m === undefined) return;
    s.inflight.delete(m.cmid);
    unsent(s, m, 'stream not resumed after reconnecting');
  });
  s.xmpp.on('stanza', (stanza: XmlElement) => {
    if (!s.closed) onStanza(s, stanza);
  });
}

/** An incoming stanza: a bounce of one of ours (even after its ack), or a delivery. */
function onStanza(s: SessionState, stanza: XmlElement): void {
  const emit = s.ctx.onEvent;
  const bounce = parseBounce(stanza);
  if (bounce !== undefined) {
    const m = s.sent.get(bounce.id);
    if (m === undefined) return;
    s.inflight.delete(m.cmid);
    emit({
      type: 'send_failed',
      t: now(),
      conv: m.conv,
      cmid: m.cmid,
      reason: `bounced: ${bounce.condition}`,
    });
    return;
  }
  const message = parseMessage(stanza);
  if (message === undefined) return;
  const archiveId = stanzaIdBy(stanza, `${s.ctx.connection.username}@${s.ctx.connection.domain}`);
  if (archiveId !== undefined) s.anchor.set(message.conv, archiveId);
  const held = s.syncing.get(message.conv);
  if (held !== undefined) held.push(message);
  else deliver(s, message, 'push');
}

function deliver(
  s: SessionState,
  message: ChatquakeMessage,
  via: 'push' | 'sync',
  from = message.from === undefined ? '' : s.ctx.userOf(message.from),
): void {
  const { conv, cmid, seq } = message;
  let seen = s.delivered.get(conv);
  if (seen === undefined) {
    seen = new Set();
    s.delivered.set(conv, seen);
  }
  seen.add(cmid);
  if (seq > (s.topDelivered.get(conv) ?? Number.NEGATIVE_INFINITY)) s.topDelivered.set(conv, seq);
  const t = now();
  s.ctx.onEvent({ type: 'delivered', t, conv, cmid, from, seq, via });
  if (via === 'sync') return;
  const top = s.highest.get(conv);
  if (top !== undefined && seq < top) s.ctx.onEvent({ type: 'out_of_order', t, conv, seq, afterSeq: top });
  else s.highest.set(conv, seq);
}

/**
 * After a reconnect that lost the stream, what the server pushed to the old stream may be gone
 * with it; the archive still has it. Delivers (via 'sync') the peer's archived messages since the
 * newest one known here that this session has not had, then the pushes held meanwhile. A failed
 * read leaves the anchor where it was, for the next reconnect.
 */
async function catchUp(s: SessionState, conv: string): Promise<void> {
  const peer = s.ctx.peer(conv);
  if (peer === undefined || s.syncing.has(conv)) return;
  s.syncing.set(conv, []);
  try {
    const anchor = s.anchor.get(conv);
    // Without an anchor, from the session's start (a minute early, for clock differences).
    const from =
      anchor === undefined ? { start: new Date(s.startedAt - 60_000).toISOString() } : { after: anchor };
    const archived = await readArchive(s.xmpp, peer.jid, s.ctx.readTimeoutMs, from);
    for (const m of archived) {
      if (s.closed) return;
      s.anchor.set(conv, m.archiveId);
      const fromPeer =
        m.from === undefined ? memberIndexOfSeq(m.seq) === peer.index : s.ctx.userOf(m.from) === peer.user;
      if (m.conv !== conv || !fromPeer || s.delivered.get(conv)?.has(m.cmid)) continue;
      // The peer's messages rise in seq, so one at or below what this session has is history, not a gap.
      if (m.seq <= (s.topDelivered.get(conv) ?? Number.NEGATIVE_INFINITY)) continue;
      deliver(s, m, 'sync', peer.user);
    }
  } catch {
    // Dropped or timed out mid-read: the next unresumed reconnect catches up again.
  } finally {
    const held = s.syncing.get(conv) ?? [];
    s.syncing.delete(conv);
    for (const m of held)
      if (!s.closed && !(s.delivered.get(conv)?.has(m.cmid) ?? false)) deliver(s, m, 'push');
  }
}

function send(s: SessionState, conv: string, cmid: string, body: string): void {
  if (s.closed) return;
  let m = s.sent.get(cmid);
  if (m === undefined) {
    let placed: { to: string; seq: number };
    try {
      placed = s.ctx.assign(conv);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      s.ctx.onEvent({ type: 'send_failed', t: now(), conv, cmid, reason });
      return;
    }
    m = { conv, cmid, body, seq: placed.seq, to: placed.to };
    s.sent.set(cmid, m);
  }
  if (s.inflight.has(cmid) || s.retry.includes(m) || s.outbox.includes(m)) return;
  if (s.ready) transmit(s, m);
  else s.outbox.push(m);
}

async function close(s: SessionState): Promise<void> {
  if (s.closed) return;
  s.closed = true;
  const t = now();
  for (const m of [...s.inflight.values(), ...s.retry, ...s.outbox]) {
    s.ctx.onEvent({
      type: 'send_indeterminate',
      t,
      conv: m.conv,
      cmid: m.cmid,
      reason: 'session closed before an ack',
    });
  }
  s.inflight.clear();
  s.retry = [];
  s.outbox = [];
  // As the reference client does: without it the history holds the connection open to the end
  // of the run, and a message pushed after the close reads as owed to a connected member.
  if (s.up) {
    s.up = false;
    s.ctx.onEvent({ type: 'disconnected', t, region: s.ctx.region, reason: 'client closed' });
  }
  await closeClient(s.xmpp, s.ctx.connection.connectTimeoutMs);
}

export function createXmppSession(ctx: SessionContext): TargetSession {
  const xmpp = openXmppClient(ctx.connection);
  // Ask for an ack right after each burst of sends: the library's 250 ms debounce restarts on
  // every send, so under steady load it never asked and acks took seconds. Also ask after 5 s of
  // quiet, and drop a stream whose acks stop, so a dead link is noticed.
  xmpp.streamManagement.requestAckDebounce = 0;
  xmpp.streamManagement.requestAckInterval = 5_000;
  xmpp.streamManagement.timeout = Math.max(ctx.connection.connectTimeoutMs, 5_000);
  const s: SessionState = {
    ctx,
    xmpp,
    sent: new Map(),
    inflight: new Map(),
    retry: [],
    outbox: [],
    highest: new Map(),
    delivered: new Map(),
    topDelivered: new Map(),
    startedAt: Date.now(),
    anchor: new Map(),
    syncing: new Map(),
    everReady: false,
    ready: false,
    up: false,
    onlineThisStream: false,
    smOffered: false,
    closed: false,
    lastError: '',
  };
  watchConnection(s);
  watchOutcomes(s);
  xmpp.start().catch((error: unknown) => {
    // The reconnect module keeps trying after a failed first attempt.
    s.lastError = error instanceof Error ? error.message : String(error);
  });
  return {
    id: ctx.id,
    send: (conv, cmid, body) => send(s, conv, cmid, body),
    close: () => close(s),
  };
}

/** Stops a client, destroying its socket if the polite close does not finish in time. */
export async function closeClient(xmpp: XmppClient, timeoutMs: number): Promise<void> {
  xmpp.reconnect.stop();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  await Promise.race([
    xmpp.stop().then(
      () => undefined,
      () => undefined,
    ),
    timedOut,
  ]);
  clearTimeout(timer);
  xmpp.socket?.destroy();
}
