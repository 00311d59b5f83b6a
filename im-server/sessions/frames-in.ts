// Frames in from one session: each text frame validated (frames.ts), then a send or a sync
// handed to the engine and its outcome answered as acks, errors, messages and sync markers
// (docs/PROTOCOL.md). The engine decides; this module only speaks the protocol.
import type { RawData } from 'ws';
import type { SendFrame, SyncFrame } from '../../contracts/wire.ts';
import type { Clock } from '../clock.ts';
import { msgFrame } from '../engine/delivery.ts';
import type { Engine } from '../engine.ts';
import { parseClientFrame } from '../frames.ts';
import { errorMessage, type Logger } from '../log.ts';
import type { NodeMetrics } from '../metrics.ts';
import { type Session, sendError, sendFrame } from './outbox.ts';

export interface FramesInDeps {
  engine: Engine;
  clock: Clock;
  metrics: NodeMetrics;
  logger: Logger;
  maxBodyBytes: number;
  /** How long a client's send may take before it is answered `unavailable`. */
  sendTimeoutMs: number;
}

async function handleSend(deps: FramesInDeps, session: Session, frame: SendFrame): Promise<void> {
  const { metrics } = deps;
  const started = performance.now();
  const outcome = await deps.engine.clientSend(
    { conv: frame.conv, from: session.user, cmid: frame.cmid, body: frame.body },
    deps.clock.monoNow() + deps.sendTimeoutMs,
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
  for (const e of outcome.messages) {
    sendFrame(session, msgFrame(frame.conv, e));
  }
  if (outcome.messages.length > 0) metrics.delivered.inc({ via: 'sync' }, outcome.messages.length);
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
    metrics.framesReceived.inc({ type: 'invalid' });
    sendError(metrics, session, 'bad_frame', 'binary frames are not supported; send JSON text frames');
    return;
  }
  const text = Array.isArray(data)
    ? Buffer.concat(data).toString('utf8')
    : Buffer.from(data as ArrayBuffer).toString('utf8');
  const parsed = parseClientFrame(text, deps.maxBodyBytes);
  if (!parsed.ok) {
    metrics.framesReceived.inc({ type: 'invalid' });
    sendError(metrics, session, parsed.error.code, parsed.error.message, parsed.error);
    return;
  }
  const frame = parsed.frame;
  metrics.framesReceived.inc({ type: frame.type });
  const work = frame.type === 'send' ? handleSend(deps, session, frame) : handleSync(deps, session, frame);
  work.catch((error: unknown) => {
    deps.logger.error('frame handling failed', { error: errorMessage(error), type: frame.type });
    sendError(metrics, session, 'unavailable', 'internal error; retry', {
      conv: frame.conv,
      cmid: frame.type === 'send' ? frame.cmid : undefined,
    });
  });
}
