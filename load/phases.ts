// The load itself and its end, in the order runLoad takes them after setup.ts: send on the open
// schedule, drain, and after closing the sessions give every send still without an outcome one.
// One loop paces all sends: a timer to the next due send, then every due send in bounded
// batches, yielding between batches so acks and pushes get through.
import { performance } from 'node:perf_hooks';
import { sleep, withTimeout } from '../lib/async.ts';
import type { Health } from './health.ts';
import type { SendScheduled } from './send.ts';
import { type LoadContext, nextTurn, wall } from './state.ts';
import type { ScheduledSend } from './workload.ts';

const SEND_BATCH = 512;

/** The open schedule, drawn one send ahead (the first before any setup). */
export interface ScheduleCursor {
  readonly items: Iterator<ScheduledSend, void>;
  step: IteratorResult<ScheduledSend, void>;
}

/** 3a. The load starts now: the schedule's clock and the health windows start from here. */
export function startLoad(ctx: LoadContext, health: Health): void {
  const { state } = ctx;
  state.loadStartMono = performance.now();
  state.loadStartWall = performance.timeOrigin + state.loadStartMono;
  health.lastTick = state.loadStartMono;
  health.loopWindow.reset();
  health.loopAll.reset();
  ctx.append({ type: 'phase', t: state.loadStartWall, name: 'load_start' });
}

/** 3b. The open schedule, then the rest of its duration; ends with the `load_stop` phase. */
export async function sendSchedule(
  ctx: LoadContext,
  cursor: ScheduleCursor,
  send: SendScheduled,
): Promise<void> {
  const { config, state } = ctx;
  // A generator still behind by maxLagMs after the schedule's end gives up on the rest.
  const sendDeadline = state.loadStartMono + config.durationMs + config.maxLagMs;
  const stopped = (): boolean => state.aborted || config.stop?.aborted === true;
  const wake = anySignal(config.signal, config.stop);
  while (!cursor.step.done && !stopped()) {
    const now = performance.now();
    if (now > sendDeadline) break;
    let batch = 0;
    while (!cursor.step.done && state.loadStartMono + cursor.step.value.at <= now && batch < SEND_BATCH) {
      send(cursor.step.value, now);
      cursor.step = cursor.items.next();
      batch++;
    }
    state.nextDue = cursor.step.done ? undefined : state.loadStartMono + cursor.step.value.at;
    if (cursor.step.done) break;
    if (batch === SEND_BATCH) await nextTurn();
    else await sleep((state.nextDue as number) - performance.now(), wake);
  }
  if (!cursor.step.done && !stopped()) {
    for (; !cursor.step.done; cursor.step = cursor.items.next()) state.unsent++;
  }
  state.nextDue = undefined;
  if (!stopped()) await sleep(state.loadStartMono + config.durationMs - performance.now(), wake);
  state.loadStopMono = performance.now();
  ctx.append({ type: 'phase', t: performance.timeOrigin + state.loadStopMono, name: 'load_stop' });
}

/** Aborts when either does; undefined when neither is given. */
function anySignal(a: AbortSignal | undefined, b: AbortSignal | undefined): AbortSignal | undefined {
  if (a === undefined || b === undefined) return a ?? b;
  return AbortSignal.any([a, b]);
}

/** 4. Drain: outstanding sends get until drainMs to be answered. */
export async function drain(ctx: LoadContext): Promise<void> {
  const { config, state } = ctx;
  const { signal } = config;
  if (state.aborted || state.outstanding.size === 0) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, config.drainMs);
    function done(): void {
      clearTimeout(timer);
      state.onSettled = undefined;
      signal?.removeEventListener('abort', done);
      resolve();
    }
    state.onSettled = done;
    signal?.addEventListener('abort', done, { once: true });
  });
}

export async function closeSessions(ctx: LoadContext): Promise<void> {
  const closing: Promise<void>[] = [];
  for (const user of ctx.state.users.values()) {
    if (user.session) closing.push(user.session.close().catch(() => undefined));
  }
  await withTimeout(Promise.all(closing), ctx.config.setupTimeoutMs, 'closing sessions').catch(
    () => undefined,
  );
}

/**
 * Whatever the target left unanswered is indeterminate: the history then has an outcome for
 * every send, which is what the checkers need. Session events after this are not recorded.
 */
export function settleRemaining(ctx: LoadContext): void {
  const { state } = ctx;
  for (const [cmid, { user, conv }] of state.outstanding) {
    state.counts.indeterminate++;
    ctx.append({
      type: 'send_indeterminate',
      t: wall(),
      user,
      conv,
      cmid,
      reason: 'no outcome before the load ended',
    });
  }
  state.outstanding.clear();
  state.finished = true;
}
