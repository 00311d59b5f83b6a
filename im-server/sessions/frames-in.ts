// Frames in from one session: each text frame validated (frames.ts) and held to the session's
// rate limit, then a send or a sync handed to the engine and its outcome answered as acks,
// errors, messages and sync markers (docs/PROTOCOL.md). The engine decides; this module only
// speaks the protocol.
import type { RawData } from 'ws';
import type { SendFrame, SyncFrame } from '../../contracts/wire.ts';
import type { Clock } from '../clock.ts';
import { msgFrame } from '../engine/delivery.ts';
import type { Engine } from '../engine.ts';
import { parseClientFrame } from '../frames.ts';
import type { ForwardItem } from '../internal-protocol.ts';
import { errorMessage, type Logger } from '../log.ts';
import type { NodeMetrics } from '../metrics.ts';
import { type Session, sendError, sendFrame, sendPaced } from './outbox.ts';
import { takeToken } from './rate.ts';

export interface FramesInDeps {
  engine: Engine;
  clock: Clock;
  metrics: NodeMetrics;
  logger: Logger;
  maxBodyBytes: number;
  /** How long a client's send may take before it is answered `unavailable`. */
  sendTimeoutMs: number;
  /** Frames per second one session may send (a burst of as many). */
  maxFrameRate: number;
}

/**
 * Frames of one session the node works on at once (sends waiting for their ack, syncs being
 * answered); more are answered `rate_limited`. Bounds what a client that never waits for its
 * answers can make the node hold, whatever the rate limit.
 */
export const MAX_IN_FLIGHT = 1024;

async function handleSend(deps: FramesInDeps, session: Session, frame: SendFrame): Promise<void> {
  const { metrics } = deps;
  const started = performance.now();
  const item: ForwardItem = { conv: frame.conv, from: session.user, cmid: frame.cmid, body: frame.body };
  // A traced message's context goes on to its home (im-server/tracing.ts).
  if (frame.traceparent !== undefined) item.traceparent = frame.traceparent;
  const outcome = await deps.engine.clientSend(item, deps.clock.monoNow() + deps.sendTimeoutMs);
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
    sendError(metrics, session, outcome.code, outcome.message, ids);
  } else {
    sendError(
      metrics,
      session,
      'unavailable',
      'the conversation’s home is unavailable; resend with the same cmid',
      ids,
    );
  }
}

async function handleSync(deps: FramesInDeps, session: Session, frame: SyncFrame): Promise<void> {
  const { metrics } = deps;
  const outcome = await deps.engine.clientSync(session.user, frame.conv, frame.afterSeq);
  metrics.syncs.inc({ result: outcome.status });
  if (outcome.status === 'error' || outcome.status === 'not_home') {
    sendError(metrics, session, outcome.code ?? 'unavailable', outcome.reason ?? 'sync failed', {
      conv: frame.conv,
    });
    return;
  }
  // An answer may be the whole log: it goes out as fast as the client reads it, no faster.
  let sent = 0;
  for (const e of outcome.messages) {
    if (!(await sendPaced(session, msgFrame(frame.conv, e)))) break;
    sent++;
  }
  if (sent > 0) metrics.delivered.inc({ via: 'sync' }, sent);
  // Cut short by a close or a drop: the client syncs again on its next connection.
  if (sent < outcome.messages.length) return;
  if (outcome.status === 'synced') sendFrame(session, { type: 'synced', conv: frame.conv, seq: outcome.seq });
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
}

/** Handles one WebSocket message of `session`. */
export function handleMessage(deps: FramesInDeps, session: Session, data: RawData, isBinary: boolean): void {
  const { metrics } = deps;
  if (isBinary) {
    if (!withinRate(deps, session, {})) {
      metrics.framesReceived.inc({ type: 'invalid', result: 'rate_limited' });
      return;
    }
    metrics.framesReceived.inc({ type: 'invalid', result: 'invalid' });
    sendError(metrics, session, 'bad_frame', 'binary frames are not supported; send JSON text frames');
    return;
  }
  const text = Array.isArray(data)
    ? Buffer.concat(data).toString('utf8')
    : Buffer.from(data as ArrayBuffer).toString('utf8');
  const parsed = parseClientFrame(text, deps.maxBodyBytes);
  // Parsed first so that a refusal names the cmid it refuses; bad frames count against the rate too.
  const named = parsed.ok
    ? { conv: parsed.frame.conv, cmid: parsed.frame.type === 'send' ? parsed.frame.cmid : undefined }
    : { conv: parsed.error.conv, cmid: parsed.error.cmid };
  if (!withinRate(deps, session, named)) {
    metrics.framesReceived.inc({ type: parsed.ok ? parsed.frame.type : 'invalid', result: 'rate_limited' });
    return;
  }
  if (!parsed.ok) {
    metrics.framesReceived.inc({ type: 'invalid', result: 'invalid' });
    sendError(metrics, session, parsed.error.code, parsed.error.message, parsed.error);
    return;
  }
  const frame = parsed.frame;
  const ids = { conv: frame.conv, cmid: frame.type === 'send' ? frame.cmid : undefined };
  if (session.inFlight >= MAX_IN_FLIGHT) {
    metrics.framesReceived.inc({ type: frame.type, result: 'in_flight_limit' });
    const why = `${MAX_IN_FLIGHT} frames of this session are still being answered; wait for their answers`;
    sendError(metrics, session, 'rate_limited', why, ids);
    return;
  }
  metrics.framesReceived.inc({ type: frame.type, result: 'accepted' });
  session.inFlight++;
  const work = frame.type === 'send' ? handleSend(deps, session, frame) : handleSync(deps, session, frame);
  work
    .catch((error: unknown) => {
      deps.logger.error('frame handling failed', { error: errorMessage(error), type: frame.type });
      sendError(metrics, session, 'unavailable', 'internal error; retry', ids);
    })
    .finally(() => {
      session.inFlight--;
    });
}

/** Takes a token for one frame; false (after answering `rate_limited`) when there is none. */
function withinRate(deps: FramesInDeps, session: Session, ids: { cmid?: string; conv?: string }): boolean {
  if (takeToken(session.rate, deps.maxFrameRate, performance.now())) return true;
  const message = `over ${deps.maxFrameRate} frames per second; nothing was done, resend after a pause`;
  sendError(deps.metrics, session, 'rate_limited', message, ids);
  return false;
}
