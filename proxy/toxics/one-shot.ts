// The one pending timer a toxic holds: armed for a delay, re-armed when the toxic changes,
// cancelled on flush and dispose. The timed toxics share it so each file says only what
// happens when its timer fires, and a rule about timers lives here once: Node fires any
// setTimeout past 2^31−1 ms (about 24.8 days) after 1 ms, so a longer delay waits in legs of
// at most that length and fires once, at its full length, never early and never in a spin.

export interface OneShot {
  /** Cancels any pending fire, then calls `fire` after `ms` (negative counts as 0). */
  arm(ms: number, fire: () => void): void;
  cancel(): void;
  /** Whether a fire is pending. */
  readonly pending: boolean;
}

/** The longest delay one setTimeout honours. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export function createOneShot(): OneShot {
  let timer: NodeJS.Timeout | undefined;
  const cancel = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  // One leg of the wait: the whole rest when it fits in a timer, else the longest timer and
  // then another leg measured from the clock, so late legs do not add up.
  const wait = (ms: number, deadline: number, fire: () => void): void => {
    // NaN would make every leg a 1 ms timer: it counts as 0, like a negative delay.
    const rest = Number.isNaN(ms) ? 0 : Math.max(ms, 0);
    const leg = Math.min(rest, MAX_TIMER_MS);
    const last = leg === rest;
    timer = setTimeout(() => {
      timer = undefined;
      if (last) fire();
      else wait(deadline - performance.now(), deadline, fire);
    }, leg);
  };
  return {
    arm(ms, fire) {
      cancel();
      wait(ms, performance.now() + ms, fire);
    },
    cancel,
    get pending() {
      return timer !== undefined;
    },
  };
}
