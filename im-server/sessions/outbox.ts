// Frames out to one session, through its flow account (flow.ts): a session whose client leaves
// too much unread is dropped instead of buffered without bound (it reconnects and syncs), and a
// large sync answer waits for room. Every error frame is counted by code.
import type { WebSocket } from 'ws';
import type { ErrorCode } from '../../contracts/wire.ts';
import type { NodeMetrics } from '../metrics.ts';
import { mayWrite, type NodeFlow, noteWritten, type SessionFlow, waitForRoom } from './flow.ts';
import type { RateBucket } from './rate.ts';

export interface Session {
  user: string;
  ws: WebSocket;
  node: NodeFlow;
  flow: SessionFlow;
  rate: RateBucket;
  /** Frames received and not yet answered (sends awaiting the engine, syncs being answered). */
  inFlight: number;
  /** Holds this session's writes until the end of the event-loop turn (coalesce.ts). */
  coalesce: () => void;
}

export interface ErrorIds {
  cmid?: string | undefined;
  conv?: string | undefined;
}

/** Writes `text` (`bytes` long in UTF-8) unless the session is closed or has just been dropped. */
export function sendRaw(session: Session, text: string, bytes = Buffer.byteLength(text)): boolean {
  const ws = session.ws;
  if (ws.readyState !== ws.OPEN) return false;
  if (!mayWrite(session.node, session.flow, ws, bytes)) return false;
  session.coalesce();
  ws.send(text);
  noteWritten(session.node, session.flow, ws, bytes);
  return true;
}

export function sendFrame(session: Session, frame: object): boolean {
  return sendRaw(session, JSON.stringify(frame));
}

/** Like sendFrame, for part of a large answer: first waits until the client has read enough. */
export async function sendPaced(session: Session, frame: object): Promise<boolean> {
  if (!(await waitForRoom(session.node, session.flow, session.ws))) return false;
  return sendFrame(session, frame);
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
