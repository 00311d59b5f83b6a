// Drives a workload against a MessagingTarget: creates the conversations, connects every
// virtual user (one target session each), sends on the open schedule and records everything
// the sessions report. One scheduler loop serves all users: a timer to the next due send, then
// every due send in bounded batches, yielding between batches so acks and pushes get through.
// A late send goes out at once and keeps its intended time, so latency measured from
// `intendedAt` includes any stall; the generator's own lag and event-loop delay are watched,
// and a generator that could not keep up marks the run invalid instead of passing it.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { HistoryEvent } from '../contracts/history.ts';
import type { MessagingTarget, SessionEvent, TargetSession } from '../contracts/target.ts';
import { sleep, withTimeout } from '../lib/async.ts';
import { createHistogram, type Histogram, percentile, record } from '../lib/histogram.ts';
import type { HistoryRecorder } from './recorder.ts';
import {
  parseWorkloadSpec,
  type ScheduledSend,
  schedule,
  type Workload,
  type WorkloadSpec,
  type WorkloadSpecInput,
} from './workload.ts';

export interface LoadOptions {
  target: MessagingTarget;
  spec: WorkloadSpec | WorkloadSpecInput;
  workload: Workload;
  /** Length of the send schedule, after the connection ramp. */
  durationMs: number;
  seed: number;
  recorder: HistoryRecorder;
  /** Stops sending at once, skips the drain and closes the sessions. */
  signal?: AbortSignal;
  /** A second whose send-lag p99 is above this makes the run invalid; default 1000 ms. */
  maxLagMs?: number;
  /** A second whose event-loop delay p99 is above this makes the run invalid; default 500 ms. */
  maxEventLoopDelayMs?: number;
  /** Called about once a second from load start until the sessions are closed. */
  onTick?: (stats: LiveStats) => void;
  /** How long to wait after the last send for outstanding acks; default 5000 ms. */
  drainMs?: number;
  /** Bound on creating each conversation and on closing the sessions; default 30000 ms. */
  setupTimeoutMs?: number;
  /** Conversations created at once; default 32. */
  setupConcurrency?: number;
}

export interface LiveStats {
  elapsedMs: number;
  sent: number;
  acked: number;
  delivered: number;
  failed: number;
  indeterminate: number;
  sentPerSec: number;
  deliveredPerSec: number;
  /** Over the last second, measured from each message's intended send time. */
  deliveryP99Ms: number;
  reconnects: number;
  connected: number;
  lagP99Ms: number;
  healthy: boolean;
}

export interface LoadResult {
  sent: number;
  acked: number;
  delivered: number;
  failed: number;
  indeterminate: number;
  valid: boolean;
  invalidReasons: string[];
  /** The signal stopped the load early. */
  aborted: boolean;
  /** Sends that left more than LATE_SEND_MS after their intended time. */
  lateSends: number;
  /** Scheduled sends that never left because the generator was too far behind at the end. */
  unsent: number;
  sendLagP99Ms: number;
  sendLagMaxMs: number;
  eventLoopDelayP99Ms: number;
}

/** Timer granularity and batching keep a healthy generator well below this. */
export const LATE_SEND_MS = 10;
const SEND_BATCH = 512;
const CONNECT_BATCH = 64;
const TICK_MS = 1000;
const ELD_RESOLUTION_MS = 10;

/** Harness wall-clock ms as a float; t − intendedAt is exactly the send lag. */
const wall = (): number => performance.timeOrigin + performance.now();

interface VirtualUser {
  id: string;
  region: string;
  conversations: string[];
  session?: TargetSession;
  sessionId?: string;
  /** Events reported before connect() returned the session (and its id). */
  early: SessionEvent[];
  connected: boolean;
  everConnected: boolean;
  /** Region of the endpoint the session is on now, from its connected/failover events. */
  at?: string;
  /** Sends so far; the n-th send's cmid is `${id}-${n}`. */
  sends: number;
  /** Intended time of each send, by n, for delivery latency. */
  intended: number[];
}

