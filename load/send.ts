// One scheduled send: the cmid and body it gets, the lag it left with (measured against its
// intended time, so a stalled generator shows), the `send` history event, and an outcome
// recorded at once when the target throws instead of reporting one.
import { record } from '../lib/histogram.ts';
import { type LoadContext, settle, wall } from './state.ts';
import type { ScheduledSend } from './workload.ts';

/** Timer granularity and batching keep a healthy generator well below this. */
export const LATE_SEND_MS = 10;

export type SendScheduled = (item: ScheduledSend, nowMono: number) => void;

/** The run's send function; the body padding is made once per run. */
export function createSender(ctx: LoadContext): SendScheduled {
  const { config, state } = ctx;
  const bodyBytes = config.spec.bodyBytes;
  const padding = 'x'.repeat(bodyBytes);
  return (item, nowMono) => {
    const user = state.users.get(item.user);
    if (!user?.session) throw new Error(`workload: schedule names unknown user ${item.user}`);
    const n = user.sends++;
    const cmid = `${user.id}-${n}`;
    const intendedAt = state.loadStartWall + item.at;
    const lag = Math.max(0, nowMono - (state.loadStartMono + item.at));
    user.intended[n] = intendedAt;
    record(state.lagAll, lag);
    record(state.lagWindow, lag);
    if (lag > LATE_SEND_MS) state.lateSends++;
    state.counts.sent++;
    state.windowSent++;
    state.outstanding.set(cmid, { user: user.id, conv: item.conv });
    ctx.append({
      type: 'send',
      t: state.loadStartWall + (nowMono - state.loadStartMono),
      intendedAt,
      user: user.id,
      conv: item.conv,
      cmid,
      // Only while connected: a queued send has no region yet.
      ...(user.connected && user.at !== undefined ? { region: user.at } : {}),
    });
    const body = `${cmid} ${padding}`.slice(0, Math.max(bodyBytes, cmid.length));
    try {
      user.session.send(item.conv, cmid, body);
    } catch (error) {
      sendThrew(ctx, user.id, item.conv, cmid, error);
    }
  };
}

/** The SDK threw instead of reporting: whether it queued the message is unknown. */
function sendThrew(ctx: LoadContext, user: string, conv: string, cmid: string, error: unknown): void {
  if (settle(ctx.state, cmid)) ctx.state.counts.indeterminate++;
  ctx.append({
    type: 'send_indeterminate',
    t: wall(),
    user,
    conv,
    cmid,
    reason: `send threw: ${(error as Error).message}`,
  });
}
