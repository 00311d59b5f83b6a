// A node's two clocks. Wall time (shifted by the admin clock-offset knob, the way a stepped
// system clock would be) stamps `serverTime`; monotonic time measures leases and timeouts.
// Lease checks consult both and take the earlier deadline, so a forward clock step can only
// make a node give up its lease early, never keep it late (see docs/CONSISTENCY.md).
import { performance } from 'node:perf_hooks';

export interface Clock {
  /** Wall-clock ms since the epoch, including the configured offset. */
  wallNow(): number;
  /** Monotonic ms; unaffected by the offset. */
  monoNow(): number;
  offsetMs(): number;
  setOffsetMs(offsetMs: number): void;
}

export function createClock(initialOffsetMs = 0): Clock {
  let offset = initialOffsetMs;
  return {
    wallNow: () => Date.now() + offset,
    monoNow: () => performance.now(),
    offsetMs: () => offset,
    setOffsetMs: (value) => {
      offset = value;
    },
  };
}
