// Frames out to one session: a slow client whose socket buffer has grown too large is
// disconnected instead of buffered without bound (it reconnects and syncs), and every error
// frame is counted by code.
import type { WebSocket } from 'ws';
import type { ErrorCode } from '../../contracts/wire.ts';
import type { NodeMetrics } from '../metrics.ts';

/** A slow client whose socket buffer grows past this is disconnected (it reconnects and syncs). */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
const SLOW_CONSUMER_CLOSE = 1013;

export interface Session {
  user: string;
  ws: WebSocket;
}

export interface ErrorIds {
  cmid?: string | undefined;
  conv?: string | undefined;
}

export function sendRaw(session: Session, text: string): void {
  const ws = session.ws;
  if (ws.readyState !== ws.OPEN) return;
  if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
    ws.close(SLOW_CONSUMER_CLOSE, 'slow consumer: reconnect and sync');
    return;
  }
  ws.send(text);
}

export function sendFrame(session: Session, frame: object): void {
  sendRaw(session, JSON.stringify(frame));
}

export function sendError(
  metrics: NodeMetrics,
  session: Session,
  code: ErrorCode,
  message: string,
  ids: ErrorIds = {},
): void {
  metrics.errors.inc({ code });
  sendFrame(session, {
    type: 'error',
    code,
    message,
    ...(ids.cmid === undefined ? {} : { cmid: ids.cmid }),
    ...(ids.conv === undefined ? {} : { conv: ids.conv }),
  });
}
