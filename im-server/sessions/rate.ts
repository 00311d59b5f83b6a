// The per-session frame rate limit: a token bucket that holds one second's worth of frames and
// refills continuously, so a client may burst up to its rate and then keep to it. A frame over
// the limit is answered `rate_limited` and does nothing, so a flood costs the node one parse
// and one short error frame each, and the client may resend after a pause.

export interface RateBucket {
  tokens: number;
  /** performance.now() of the last refill. */
  at: number;
}

export function createRateBucket(perSecond: number, now: number): RateBucket {
  return { tokens: perSecond, at: now };
}

/** Takes one frame's token; false when the session is over `perSecond`. */
export function takeToken(bucket: RateBucket, perSecond: number, now: number): boolean {
  bucket.tokens = Math.min(perSecond, bucket.tokens + ((now - bucket.at) * perSecond) / 1000);
  bucket.at = now;
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}
