// Client sessions: the WebSocket upgrade (token check), one session per socket, frames in
// (validated by frames.ts) and frames out (acks, errors, sync answers, pushes). The engine
// decides; this module only speaks the protocol of docs/PROTOCOL.md.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { ErrorCode, SendFrame, SyncFrame } from '../contracts/wire.ts';
import type { Clock } from './clock.ts';
import type { Engine } from './engine.ts';
import { parseClientFrame } from './frames.ts';
import { errorMessage, type Logger } from './log.ts';
import type { NodeMetrics } from './metrics.ts';
import { verifyToken } from './token.ts';

/** A slow client whose socket buffer grows past this is disconnected (it reconnects and syncs). */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
const SLOW_CONSUMER_CLOSE = 1013;

export interface SessionsOptions {
  region: string;
  node: string;
  secret: string;
  maxFrameBytes: number;
  maxBodyBytes: number;
  /** How long a client's send may take before it is answered `unavailable`. */
  sendTimeoutMs: number;
  clock: Clock;
  metrics: NodeMetrics;
  logger: Logger;
  engine: Engine;
}

export interface Sessions {
  /** Handles an HTTP upgrade: `/ws` with a valid token becomes a session, anything else is refused. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Sends a text frame to every session of these users; returns how many got it. */
  pushToMembers(members: ReadonlySet<string>, text: string): number;
  count(): number;
  /**
   * While set, the node cannot serve (it is cut off from every other region): open sessions are
   * closed with 1001 and upgrades refused with 503, so clients reconnect elsewhere.
   */
  setUnavailable(reason: string | null): void;
  /** Refuses new sessions and closes the open ones with 1001. */
  close(): Promise<void>;
}

interface Session {
  user: string;
  ws: WebSocket;
}