const p99 = (h: Histogram): number => (h.count === 0 ? 0 : percentile(h, 99));
const round = (x: number): number => Math.round(x * 10) / 10;

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { target, workload, recorder, signal } = options;
  const spec = parseWorkloadSpec(options.spec);
  const maxLagMs = options.maxLagMs ?? 1000;
  const maxLoopMs = options.maxEventLoopDelayMs ?? 500;
  const drainMs = options.drainMs ?? 5000;
  const setupTimeoutMs = options.setupTimeoutMs ?? 30_000;
  const setupConcurrency = Math.max(1, options.setupConcurrency ?? 32);
  const durationMs = Math.max(0, options.durationMs);

  // Drawn before any setup, so a workload nobody can send in fails before connecting anyone.
  const items = schedule(spec, workload, durationMs, options.seed)[Symbol.iterator]();
  let step = items.next();

  const users = new Map<string, VirtualUser>();
  for (const u of workload.users) {
    users.set(u.id, {
      id: u.id,
      region: u.region,
      conversations: [],
      early: [],
      connected: false,
      everConnected: false,
      sends: 0,
      intended: [],
    });
  }
  for (const c of workload.conversations) {
    for (const m of c.members) {
      const user = users.get(m);
      if (!user) throw new Error(`workload: conversation ${c.id} names unknown user ${m}`);
      user.conversations.push(c.id);
    }
  }

  const counts = {
    sent: 0,
    acked: 0,
    delivered: 0,
    failed: 0,
    indeterminate: 0,
    reconnects: 0,
    connected: 0,
  };
  const outstanding = new Map<string, { user: string; conv: string }>();
  let finished = false;
  let onSettled: (() => void) | undefined;

  const lagAll = createHistogram();
  let lagWindow = createHistogram();
  let deliveryWindow = createHistogram();
  let lateSends = 0;
  let windowSent = 0;
  let windowDelivered = 0;

  const append = (event: HistoryEvent): void => recorder.append(event);

  const settle = (cmid: string): boolean => {
    const known = outstanding.delete(cmid);
    if (known && outstanding.size === 0) onSettled?.();
    return known;
  };

  const deliveryLatency = (cmid: string, t: number): void => {
    const dash = cmid.lastIndexOf('-');
    if (dash <= 0) return;
    const sender = users.get(cmid.slice(0, dash));
    const intendedAt = sender?.intended[Number(cmid.slice(dash + 1))];
    if (intendedAt !== undefined) record(deliveryWindow, t - intendedAt);
  };

  const onSessionEvent = (user: VirtualUser, event: SessionEvent): void => {
    if (finished) return;
    const session = user.sessionId as string;
    switch (event.type) {
      case 'connected':
        if (user.everConnected) counts.reconnects++;
        if (!user.connected) counts.connected++;
        user.connected = true;
        user.everConnected = true;
        user.at = event.region;
        append({
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
        append({
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
        append({ type: 'failover', t: event.t, user: user.id, session, from: event.from, to: event.to });
        return;
      case 'acked':
        if (settle(event.cmid)) counts.acked++;
        append({
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
        if (settle(event.cmid)) counts.failed++;
        append({
          type: 'send_failed',
          t: event.t,
          user: user.id,
          conv: event.conv,
          cmid: event.cmid,
          reason: event.reason,
        });
        return;
      case 'send_indeterminate':
        if (settle(event.cmid)) counts.indeterminate++;
        append({
          type: 'send_indeterminate',
          t: event.t,
          user: user.id,
          conv: event.conv,
          cmid: event.cmid,
          reason: event.reason,
        });
        return;
      case 'delivered':
        counts.delivered++;
        windowDelivered++;
        deliveryLatency(event.cmid, event.t);
        append({
          type: 'deliver',
          t: event.t,
          user: user.id,
          session,
          conv: event.conv,
          cmid: event.cmid,
          from: event.from,
          seq: event.seq,
          via: event.via,
          ...(user.at !== undefined ? { region: user.at } : {}),
        });
        return;
      case 'synced':
        append({
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
        append({
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
        append({
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
  };

  const connectUser = (user: VirtualUser): void => {
    const session = target.connect({
      user: user.id,
      region: user.region,
      conversations: user.conversations,
      onEvent: (event) => {
        if (user.sessionId === undefined) user.early.push(event);
        else onSessionEvent(user, event);
      },
    });
    user.session = session;
    user.sessionId = session.id;
    const early = user.early;
    user.early = [];
    for (const event of early) onSessionEvent(user, event);
  };

  const closeSessions = async (): Promise<void> => {
    const closing: Promise<void>[] = [];
    for (const user of users.values()) {
      if (user.session) closing.push(user.session.close().catch(() => undefined));
    }
    await withTimeout(Promise.all(closing), setupTimeoutMs, 'closing sessions').catch(() => undefined);
  };

  // Health. The monitor's value is the interval between its samples, so its resolution is
  // taken off; it also skips its first sample after a reset, which the health timer's own
  // lateness covers.
  const loopWindow = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
  const loopAll = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
  loopWindow.enable();
  loopAll.enable();
  const eld = (h: ReturnType<typeof monitorEventLoopDelay>): number =>
    h.count === 0 ? 0 : Math.max(0, h.percentile(99) / 1e6 - ELD_RESOLUTION_MS);

  const badLag = { ms: 0, worst: 0 };
  const badLoop = { ms: 0, worst: 0 };
  let loadStartMono = 0;
  let loadStartWall = 0;
  let loadStopMono = Number.POSITIVE_INFINITY;
  let nextDue: number | undefined;
  let tickTimer: ReturnType<typeof setInterval> | undefined;
  let lastTick = 0;

  const tick = (): void => {
    const now = performance.now();
    const windowMs = now - lastTick;
    const lateness = Math.max(0, windowMs - TICK_MS);
    lastTick = now;
    const backlog = nextDue !== undefined && nextDue < now ? now - nextDue : 0;
    const lagP99 = Math.max(p99(lagWindow), backlog);
    const lagMax = Math.max(lagWindow.count === 0 ? 0 : lagWindow.max, backlog);
    const loopP99 = Math.max(eld(loopWindow), lateness);
    loopWindow.reset();
    const lagBad = lagP99 > maxLagMs;
    const loopBad = loopP99 > maxLoopMs;
    const judged = now - windowMs < loadStopMono;
    if (judged) {
      if (lagBad) {
        badLag.ms += windowMs;
        badLag.worst = Math.max(badLag.worst, lagP99);
      }
      if (loopBad) {
        badLoop.ms += windowMs;
        badLoop.worst = Math.max(badLoop.worst, loopP99);
      }
      const reasons = [
        lagBad ? `send lag p99 ${Math.round(lagP99)} ms > ${maxLagMs} ms` : '',
        loopBad ? `event-loop delay p99 ${Math.round(loopP99)} ms > ${maxLoopMs} ms` : '',
      ].filter(Boolean);
      append({
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
    options.onTick?.({
      elapsedMs: Math.max(0, now - loadStartMono),
      sent: counts.sent,
      acked: counts.acked,
      delivered: counts.delivered,
      failed: counts.failed,
      indeterminate: counts.indeterminate,
      sentPerSec: windowSent / seconds,
      deliveredPerSec: windowDelivered / seconds,
      deliveryP99Ms: p99(deliveryWindow),
      reconnects: counts.reconnects,
      connected: counts.connected,
      lagP99Ms: lagP99,
      healthy: !lagBad && !loopBad,
    });
    lagWindow = createHistogram();
    deliveryWindow = createHistogram();
    windowSent = 0;
    windowDelivered = 0;
  };

  const padding = 'x'.repeat(spec.bodyBytes);
  const send = (item: ScheduledSend, nowMono: number): void => {
    const user = users.get(item.user);
    if (!user?.session) throw new Error(`workload: schedule names unknown user ${item.user}`);
    const n = user.sends++;
    const cmid = `${user.id}-${n}`;
    const intendedAt = loadStartWall + item.at;
    const lag = Math.max(0, nowMono - (loadStartMono + item.at));
    user.intended[n] = intendedAt;
    record(lagAll, lag);
    record(lagWindow, lag);
    if (lag > LATE_SEND_MS) lateSends++;
    counts.sent++;
    windowSent++;
    outstanding.set(cmid, { user: user.id, conv: item.conv });
    append({
      type: 'send',
      t: loadStartWall + (nowMono - loadStartMono),
      intendedAt,
      user: user.id,
      conv: item.conv,
      cmid,
      // Only while connected: a queued send has no region yet.
      ...(user.connected && user.at !== undefined ? { region: user.at } : {}),
    });
    const body = `${cmid} ${padding}`.slice(0, Math.max(spec.bodyBytes, cmid.length));
    try {
      user.session.send(item.conv, cmid, body);
    } catch (error) {
      // The SDK threw instead of reporting: whether it queued the message is unknown.
      if (settle(cmid)) counts.indeterminate++;
      append({
        type: 'send_indeterminate',
        t: wall(),
        user: user.id,
        conv: item.conv,
        cmid,
        reason: `send threw: ${(error as Error).message}`,
      });
    }
  };

  let aborted = signal?.aborted ?? false;
  const onAbort = (): void => {
    aborted = true;
  };
  signal?.addEventListener('abort', onAbort, { once: true });

  let unsent = 0;
  try {
    // 1. Users and conversations, before anyone connects.
    const setupT = wall();
    for (const u of workload.users) append({ type: 'user', t: setupT, user: u.id, region: u.region });
    let nextConv = 0;
    const createWorker = async (): Promise<void> => {
      while (nextConv < workload.conversations.length && !aborted) {
        const c = workload.conversations[nextConv++] as Workload['conversations'][number];
        await withTimeout(
          target.createConversation({
            id: c.id,
            members: c.members,
            ...(c.residency ? { residency: c.residency } : {}),
          }),
          setupTimeoutMs,
          `creating conversation ${c.id}`,
        );
        append({
          type: 'conversation',
          t: wall(),
          conv: c.id,
          members: c.members,
          ...(c.residency ? { residency: c.residency } : {}),
        });
      }
    };
    await Promise.all(Array.from({ length: setupConcurrency }, createWorker));

    // 2. Connections, spread over the ramp by one loop rather than one timer per user.
    const order = [...users.values()];
    const rampStart = performance.now();
    const spacing = order.length > 0 ? spec.connectRampMs / order.length : 0;
    let nextUser = 0;
    while (nextUser < order.length && !aborted) {
      const now = performance.now();
      let batch = 0;
      while (nextUser < order.length && rampStart + nextUser * spacing <= now && batch < CONNECT_BATCH) {
        connectUser(order[nextUser++] as VirtualUser);
        batch++;
      }
      if (nextUser >= order.length) break;
      if (batch === CONNECT_BATCH) await new Promise<void>((r) => setImmediate(r));
      else await sleep(rampStart + nextUser * spacing - performance.now(), signal);
    }

    // 3. The open schedule.
    loadStartMono = performance.now();
    loadStartWall = performance.timeOrigin + loadStartMono;
    lastTick = loadStartMono;
    loopWindow.reset();
    loopAll.reset();
    append({ type: 'phase', t: loadStartWall, name: 'load_start' });
    tickTimer = setInterval(tick, TICK_MS);

    // A generator still behind by maxLagMs after the schedule's end gives up on the rest.
    const sendDeadline = loadStartMono + durationMs + maxLagMs;
    while (!step.done && !aborted) {
      const now = performance.now();
      if (now > sendDeadline) break;
      let batch = 0;
      while (!step.done && loadStartMono + step.value.at <= now && batch < SEND_BATCH) {
        send(step.value, now);
        step = items.next();
        batch++;
      }
      nextDue = step.done ? undefined : loadStartMono + step.value.at;
      if (step.done) break;
      if (batch === SEND_BATCH) await new Promise<void>((r) => setImmediate(r));
      else await sleep((nextDue as number) - performance.now(), signal);
    }
    if (!step.done && !aborted) {
      for (; !step.done; step = items.next()) unsent++;
    }
    nextDue = undefined;
    if (!aborted) await sleep(loadStartMono + durationMs - performance.now(), signal);
    loadStopMono = performance.now();
    append({ type: 'phase', t: performance.timeOrigin + loadStopMono, name: 'load_stop' });

    // 4. Drain: outstanding sends get until drainMs to be answered.
    if (!aborted && outstanding.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, drainMs);
        function done(): void {
          clearTimeout(timer);
          onSettled = undefined;
          signal?.removeEventListener('abort', done);
          resolve();
        }
        onSettled = done;
        signal?.addEventListener('abort', done, { once: true });
      });
    }
  } finally {
    if (tickTimer) clearInterval(tickTimer);
    if (loadStartMono > 0) tick();
    await closeSessions();
    // Whatever the target left unanswered is indeterminate: the history then has an outcome
    // for every send, which is what the checkers need.
    for (const [cmid, { user, conv }] of outstanding) {
      counts.indeterminate++;
      append({
        type: 'send_indeterminate',
        t: wall(),
        user,
        conv,
        cmid,
        reason: 'no outcome before the load ended',
      });
    }
    outstanding.clear();
    finished = true;
    loopWindow.disable();
    loopAll.disable();
    signal?.removeEventListener('abort', onAbort);
  }

  const invalidReasons: string[] = [];
  if (badLag.ms > 0) {
    invalidReasons.push(
      `send lag p99 ${Math.round(badLag.worst)} ms > ${maxLagMs} ms for ${Math.max(1, Math.round(badLag.ms / 1000))} s: the load generator could not keep to the schedule`,
    );
  }
  if (badLoop.ms > 0) {
    invalidReasons.push(
      `event-loop delay p99 ${Math.round(badLoop.worst)} ms > ${maxLoopMs} ms for ${Math.max(1, Math.round(badLoop.ms / 1000))} s: the load generator's process was stalled`,
    );
  }
  if (unsent > 0) {
    invalidReasons.push(
      `${unsent} scheduled sends never left: the generator was still more than ${maxLagMs} ms behind when the load ended`,
    );
  }
  const valid = invalidReasons.length === 0;
  const result: LoadResult = {
    sent: counts.sent,
    acked: counts.acked,
    delivered: counts.delivered,
    failed: counts.failed,
    indeterminate: counts.indeterminate,
    valid,
    invalidReasons,
    aborted,
    lateSends,
    unsent,
    sendLagP99Ms: round(p99(lagAll)),
    sendLagMaxMs: round(lagAll.count === 0 ? 0 : lagAll.max),
    eventLoopDelayP99Ms: round(eld(loopAll)),
  };
  append({
    type: 'health',
    t: wall(),
    sendLagP99Ms: result.sendLagP99Ms,
    sendLagMaxMs: result.sendLagMaxMs,
    eventLoopDelayP99Ms: result.eventLoopDelayP99Ms,
    ok: valid,
    ...(valid ? {} : { reason: invalidReasons.join('; ') }),
  });
  return result;
}
