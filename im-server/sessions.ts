// Client sessions: the WebSocket upgrade (token check), one session per socket, frames in
// (validated by frames.ts) and frames out (acks, errors, sync answers, pushes). The engine
// decides; this module only speaks the protocol of docs/PROTOCOL.md. It wires the parts under
// sessions/: the upgrade check, the registry of open sessions, frames in, frames out, and the
// limits a node sets its clients (connections, frame rate, unread bytes).
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Clock } from './clock.ts';
import type { Engine } from './engine.ts';
import type { Logger } from './log.ts';
import type { NodeMetrics } from './metrics.ts';
import { createWriteCoalescer } from './sessions/coalesce.ts';
import { createNodeFlow, createSessionFlow, type FlowLimits, onPong, release } from './sessions/flow.ts';
import { type FramesInDeps, handleMessage } from './sessions/frames-in.ts';
import { type Session, sendFrame } from './sessions/outbox.ts';
import { createRateBucket } from './sessions/rate.ts';
import { addSession, closeAll, createSessionsState, pushToMembers } from './sessions/registry.ts';
import { admit } from './sessions/upgrade.ts';

/** What one node allows its clients (docs/PROTOCOL.md, "Limits"). */
export interface SessionLimits extends FlowLimits {
  /** Sessions at once; past it upgrades get 503. */
  maxConnections: number;
  /** Frames per second per session; past it frames get `rate_limited`. */
  maxFrameRate: number;
}

export interface SessionsOptions {
  region: string;
  node: string;
  secret: string;
  maxFrameBytes: number;
  maxBodyBytes: number;
  limits: SessionLimits;
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
  pushToMembers(members: ReadonlySet<string>, text: string, onSent?: (user: string) => void): number;
  count(): number;
  /** Bytes sent to sessions that their clients have not yet shown they read. */
  unreadBytes(): number;
  /**
   * While set, the node cannot serve (it is cut off from every other region): open sessions are
   * closed with 1001 and upgrades refused with 503, so clients reconnect elsewhere.
   */
  setUnavailable(reason: string | null): void;
  /** Refuses new sessions and closes the open ones with 1001. */
  close(): Promise<void>;
}

export function createSessions(opts: SessionsOptions): Sessions {
  const { clock, metrics } = opts;
  const log = opts.logger;
  const state = createSessionsState();
  const node = createNodeFlow(opts.limits, metrics);
  const framesIn: FramesInDeps = {
    engine: opts.engine,
    clock,
    metrics,
    logger: log,
    maxBodyBytes: opts.maxBodyBytes,
    sendTimeoutMs: opts.sendTimeoutMs,
    maxFrameRate: opts.limits.maxFrameRate,
  };
  const nonce = randomBytes(4).toString('hex');
  let sessionCounter = 0;
  const auth = {
    secret: opts.secret,
    clock,
    maxConnections: opts.limits.maxConnections,
    onFull: () => metrics.upgradesRefused.inc({ reason: 'connection_limit' }),
  };
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: opts.maxFrameBytes,
    perMessageDeflate: false,
  });

  const writes = createWriteCoalescer();
  const onSession = (ws: WebSocket, user: string, socket: Duplex): void => {
    const session: Session = {
      user,
      ws,
      node,
      flow: createSessionFlow(`${nonce}${(++sessionCounter).toString(36)}`),
      rate: createRateBucket(opts.limits.maxFrameRate, performance.now()),
      inFlight: 0,
      coalesce: () => writes.hold(socket),
    };
    const remove = addSession(state, session);
    metrics.sessions.inc();
    ws.on('message', (data, isBinary) => handleMessage(framesIn, session, data, isBinary));
    ws.on('pong', (data) => onPong(node, session.flow, ws, data));
    ws.on('close', () => {
      release(node, session.flow);
      remove();
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

  return {
    upgrade(req, socket, head) {
      socket.on('error', () => {});
      const user = admit(state, auth, req, socket);
      if (user !== null) wss.handleUpgrade(req, socket, head, (ws) => onSession(ws, user, socket));
    },
    pushToMembers: (members, text, onSent) => pushToMembers(state, members, text, onSent),
    count: () => state.count,
    unreadBytes: () => node.total,
    setUnavailable(reason) {
      if (reason === state.unavailable) return;
      state.unavailable = reason;
      if (reason === null) {
        log.info('accepting clients again');
        return;
      }
      log.warn('sending clients elsewhere', { reason, sessions: state.count });
      closeAll(state, reason.slice(0, 120));
    },
    async close() {
      state.closing = true;
      closeAll(state, 'node shutting down');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
