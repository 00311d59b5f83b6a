// The one pending timer a toxic holds: armed for a delay, re-armed when the toxic changes,
// cancelled on flush and dispose. The timed toxics share it so each file says only what
// happens when its timer fires, and a rule about timers (how long one may be) lives here once.

export interface OneShot {
  /** Cancels any pending fire, then calls `fire` after `ms` (negative counts as 0). */
  arm(ms: number, fire: () => void): void;
  cancel(): void;
  /** Whether a fire is pending. */
  readonly pending: boolean;
}

export function createOneShot(): OneShot {
  let timer: NodeJS.Timeout | undefined;
  const cancel = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  return {
    arm(ms, fire) {
      cancel();
      timer = setTimeout(
        () => {
          timer = undefined;
          fire();
        },
        Math.max(0, ms),
      );
    },
    cancel,
    get pending() {
      return timer !== undefined;
    },
  };
}
