// Time for the timeline runner, injectable so tests drive it with a fake clock.
import { setTimeout as sleepFor } from 'node:timers/promises';

export interface Clock {
  /** Milliseconds; only differences matter to the runner. */
  now(): number;
  /** Resolves after ms, or rejects when the signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * Epoch milliseconds as floats, from the monotonic clock anchored at process start, so a wall
 * clock step (NTP, or a clock-skew fault on this host) never moves a fault.
 */
export const realClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  sleep: (ms, signal) => sleepFor(Math.max(0, ms), undefined, signal === undefined ? {} : { signal }),
};
