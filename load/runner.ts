// Drives a workload against a MessagingTarget: creates the conversations, connects every
// virtual user (one target session each), sends on the open schedule and records everything
// the sessions report. One scheduler loop serves all users: a timer to the next due send, then
// every due send in bounded batches, yielding between batches so acks and pushes get through.
// A late send goes out at once and keeps its intended time, so latency measured from
// `intendedAt` includes any stall; the generator's own lag and event-loop delay are watched,
// and a generator that could not keep up marks the run invalid instead of passing it.
//
// This file composes a run from its parts, each plain functions over one shared context
// (state.ts): options.ts checks the options, setup.ts and phases.ts hold the steps, send.ts makes
// each send, session-events.ts records what the sessions report, health.ts judges the generator.
import type { HistoryEvent } from '../contracts/history.ts';
import { createApiLoad } from './api-storm.ts';
import { eld, type Health, healthTick, invalidReasons, startHealth, stopHealth, TICK_MS } from './health.ts';
import { type LoadOptions, type LoadResult, resolveLoadOptions } from './options.ts';
import {
  closeSessions,
  drain,
  type ScheduleCursor,
  sendSchedule,
  settleRemaining,
  startLoad,
} from './phases.ts';
import { createSender } from './send.ts';
import { connectUsers, createConversations } from './setup.ts';
import { createLoadState, createUsers, type LoadContext, p99, round, wall } from './state.ts';
import { schedule } from './workload.ts';

export type { LiveStats, LoadOptions, LoadResult } from './options.ts';
export { LATE_SEND_MS } from './send.ts';

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const config = resolveLoadOptions(options);
  const { signal } = config;
  // Drawn before any setup, so a workload nobody can send in fails before connecting anyone.
  const items = schedule(config.spec, config.workload, config.durationMs, config.seed)[Symbol.iterator]();
  const cursor: ScheduleCursor = { items, step: items.next() };
  const users = createUsers(config.workload);
  const health = startHealth();
  const state = createLoadState(users, signal?.aborted ?? false);
  const ctx: LoadContext = { config, state, append: (event) => config.recorder.append(event) };
  // Throws naming workload.api before any setup when the target has no API.
  const api = createApiLoad(ctx);
  if (api !== undefined) {
    // Only with API traffic: its reads need the highest seq each user has seen (api-storm.ts).
    ctx.append = (event: HistoryEvent) => {
      config.recorder.append(event);
      api.observe(event);
    };
  }
  const sessionSend = createSender(ctx);
  const send: typeof sessionSend =
    api === undefined
      ? sessionSend
      : (item, now) => (api.takes() ? api.send(item, now) : sessionSend(item, now));
  const onAbort = (): void => {
    state.aborted = true;
  };
  signal?.addEventListener('abort', onAbort, { once: true });

  let tickTimer: ReturnType<typeof setInterval> | undefined;
  try {
    await createConversations(ctx);
    await connectUsers(ctx);
    startLoad(ctx, health);
    api?.start();
    tickTimer = setInterval(() => healthTick(ctx, health), TICK_MS);
    await sendSchedule(ctx, cursor, send);
    await Promise.all([drain(ctx), api?.stop(config.drainMs)]);
  } finally {
    if (tickTimer) clearInterval(tickTimer);
    if (state.loadStartMono > 0) healthTick(ctx, health);
    api?.close();
    await closeSessions(ctx);
    settleRemaining(ctx);
    stopHealth(health);
    signal?.removeEventListener('abort', onAbort);
  }
  return finalResult(ctx, health);
}

/** The run's result, also recorded as the last `health` event. */
function finalResult(ctx: LoadContext, health: Health): LoadResult {
  const { config, state } = ctx;
  const { counts, lagAll } = state;
  const reasons = invalidReasons(config, health, state.unsent);
  const valid = reasons.length === 0;
  const result: LoadResult = {
    sent: counts.sent,
    acked: counts.acked,
    delivered: counts.delivered,
    failed: counts.failed,
    indeterminate: counts.indeterminate,
    valid,
    invalidReasons: reasons,
    aborted: state.aborted,
    lateSends: state.lateSends,
    unsent: state.unsent,
    sendLagP99Ms: round(p99(lagAll)),
    sendLagMaxMs: round(lagAll.count === 0 ? 0 : lagAll.max),
    eventLoopDelayP99Ms: round(eld(health.loopAll)),
  };
  ctx.append({
    type: 'health',
    t: wall(),
    sendLagP99Ms: result.sendLagP99Ms,
    sendLagMaxMs: result.sendLagMaxMs,
    eventLoopDelayP99Ms: result.eventLoopDelayP99Ms,
    ok: valid,
    ...(valid ? {} : { reason: reasons.join('; ') }),
  });
  return result;
}
