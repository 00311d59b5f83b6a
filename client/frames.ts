// What the client does with what its connections report: the one handler object shared by all
// of them (main connection and probe alike), and the reaction to each server frame on the main
// connection. Error frames, which mostly settle sends, are error-frames.ts's.
import type { ServerFrame } from '../contracts/wire.ts';
import { attemptFailed, promoteProbe, welcomed } from './connecting.ts';
import type { CloseInfo, ConnectionHandlers } from './connection.ts';
import { noteOwnAck, notePush, receive, resetTo, syncedTo } from './conversation-state.ts';
import { handleError } from './error-frames.ts';
import { probeFailed } from './probe.ts';
import { refuseSync, requestSync } from './sending.ts';
import { type ClientContext, conversation, heard } from './state.ts';

export function createHandlers(ctx: ClientContext): ConnectionHandlers {
  const { config, state } = ctx;
  return {
    onFrame(from, frame) {
      if (from === state.probe) {
        if (frame.type === 'welcome') {
          promoteProbe(ctx, frame.node, config.now());
          ctx.schedule();
        }
        return;
      }
      if (from !== state.connection) return;
      const t = config.now();
      heard(state, t);
      handleFrame(ctx, frame, t);
      ctx.schedule();
    },
    onInvalidFrame(from, problem) {
      if (from !== state.connection) return;
      heard(state, config.now());
      ctx.emit({ type: 'error', t: config.now(), code: 'bad_frame', message: problem });
    },
    onHeartbeat(from) {
      if (from !== state.connection) return;
      heard(state, config.now());
      ctx.schedule();
    },
    onClose(from, info: CloseInfo) {
      if (from === state.probe) {
        probeFailed(ctx, config.now(), info.reason);
        ctx.schedule();
        return;
      }
      if (from !== state.connection || state.phase === 'closed') return;
      attemptFailed(ctx, info.reason, info.unauthorized);
      ctx.schedule();
    },
  };
}

export function handleFrame(ctx: ClientContext, frame: ServerFrame, t: number): void {
  const { state } = ctx;
  switch (frame.type) {
    case 'welcome':
      if (state.phase === 'connecting') welcomed(ctx, frame.node, t);
      return;
    case 'ack': {
      const entry = state.outbox.take(frame.conv, frame.cmid);
      // No entry: an answer to a resend whose first ack already arrived, or one that came too late.
      if (entry === undefined) return;
      entry.trace?.end('acked', { 'chatquake.seq': frame.seq, 'chatquake.ack_level': frame.level });
      noteOwnAck(conversation(state, frame.conv), frame.seq);
      ctx.emit({
        type: 'acked',
        t,
        conv: frame.conv,
        cmid: frame.cmid,
        seq: frame.seq,
        epoch: frame.epoch,
        level: frame.level,
      });
      return;
    }
    case 'msg':
      handleMessage(ctx, frame, t);
      return;
    case 'synced': {
      const cs = conversation(state, frame.conv);
      const afterSeq = cs.sync?.afterSeq ?? cs.lastSeq;
      syncedTo(cs, frame.seq, t, ctx.deliver);
      ctx.emit({ type: 'synced', t, conv: frame.conv, afterSeq, seq: frame.seq });
      if (cs.gapSince === undefined) state.attention.delete(cs);
      return;
    }
    case 'behind': {
      // The node cannot vouch for the conversation; what it has is not the current state.
      refuseSync(ctx, conversation(state, frame.conv), t);
      ctx.emit({
        type: 'error',
        t,
        code: 'behind',
        conv: frame.conv,
        message: `node is behind at seq ${frame.seq}${frame.reason === undefined ? '' : `: ${frame.reason}`}`,
      });
      return;
    }
    case 'reset': {
      const cs = conversation(state, frame.conv);
      const answered = cs.sync;
      cs.sync = undefined;
      resetTo(cs, frame.seq);
      ctx.emit({ type: 'reset', t, conv: frame.conv, seq: frame.seq, reason: frame.reason });
      // A reset ends a sync answer; catch up from the new starting point, unless that is
      // exactly where the sync it answered started (asking again would be reset again).
      if (answered === undefined || answered.afterSeq !== frame.seq) requestSync(ctx, cs, t);
      return;
    }
    case 'error':
      handleError(ctx, frame, t);
      return;
  }
}

/** A message, pushed or answering a sync: noted for ordering, then delivered or held. */
function handleMessage(ctx: ClientContext, frame: Extract<ServerFrame, { type: 'msg' }>, t: number): void {
  const { state } = ctx;
  const cs = conversation(state, frame.conv);
  if (cs.sync === undefined && state.connection !== undefined) {
    const afterSeq = cs.pushedMax;
    if (notePush(cs, state.connection.generation, frame.seq)) {
      ctx.emit({ type: 'out_of_order', t, conv: frame.conv, seq: frame.seq, afterSeq });
    }
  }
  const outcome = receive(
    cs,
    {
      seq: frame.seq,
      cmid: frame.cmid,
      from: frame.from,
      via: cs.sync === undefined ? 'push' : 'sync',
    },
    t,
    ctx.deliver,
  );
  if (outcome === 'held') state.attention.add(cs);
}