export function createSessions(opts: SessionsOptions): Sessions {
  const { clock, metrics, engine } = opts;
  const log = opts.logger;
  const byUser = new Map<string, Set<Session>>();
  let count = 0;
  let closing = false;
  let unavailable: string | null = null;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: opts.maxFrameBytes,
    perMessageDeflate: false,
  });

  const sendRaw = (session: Session, text: string): void => {
    const ws = session.ws;
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      ws.close(SLOW_CONSUMER_CLOSE, 'slow consumer: reconnect and sync');
      return;
    }
    ws.send(text);
  };
  const sendFrame = (session: Session, frame: object): void => sendRaw(session, JSON.stringify(frame));
  const sendError = (
    session: Session,
    code: ErrorCode,
    message: string,
    ids: { cmid?: string | undefined; conv?: string | undefined } = {},
  ): void => {
    metrics.errors.inc({ code });
    sendFrame(session, {
      type: 'error',
      code,
      message,
      ...(ids.cmid === undefined ? {} : { cmid: ids.cmid }),
      ...(ids.conv === undefined ? {} : { conv: ids.conv }),
    });
  };

  const handleSend = async (session: Session, frame: SendFrame): Promise<void> => {
    const started = performance.now();
    const outcome = await engine.clientSend(
      { conv: frame.conv, from: session.user, cmid: frame.cmid, body: frame.body },
      clock.monoNow() + opts.sendTimeoutMs,
    );
    const ids = { cmid: frame.cmid, conv: frame.conv };
    if (outcome.kind === 'ack') {
      metrics.acks.inc({ level: outcome.level });
      metrics.ackLatency.observe({ level: outcome.level }, (performance.now() - started) / 1000);
      sendFrame(session, {
        type: 'ack',
        conv: frame.conv,
        cmid: frame.cmid,
        epoch: outcome.epoch,
        seq: outcome.seq,
        level: outcome.level,
        serverTime: outcome.serverTime,
      });
    } else if (outcome.kind === 'error') {
      sendError(session, outcome.code, outcome.message, ids);
    } else {
      sendError(
        session,
        'unavailable',
        'the conversation’s home is unavailable; resend with the same cmid',
        ids,
      );
    }
  };

  const handleSync = async (session: Session, frame: SyncFrame): Promise<void> => {
    const outcome = await engine.clientSync(session.user, frame.conv, frame.afterSeq);
    metrics.syncs.inc({ result: outcome.status });
    if (outcome.status === 'error' || outcome.status === 'not_home') {
      sendError(session, outcome.code ?? 'unavailable', outcome.reason ?? 'sync failed', {
        conv: frame.conv,
      });
      return;
    }
    for (const e of outcome.messages) {
      sendFrame(session, {
        type: 'msg',
        conv: frame.conv,
        epoch: e.epoch,
        seq: e.seq,
        from: e.from,
        cmid: e.cmid,
        body: e.body,
        serverTime: e.serverTime,
      });
    }
    if (outcome.messages.length > 0) metrics.delivered.inc({ via: 'sync' }, outcome.messages.length);
    if (outcome.status === 'synced')
      sendFrame(session, { type: 'synced', conv: frame.conv, seq: outcome.seq });
    else if (outcome.status === 'behind') {
      sendFrame(session, { type: 'behind', conv: frame.conv, seq: outcome.seq, reason: outcome.reason });
    } else {
      sendFrame(session, {
        type: 'reset',
        conv: frame.conv,
        seq: outcome.seq,
        reason: outcome.reason ?? 'reset',
      });
    }
  };

  const onSession = (ws: WebSocket, user: string): void => {
    const session: Session = { user, ws };
    let set = byUser.get(user);
    if (set === undefined) {
      set = new Set();
      byUser.set(user, set);
    }
    set.add(session);
    count++;
    metrics.sessions.inc();
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        metrics.framesReceived.inc({ type: 'invalid' });
        sendError(session, 'bad_frame', 'binary frames are not supported; send JSON text frames');
        return;
      }
      const text = Array.isArray(data)
        ? Buffer.concat(data).toString('utf8')
        : Buffer.from(data as ArrayBuffer).toString('utf8');
      const parsed = parseClientFrame(text, opts.maxBodyBytes);
      if (!parsed.ok) {
        metrics.framesReceived.inc({ type: 'invalid' });
        sendError(session, parsed.error.code, parsed.error.message, parsed.error);
        return;
      }
      const frame = parsed.frame;
      metrics.framesReceived.inc({ type: frame.type });
      const work = frame.type === 'send' ? handleSend(session, frame) : handleSync(session, frame);
      work.catch((error: unknown) => {
        log.error('frame handling failed', { error: errorMessage(error), type: frame.type });
        sendError(session, 'unavailable', 'internal error; retry', {
          conv: frame.conv,
          cmid: frame.type === 'send' ? frame.cmid : undefined,
        });
      });
    });
    ws.on('close', () => {
      set.delete(session);
      if (set.size === 0) byUser.delete(user);
      count--;
      metrics.sessions.dec();
    });
    ws.on('error', () => {
      // `ws` closes the socket itself (1009 for an oversized frame); nothing else to do.
    });
    sendFrame(session, {
      type: 'welcome',
      user,
      region: opts.region,
      node: opts.node,
      serverTime: clock.wallNow(),
    });
  };

  const refuse = (socket: Duplex, status: number, text: string): void => {
    const body = JSON.stringify({ error: text, status });
    const reason = status === 401 ? 'Unauthorized' : status === 404 ? 'Not Found' : 'Service Unavailable';
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  };

  return {
    upgrade(req, socket, head) {
      socket.on('error', () => {});
      const url = new URL(req.url ?? '/', 'http://node');
      if (url.pathname !== '/ws') {
        refuse(socket, 404, 'WebSocket endpoint is /ws');
        return;
      }
      if (closing || unavailable !== null) {
        refuse(socket, 503, closing ? 'shutting down' : unavailable!);
        return;
      }
      const header = req.headers.authorization;
      const token = url.searchParams.get('token') ?? (header?.startsWith('Bearer ') ? header.slice(7) : null);
      // Checked on the node's own clock, skew included, as a real server would.
      const auth = token === null ? null : verifyToken(token, opts.secret, clock.wallNow());
      if (auth === null) {
        refuse(socket, 401, token === null ? 'missing token' : 'invalid or expired token');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => onSession(ws, auth.user));
    },
    pushToMembers(members, text) {
      if (count === 0) return 0;
      let sent = 0;
      const deliver = (sessions: Set<Session>): void => {
        for (const s of sessions) {
          sendRaw(s, text);
          sent++;
        }
      };
      // Walk whichever side is smaller: a huge group with few local users, or the reverse.
      if (members.size <= byUser.size) {
        for (const member of members) {
          const sessions = byUser.get(member);
          if (sessions !== undefined) deliver(sessions);
        }
      } else {
        for (const [user, sessions] of byUser) if (members.has(user)) deliver(sessions);
      }
      return sent;
    },
    count: () => count,
    setUnavailable(reason) {
      if (reason === unavailable) return;
      unavailable = reason;
      if (reason === null) {
        log.info('accepting clients again');
        return;
      }
      log.warn('sending clients elsewhere', { reason, sessions: count });
      for (const sessions of byUser.values())
        for (const s of sessions) s.ws.close(1001, reason.slice(0, 120));
    },
    async close() {
      closing = true;
      for (const sessions of byUser.values())
        for (const s of sessions) s.ws.close(1001, 'node shutting down');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
