// Everything a load run keeps while it runs, as one record (virtual users, counts, sends without
// an outcome, the latency windows, the schedule's clock), and the context the runner's parts
// share: the checked config, that state and the recorder. The parts (session-events, send,
// health, phases) are plain functions over this context.
import { performance } from 'node:perf_hooks';
import type { HistoryEvent } from '../contracts/history.ts';
import type { SessionEvent, TargetSession } from '../contracts/target.ts';
import { createHistogram, type Histogram, percentile } from '../lib/histogram.ts';
import type { LoadConfig } from './options.ts';
import type { Workload } from './workload.ts';

export interface VirtualUser {
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

export interface LoadCounts {
  sent: number;
  acked: number;
  delivered: number;
  failed: number;
  indeterminate: number;
  reconnects: number;
  connected: number;
}

export interface LoadState {
  readonly users: Map<string, VirtualUser>;
  readonly counts: LoadCounts;
  /** Sends without an outcome yet, by cmid. */
  readonly outstanding: Map<string, { user: string; conv: string }>;
  /** The sessions are closed: whatever they still report is not recorded. */
  finished: boolean;
  /** Called when the last outstanding send gets its outcome; set while draining. */
  onSettled: (() => void) | undefined;
  /** Send lag over the whole load, and over the current one-second window. */
  readonly lagAll: Histogram;
  lagWindow: Histogram;
  /** Delivery latency from the intended send time, over the current window. */
  deliveryWindow: Histogram;
  lateSends: number;
  windowSent: number;
  windowDelivered: number;
  /** When the open schedule started (performance.now()); 0 until it has. */
  loadStartMono: number;
  loadStartWall: number;
  loadStopMono: number;
  /** When the next scheduled send is due; undefined while none is waiting. */
  nextDue: number | undefined;
  /** The signal stopped the load. */
  aborted: boolean;
  unsent: number;
}

export interface LoadContext {
  readonly config: LoadConfig;
  readonly state: LoadState;
  append(event: HistoryEvent): void;
}

/** Harness wall-clock ms as a float; t − intendedAt is exactly the send lag. */
export const wall = (): number => performance.timeOrigin + performance.now();

/** Lets pending I/O (acks, pushes) through between batches. */
export const nextTurn = (): Promise<void> => new Promise<void>((r) => setImmediate(r));

export const p99 = (h: Histogram): number => (h.count === 0 ? 0 : percentile(h, 99));
export const round = (x: number): number => Math.round(x * 10) / 10;

/** One virtual user per workload user, each knowing its conversations. */
export function createUsers(workload: Workload): Map<string, VirtualUser> {
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
  return users;
}

export function createLoadState(users: Map<string, VirtualUser>, aborted: boolean): LoadState {
  return {
    users,
    counts: { sent: 0, acked: 0, delivered: 0, failed: 0, indeterminate: 0, reconnects: 0, connected: 0 },
    outstanding: new Map(),
    finished: false,
    onSettled: undefined,
    lagAll: createHistogram(),
    lagWindow: createHistogram(),
    deliveryWindow: createHistogram(),
    lateSends: 0,
    windowSent: 0,
    windowDelivered: 0,
    loadStartMono: 0,
    loadStartWall: 0,
    loadStopMono: Number.POSITIVE_INFINITY,
    nextDue: undefined,
    aborted,
    unsent: 0,
  };
}

/** The send got its outcome; false when it had one already (or was never sent). */
export function settle(state: LoadState, cmid: string): boolean {
  const known = state.outstanding.delete(cmid);
  if (known && state.outstanding.size === 0) state.onSettled?.();
  return known;
}
