// What each virtual user's session reports, turned into history events and counts: connection
// changes and the outcome of each send here, what arrives in conversations in
// conversation-events.ts. Also connects a user, holding back events a target reports before
// connect() has returned the session id they belong to.
import type { SessionEvent } from '../contracts/target.ts';
import { conversationEvent, type EventOf } from './conversation-events.ts';
import { type LoadContext, settle, type VirtualUser } from './state.ts';

export function connectUser(ctx: LoadContext, user: VirtualUser): void {
  const session = ctx.config.target.connect({
    user: user.id,
    region: user.region,
    conversations: user.conversations,
    onEvent: (event) => {
      if (user.sessionId === undefined) user.early.push(event);
      else onSessionEvent(ctx, user, event);
    },
  });
  user.session = session;
  user.sessionId = session.id;
  const early = user.early;
  user.early = [];
  for (const event of early) onSessionEvent(ctx, user, event);
}

export function onSessionEvent(ctx: LoadContext, user: VirtualUser, event: SessionEvent): void {
  if (ctx.state.finished) return;
  switch (event.type) {
    case 'connected':
    case 'disconnected':
    case 'failover':
      connectionEvent(ctx, user, event);
      return;
    case 'acked':
    case 'send_failed':
    case 'send_indeterminate':
      outcomeEvent(ctx, user, event);
      return;
    case 'delivered':
    case 'synced':
    case 'out_of_order':
    case 'reset':
      conversationEvent(ctx, user, event);
      return;
  }
}

function connectionEvent(
  ctx: LoadContext,
  user: VirtualUser,
  event: EventOf<'connected' | 'disconnected' | 'failover'>,
): void {
  const { counts } = ctx.state;
  const session = user.sessionId as string;
  switch (event.type) {
    case 'connected':
      if (user.everConnected) counts.reconnects++;
      if (!user.connected) counts.connected++;
      user.connected = true;
      user.everConnected = true;
      user.at = event.region;
      ctx.append({
        type: 'conn_up',
        t: event.t,
        user: user.id,
        session,
        region: event.region,
        ...(event.node !== undefined ? { node: event.node } : {}),
      });
      return;
    case 'disconnected':
      if (user.connected) counts.connected--;
      user.connected = false;
      ctx.append({
        type: 'conn_down',
        t: event.t,
        user: user.id,
        session,
        region: event.region,
        reason: event.reason,
      });
      return;
    case 'failover':
      user.at = event.to;
      ctx.append({ type: 'failover', t: event.t, user: user.id, session, from: event.from, to: event.to });
      return;
  }
}

function outcomeEvent(
  ctx: LoadContext,
  user: VirtualUser,
  event: EventOf<'acked' | 'send_failed' | 'send_indeterminate'>,
): void {
  const { state } = ctx;
  const { counts } = state;
  switch (event.type) {
    case 'acked':
      if (settle(state, event.cmid)) counts.acked++;
      ctx.append({
        type: 'ack',
        t: event.t,
        user: user.id,
        conv: event.conv,
        cmid: event.cmid,
        seq: event.seq,
        ...(event.epoch !== undefined ? { epoch: event.epoch } : {}),
        ...(event.level !== undefined ? { level: event.level } : {}),
        ...(user.at !== undefined ? { region: user.at } : {}),
      });
      return;
    case 'send_failed':
    case 'send_indeterminate':
      if (settle(state, event.cmid)) counts[event.type === 'send_failed' ? 'failed' : 'indeterminate']++;
      ctx.append({
        type: event.type,
        t: event.t,
        user: user.id,
        conv: event.conv,
        cmid: event.cmid,
        reason: event.reason,
      });
      return;
  }
}
