// One user's XMPP session as a TargetSession: a c2s connection to the user's home server only
// (an XMPP account lives on one server, so "failover" is reconnecting to the same one), with
// stream management (XEP-0198) turning the server's `<a h/>` into `acked` and a resumed or
// failed stream into resends. Also the one place that opens an @xmpp/client connection, so
// the readers in mam.ts get the same socket settings.
import { client, type XmlElement, type XmppClient, xml } from '@xmpp/client';
import type { SessionEvent, TargetSession } from '../../../contracts/target.ts';
import { buildMessage, parseBounce, parseMessage } from './stanza.ts';

const NS_SM = 'urn:xmpp:sm:3';

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
  onEvent: (event: SessionEvent) => void;
}

interface Outgoing {
  conv: string;
  cmid: string;
  body: string;
  seq: number;
  to: string;
}

export function createXmppSession(ctx: SessionContext): TargetSession {
  const emit = (event: SessionEvent): void => ctx.onEvent(event);
  const now = (): number => Date.now();
  const xmpp = openXmppClient(ctx.connection);
  const sm = xmpp.streamManagement;
  sm.requestAckInterval = 5_000;
  sm.timeout = Math.max(ctx.connection.connectTimeoutMs, 5_000);

  /** Every message this session sent, by cmid: a resend keeps its seq, a bounce finds its conv. */
  const sent = new Map<string, Outgoing>();
  /** Written on the current stream, not yet acked. */
  const inflight = new Map<string, Outgoing>();
  /** Waiting for a ready stream: resends first (in their original order), then new sends. */
  let retry: Outgoing[] = [];
  let outbox: Outgoing[] = [];
  /** Highest seq pushed per conversation on this session. */
  const highest = new Map<string, number>();
  let ready = false;
  let up = false;
  let onlineThisStream = false;
  let closed = false;
  let lastError = '';

  function transmit(m: Outgoing): void {
    inflight.set(m.cmid, m);
    xmpp.send(buildMessage(m)).catch(() => {
      // Never reached the stream's queue: not on the wire as far as stream management knows.
      if (inflight.get(m.cmid) !== m) return;
      inflight.delete(m.cmid);
      unsent(m, 'write failed');
    });
  }

  function unsent(m: Outgoing, reason: string): void {
    if (closed) return;
    if (ctx.resend) retry.push(m);
    else emit({ type: 'send_indeterminate', t: now(), conv: m.conv, cmid: m.cmid, reason });
  }

  function flush(): void {
    const queued = [...retry, ...outbox];
    retry = [];
    outbox = [];
    for (const m of queued) transmit(m);
  }

  function streamReady(resumed: boolean): void {
    if (closed || ready) return;
    ready = true;
    if (!resumed) xmpp.send(xml('presence')).catch(() => {});
    up = true;
    emit({ type: 'connected', t: now(), region: ctx.region, node: 'n1' });
    flush();
  }

  xmpp.on('online', () => {
    onlineThisStream = true;
  });
  xmpp.on('nonza', (element: XmlElement) => {
    // Presence waits for <enabled/>: sent earlier, it races the enable and desynchronises the
    // ack counters. setImmediate lets the library record the enable first.
    if (element.is('enabled', NS_SM)) setImmediate(() => streamReady(false));
    // A <failed/> after binding refuses stream management itself (before it, a resumption).
    else if (element.is('failed', NS_SM) && onlineThisStream) setImmediate(() => streamReady(false));
  });
  sm.on('resumed', () => streamReady(true));
  xmpp.on('disconnect', (info) => {
    ready = false;
    onlineThisStream = false;
    if (closed || !up) return;
    up = false;
    const reason = info.reason instanceof Error ? info.reason.message : lastError || 'connection closed';
    emit({ type: 'disconnected', t: now(), region: ctx.region, reason });
    lastError = '';
  });
  xmpp.on('error', (error: unknown) => {
    lastError = error instanceof Error ? error.message : String(error);
  });

  sm.on('ack', (stanza: XmlElement) => {
    const m = stanza.name === 'message' ? inflight.get(stanza.attrs.id ?? '') : undefined;
    if (m === undefined) return;
    inflight.delete(m.cmid);
    emit({ type: 'acked', t: now(), conv: m.conv, cmid: m.cmid, seq: m.seq, level: 'stored' });
  });
  sm.on('fail', (stanza: XmlElement) => {
    const m = stanza.name === 'message' ? inflight.get(stanza.attrs.id ?? '') : undefined;
    if (m === undefined) return;
    inflight.delete(m.cmid);
    unsent(m, 'stream not resumed after reconnecting');
  });

  xmpp.on('stanza', (stanza: XmlElement) => {
    if (closed) return;
    const bounce = parseBounce(stanza);
    if (bounce !== undefined) {
      const m = sent.get(bounce.id);
      if (m === undefined) return;
      inflight.delete(m.cmid);
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
    const t = now();
    const from = message.from ?? '';
    emit({
      type: 'delivered',
      t,
      conv: message.conv,
      cmid: message.cmid,
      from,
      seq: message.seq,
      via: 'push',
    });
    const top = highest.get(message.conv);
    if (top !== undefined && message.seq < top) {
      emit({ type: 'out_of_order', t, conv: message.conv, seq: message.seq, afterSeq: top });
    } else highest.set(message.conv, message.seq);
  });

  xmpp.start().catch((error: unknown) => {
    // The reconnect module keeps trying after a failed first attempt.
    lastError = error instanceof Error ? error.message : String(error);
  });

  return {
    id: ctx.id,
    send(conv, cmid, body) {
      if (closed) return;
      let m = sent.get(cmid);
      if (m === undefined) {
        let placed: { to: string; seq: number };
        try {
          placed = ctx.assign(conv);
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          emit({ type: 'send_failed', t: now(), conv, cmid, reason });
          return;
        }
        m = { conv, cmid, body, seq: placed.seq, to: placed.to };
        sent.set(cmid, m);
      }
      if (inflight.has(cmid)) return;
      if (ready) transmit(m);
      else outbox.push(m);
    },
    async close() {
      if (closed) return;
      closed = true;
      const t = now();
      for (const m of [...inflight.values(), ...retry, ...outbox]) {
        emit({
          type: 'send_indeterminate',
          t,
          conv: m.conv,
          cmid: m.cmid,
          reason: 'session closed before an ack',
        });
      }
      inflight.clear();
      retry = [];
      outbox = [];
      xmpp.reconnect.stop();
      await closeClient(xmpp, ctx.connection.connectTimeoutMs);
    },
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
