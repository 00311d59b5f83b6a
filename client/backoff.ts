// Full-jitter exponential backoff (the "Full Jitter" variant of AWS's backoff study): the delay
// is uniform in [0, min(max, min * 2^attempt)). Spreading retries over the whole window is what
// keeps thousands of clients that lost the same region from reconnecting in lockstep.

export interface BackoffOptions {
  /** Ceiling of the first window, ms. Default 100. */
  minMs?: number;
  /** Largest window, ms. Default 5000. */
  maxMs?: number;
}

export const DEFAULT_BACKOFF_MIN_MS = 100;
export const DEFAULT_BACKOFF_MAX_MS = 5000;

export interface ResolvedBackoff {
  minMs: number;
  maxMs: number;
}

export function resolveBackoff(options: BackoffOptions = {}): ResolvedBackoff {
  const minMs = options.minMs ?? DEFAULT_BACKOFF_MIN_MS;
  const maxMs = options.maxMs ?? DEFAULT_BACKOFF_MAX_MS;
  if (!Number.isFinite(minMs) || minMs < 0) throw new RangeError(`backoff.minMs: must be >= 0, got ${minMs}`);
  if (!Number.isFinite(maxMs) || maxMs < minMs) {
    throw new RangeError(`backoff.maxMs: must be >= backoff.minMs (${minMs}), got ${maxMs}`);
  }
  return { minMs, maxMs };
}

/** The window the `attempt`-th retry (0-based) draws from. */
export function backoffCeiling(attempt: number, backoff: ResolvedBackoff): number {
  // 2^31 already exceeds any sane max; clamping the exponent keeps the product finite.
  const exponent = Math.min(Math.max(0, attempt), 31);
  return Math.min(backoff.maxMs, backoff.minMs * 2 ** exponent);
}

/** Delay in ms before the `attempt`-th retry (0-based); `random` returns values in [0, 1). */
export function backoffDelay(attempt: number, backoff: ResolvedBackoff, random: () => number): number {
  return random() * backoffCeiling(attempt, backoff);
}
