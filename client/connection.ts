// One WebSocket to one node: opens it with the token, turns each text frame into a validated
// ServerFrame, and reports how it ended in a single `onClose` call. It knows nothing about
// outboxes or failover; the client owns those. Compression is off (permessage-deflate costs
// memory per socket and thousands of sockets share one load-generator process).

import WebSocket from 'ws';
import type { ServerFrame } from '../contracts/wire.ts';
import { parseServerFrame } from './server-frame.ts';

export interface CloseInfo {
  /** WebSocket close code; 1006 when the socket died without a close frame. */
  code: number;
  /** Human-readable cause, e.g. `close 1001 going away`, `http 503`, `ECONNREFUSED`. */
  reason: string;
  /** Status of a refused upgrade, when the server answered the handshake with HTTP. */
  httpStatus: number | undefined;
  /** True when the server said the token is not acceptable (HTTP 401 or close 4401). */
  unauthorized: boolean;
}

/** One handler object per client, shared by all its connections, so no closure per frame. */
export interface ConnectionHandlers {
  onFrame(connection: Connection, frame: ServerFrame): void;
  /** A frame that is not valid JSON or does not match the protocol; the socket stays open. */
  onInvalidFrame(connection: Connection, problem: string): void;
  /** A pong (answer to `ping()`) or a ping from the node: proof the path to it is alive. */
  onHeartbeat(connection: Connection): void;
  onClose(connection: Connection, info: CloseInfo): void;
}

export interface Connection {
  /** Distinguishes this socket from the client's earlier ones. */
  readonly generation: number;
  readonly url: string;
  /** Sends an already-serialized frame; false when the socket is not open. */
  send(text: string): boolean;
  ping(): void;
  /** Graceful close; resolves when the socket is closed (or after `graceMs`, by force). */
  close(code: number, reason: string, graceMs?: number): Promise<void>;
  /** Drops the socket at once; `reason` becomes the CloseInfo reason. */
  abort(reason: string): void;
}

export const UNAUTHORIZED_CLOSE_CODE = 4401;

/** Appends the token as the `token` query parameter (replacing one already there). */
export function urlWithToken(url: string, token: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('token', token);
  return parsed.toString();
}

export function openConnection(
  url: string,
  token: string,
  generation: number,
  handlers: ConnectionHandlers,
): Connection {
  let httpStatus: number | undefined;
  let failure: string | undefined;
  let abortReason: string | undefined;
  let closed = false;
  let resolveClosed: () => void = () => {};
  const closedPromise = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });

  const socket = new WebSocket(urlWithToken(url, token), {
    perMessageDeflate: false,
    // The client's own connect timeout governs; this only bounds a handshake ws would otherwise wait on forever.
    handshakeTimeout: 60_000,
  });

  const connection: Connection = {
    generation,
    url,
    send(text) {
      if (socket.readyState !== WebSocket.OPEN) return false;
      socket.send(text);
      return true;
    },
    ping() {
      if (socket.readyState === WebSocket.OPEN) socket.ping();
    },
    close(code, reason, graceMs = 1000) {
      if (closed) return closedPromise;
      if (socket.readyState === WebSocket.CONNECTING) {
        abortReason ??= reason;
        socket.terminate();
        return closedPromise;
      }
      socket.close(code, reason);
      // A node that stopped answering never sends its close frame; do not wait ws's 30 s for it.
      const force = setTimeout(() => socket.terminate(), graceMs);
      return closedPromise.finally(() => clearTimeout(force));
    },
    abort(reason) {
      if (closed) return;
      abortReason ??= reason;
      socket.terminate();
    },
  };

  socket.on('unexpected-response', (_request, response) => {
    httpStatus = response.statusCode;
    response.resume();
    socket.terminate();
  });
  socket.on('error', (error: NodeJS.ErrnoException) => {
    failure ??= error.code ?? error.message;
  });
  const onHeartbeat = (): void => handlers.onHeartbeat(connection);
  socket.on('pong', onHeartbeat);
  // ws answers the node's pings itself; they still prove the path is alive.
  socket.on('ping', onHeartbeat);
  socket.on('message', (data, isBinary) => {
    if (isBinary) {
      handlers.onInvalidFrame(connection, 'binary frame; the protocol uses text frames only');
      return;
    }
    const text = Array.isArray(data)
      ? Buffer.concat(data).toString('utf8')
      : Buffer.isBuffer(data)
        ? data.toString('utf8')
        : Buffer.from(data).toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      handlers.onInvalidFrame(connection, `frame is not JSON: ${text.slice(0, 80)}`);
      return;
    }
    const parsed = parseServerFrame(json);
    if ('problem' in parsed) {
      handlers.onInvalidFrame(connection, `invalid frame: ${parsed.problem}`);
      return;
    }
    handlers.onFrame(connection, parsed.frame);
  });
  socket.on('close', (code, reasonBuffer) => {
    closed = true;
    const closeReason = reasonBuffer.toString('utf8');
    const unauthorized = httpStatus === 401 || code === UNAUTHORIZED_CLOSE_CODE;
    let reason: string;
    if (abortReason !== undefined) reason = abortReason;
    else if (httpStatus !== undefined) reason = `http ${httpStatus}`;
    else if (failure !== undefined && code === 1006) reason = failure;
    else reason = closeReason === '' ? `close ${code}` : `close ${code} ${closeReason}`;
    handlers.onClose(connection, { code, reason, httpStatus, unauthorized });
    resolveClosed();
  });

  return connection;
}
