// What a virtual user's session reports about its conversations, as history events: each
// delivery (counted, with its latency from the send's intended time), and the syncs, resets and
// out-of-order pushes that let the checkers tell how the target kept order.
import type { SessionEvent } from '../contracts/target.ts';
import { record } from '../lib/histogram.ts';
import type { LoadContext, LoadState, VirtualUser } from './state.ts';

/** The session events of the given types. */
export type EventOf<T extends SessionEvent['type']> = Extract<SessionEvent, { type: T }>;

export function conversationEvent(
  ctx: LoadContext,
  user: VirtualUser,
  event: EventOf<'delivered' | 'synced' | 'out_of_order' | 'reset'>,
): void {
  const session = user.sessionId as string;
  switch (event.type) {
    case 'delivered':
      deliveredEvent(ctx, user, event);
      return;
    case 'synced':
      ctx.append({
        type: 'synced',
        t: event.t,
        user: user.id,
        session,
        conv: event.conv,
        afterSeq: event.afterSeq,
        seq: event.seq,
      });
      return;
    case 'out_of_order':
      ctx.append({
        type: 'out_of_order',
        t: event.t,
        user: user.id,
        session,
        conv: event.conv,
        seq: event.seq,
        afterSeq: event.afterSeq,
      });
      return;
    case 'reset':
      ctx.append({
        type: 'reset',
        t: event.t,
        user: user.id,
        session,
        conv: event.conv,
        seq: event.seq,
        reason: event.reason,
      });
      return;
  }
}

function deliveredEvent(ctx: LoadContext, user: VirtualUser, event: EventOf<'delivered'>): void {
  const { state } = ctx;
  state.counts.delivered++;
  state.windowDelivered++;
  deliveryLatency(state, event.cmid, event.t);
  ctx.append({
    type: 'deliver',
    t: event.t,
    user: user.id,
    session: user.sessionId as string,
    conv: event.conv,
    cmid: event.cmid,
    from: event.from,
    seq: event.seq,
    via: event.via,
    ...(user.at !== undefined ? { region: user.at } : {}),
  });
}

/** Latency from the intended send time, for cmids this run made (`${user}-${n}`). */
function deliveryLatency(state: LoadState, cmid: string, t: number): void {
  const dash = cmid.lastIndexOf('-');
  if (dash <= 0) return;
  const sender = state.users.get(cmid.slice(0, dash));
  const intendedAt = sender?.intended[Number(cmid.slice(dash + 1))];
  if (intendedAt !== undefined) record(state.deliveryWindow, t - intendedAt);
}
