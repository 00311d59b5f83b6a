// Whether the load generator kept up: once a second the send lag and event-loop delay of the
// last second are judged against their limits and recorded as a `health` event (and handed to
// onTick with the live counts); at the end the bad seconds become the run's invalid reasons.
// The event-loop monitor's value is the interval between its samples, so its resolution is
// taken off; it also skips its first sample after a reset, which the tick's own lateness covers.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createHistogram } from '../lib/histogram.ts';
import type { LoadConfig } from './options.ts';
import { type LoadContext, p99, round, wall } from './state.ts';

export const TICK_MS = 1000;
const ELD_RESOLUTION_MS = 10;

type DelayMonitor = ReturnType<typeof monitorEventLoopDelay>;

/** Seconds judged bad, in total ms, and the worst p99 seen in them. */
interface BadTime {
  ms: number;
  worst: number;
}

export interface Health {
  /** Event-loop delay over the current window, and over the whole load. */
  readonly loopWindow: DelayMonitor;
  readonly loopAll: DelayMonitor;
  readonly badLag: BadTime;
  readonly badLoop: BadTime;
  /** When the last tick ran (performance.now()). */
  lastTick: number;
}

/** Starts both event-loop monitors; stopHealth stops them. */
export function startHealth(): Health {
  const loopWindow = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
  const loopAll = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
  loopWindow.enable();
  loopAll.enable();
  return { loopWindow, loopAll, badLag: { ms: 0, worst: 0 }, badLoop: { ms: 0, worst: 0 }, lastTick: 0 };
}

export function stopHealth(health: Health): void {
  health.loopWindow.disable();
  health.loopAll.disable();
}

/** Event-loop delay p99 in ms, without the monitor's own resolution. */
export const eld = (h: DelayMonitor): number =>
  h.count === 0 ? 0 : Math.max(0, h.percentile(99) / 1e6 - ELD_RESOLUTION_MS);

/** Judges the window since the last tick, records it, reports live stats and opens a new window. */
export function healthTick(ctx: LoadContext, health: Health): void {
  const { config, state } = ctx;
  const now = performance.now();
  const windowMs = now - health.lastTick;
  const lateness = Math.max(0, windowMs - TICK_MS);
  health.lastTick = now;
  const backlog = state.nextDue !== undefined && state.nextDue < now ? now - state.nextDue : 0;
  const lagP99 = Math.max(p99(state.lagWindow), backlog);
  const lagMax = Math.max(state.lagWindow.count === 0 ? 0 : state.lagWindow.max, backlog);
  const loopP99 = Math.max(eld(health.loopWindow), lateness);
  health.loopWindow.reset();
  const lagBad = lagP99 > config.maxLagMs;
  const loopBad = loopP99 > config.maxLoopMs;
  const judged = now - windowMs < state.loadStopMono;
  if (judged) {
    if (lagBad) noteBad(health.badLag, windowMs, lagP99);
    if (loopBad) noteBad(health.badLoop, windowMs, loopP99);
    const reasons = [
      lagBad ? `send lag p99 ${Math.round(lagP99)} ms > ${config.maxLagMs} ms` : '',
      loopBad ? `event-loop delay p99 ${Math.round(loopP99)} ms > ${config.maxLoopMs} ms` : '',
    ].filter(Boolean);
    ctx.append({
      type: 'health',
      t: wall(),
      sendLagP99Ms: round(lagP99),
      sendLagMaxMs: round(lagMax),
      eventLoopDelayP99Ms: round(loopP99),
      ok: reasons.length === 0,
      ...(reasons.length > 0 ? { reason: reasons.join('; ') } : {}),
    });
  }
  const seconds = Math.max(windowMs, 1) / 1000;
  const { counts } = state;
  config.onTick?.({
    elapsedMs: Math.max(0, now - state.loadStartMono),
    sent: counts.sent,
    acked: counts.acked,
    delivered: counts.delivered,
    failed: counts.failed,
    indeterminate: counts.indeterminate,
    sentPerSec: state.windowSent / seconds,
    deliveredPerSec: state.windowDelivered / seconds,
    deliveryP99Ms: p99(state.deliveryWindow),
    reconnects: counts.reconnects,
    connected: counts.connected,
    lagP99Ms: lagP99,
    healthy: !lagBad && !loopBad,
  });
  state.lagWindow = createHistogram();
  state.deliveryWindow = createHistogram();
  state.windowSent = 0;
  state.windowDelivered = 0;
}

function noteBad(bad: BadTime, windowMs: number, p99Ms: number): void {
  bad.ms += windowMs;
  bad.worst = Math.max(bad.worst, p99Ms);
}

/** Why the run cannot be trusted: seconds the generator fell behind, and sends it never made. */
export function invalidReasons(config: LoadConfig, health: Health, unsent: number): string[] {
  const { badLag, badLoop } = health;
  const reasons: string[] = [];
  if (badLag.ms > 0) {
    reasons.push(
      `send lag p99 ${Math.round(badLag.worst)} ms > ${config.maxLagMs} ms for ${Math.max(1, Math.round(badLag.ms / 1000))} s: the load generator could not keep to the schedule`,
    );
  }
  if (badLoop.ms > 0) {
    reasons.push(
      `event-loop delay p99 ${Math.round(badLoop.worst)} ms > ${config.maxLoopMs} ms for ${Math.max(1, Math.round(badLoop.ms / 1000))} s: the load generator's process was stalled`,
    );
  }
  if (unsent > 0) {
    reasons.push(
      `${unsent} scheduled sends never left: the generator was still more than ${config.maxLagMs} ms behind when the load ended`,
    );
  }
  return reasons;
}
