// Whether an HTTP upgrade may become a session: the path, whether the node takes clients now
// (not shutting down, not cut off, not at its connection limit), and the user's token (checked
// on the node's own clock, skew included, as a real server would). Refusals are written as
// plain HTTP answers on the raw socket.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Clock } from '../clock.ts';
import { verifyToken } from '../token.ts';
import type { SessionsState } from './registry.ts';

function refuse(socket: Duplex, status: number, text: string): void {
  const body = JSON.stringify({ error: text, status });
  const reason = status === 401 ? 'Unauthorized' : status === 404 ? 'Not Found' : 'Service Unavailable';
  // A full or unavailable node may take clients again soon; say so, as HTTP does.
  const retry = status === 503 ? 'retry-after: 1\r\n' : '';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\n${retry}` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** The user the upgrade authenticates, or null after refusing it on `socket`. */
export function admit(
  state: SessionsState,
  auth: { secret: string; clock: Clock; maxConnections: number; onFull(): void },
  req: IncomingMessage,
  socket: Duplex,
): string | null {
  const url = new URL(req.url ?? '/', 'http://node');
  if (url.pathname !== '/ws') {
    refuse(socket, 404, 'WebSocket endpoint is /ws');
    return null;
  }
  if (state.closing || state.unavailable !== null) {
    refuse(socket, 503, state.closing ? 'shutting down' : state.unavailable!);
    return null;
  }
  if (state.count >= auth.maxConnections) {
    auth.onFull();
    refuse(socket, 503, `connection limit of ${auth.maxConnections} reached: try another node`);
    return null;
  }
  const header = req.headers.authorization;
  const token = url.searchParams.get('token') ?? (header?.startsWith('Bearer ') ? header.slice(7) : null);
  // Checked on the node's own clock, skew included, as a real server would.
  const verified = token === null ? null : verifyToken(token, auth.secret, auth.clock.wallNow());
  if (verified === null) {
    refuse(socket, 401, token === null ? 'missing token' : 'invalid or expired token');
    return null;
  }
  return verified.user;
}
