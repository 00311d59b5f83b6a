// What a load-generator side of bench/loadgen.ts and bench/overhead.ts is told and what it
// reports (the plan drive.ts reads from its command line, the result it prints), and the
// arithmetic both sides share: who the users and conversations are, how many sends are due by
// a moment of a ramp, and when a ramp's backlog says the server is saturated.
import { z } from 'zod';

export const DrivePlan = z.strictObject({
  side: z.enum(['chatquake', 'bare']),
  wsUrl: z.string().startsWith('ws://127.'),
  httpUrl: z.string().startsWith('http://127.'),
  region: z.string(),
  secret: z.string(),
  adminToken: z.string(),
  /** Prefix of user and conversation ids, fresh per run so no run syncs another's messages. */
  prefix: z.string().regex(/^[a-z0-9]+$/),
  /** Connections (one user each); even: pairs share a direct conversation. */
  connections: z.number().int().positive().multipleOf(2).max(10_000),
  /** Sends per second at the start and at the end of the load (equal: a constant rate). */
  startRate: z.number().nonnegative().max(100_000),
  endRate: z.number().nonnegative().max(100_000),
  durationMs: z.number().int().positive().max(120_000),
  bodyBytes: z.number().int().min(16).max(4096),
  /** Ramp: stop at the first one-second window whose backlog exceeds this many ms of deliveries. */
  stopAtBacklogMs: z.number().positive().optional(),
  /** chatquake only: where the history goes. */
  historyPath: z.string().optional(),
  /** How long to wait for outstanding acks and deliveries after the last send. */
  drainMs: z.number().int().nonnegative().max(30_000),
});
export type DrivePlan = z.infer<typeof DrivePlan>;

/** One second of a ramp, cumulative counts at its end. */
export interface Window {
  elapsedMs: number;
  sent: number;
  delivered: number;
}

export interface DriveResult {
  side: DrivePlan['side'] | 'artillery';
  sent: number;
  acked: number;
  delivered: number;
  /** Wall ms from the first send to the end of the drain. */
  loadMs: number;
  /** This process's own CPU seconds (user + system, all threads), for a cross-check. */
  cpuSeconds: number;
  windows: Window[];
  /** chatquake only: history events written, and what the live judge counted. */
  historyEvents?: number;
  violations?: number;
  valid?: boolean;
  /** Artillery only: virtual users that ended in an error. */
  failedVusers?: number;
}

/** The users and direct conversations of a plan. */
export function planUsers(plan: Pick<DrivePlan, 'prefix' | 'connections'>): {
  users: string[];
  conversations: { id: string; members: string[] }[];
} {
  const users = Array.from({ length: plan.connections }, (_, i) => `${plan.prefix}u${i}`);
  const conversations = Array.from({ length: plan.connections / 2 }, (_, k) => ({
    id: `${plan.prefix}c${k}`,
    members: [users[2 * k] as string, users[2 * k + 1] as string],
  }));
  return { users, conversations };
}

/** Sends due by `elapsedMs` into the load: the integral of a linear ramp (exact for a constant rate). */
export function dueBy(
  plan: Pick<DrivePlan, 'startRate' | 'endRate' | 'durationMs'>,
  elapsedMs: number,
): number {
  const t = Math.min(Math.max(0, elapsedMs), plan.durationMs);
  const r0 = plan.startRate / 1000;
  const r1 = plan.endRate / 1000;
  return Math.floor(r0 * t + ((r1 - r0) * t * t) / (2 * plan.durationMs));
}

/** Whether a window (cumulative counts at its end, and the one before) owes more than `boundMs` of deliveries. */
export function windowOverBound(before: Window, last: Window, fanout: number, boundMs: number): boolean {
  const rate = ((last.delivered - before.delivered) * 1000) / Math.max(1, last.elapsedMs - before.elapsedMs);
  const owed = last.sent * fanout - last.delivered;
  return owed > (rate * boundMs) / 1000 + fanout * 10;
}

/**
 * Whether a ramp should stop: its last two windows both owe more than `stopAtBacklogMs` of
 * deliveries. Two, so that one stalled second (a GC pause, a neighbour on the machine) does not
 * end the ramp; a saturated server stays behind.
 */
export function backlogExceeded(plan: DrivePlan, windows: readonly Window[], fanout: number): boolean {
  const bound = plan.stopAtBacklogMs;
  const n = windows.length;
  if (bound === undefined || n < 3) return false;
  const [a, b, c] = [windows[n - 3], windows[n - 2], windows[n - 1]] as [Window, Window, Window];
  return windowOverBound(a, b, fanout, bound) && windowOverBound(b, c, fanout, bound);
}

export function ownCpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
