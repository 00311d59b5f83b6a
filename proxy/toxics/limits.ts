// The upper bound of every toxic attribute, in one place, so the schemas, the docs and the
// tests agree. Toxiproxy takes any int64 (its Go durations overflow past about 292 years); here
// each bound is where a larger value stops meaning anything different for a test run, and a
// request past it is a 400 naming the attribute instead of a value that quietly misbehaves.
import { z } from 'zod';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Any duration in ms: 30 days. Longer than Node's longest timer, so one-shot.ts chains. */
export const MAX_DELAY_MS = 30 * DAY_MS;
/** slicer's `delay` is in µs: the same 30 days. */
export const MAX_DELAY_US = MAX_DELAY_MS * 1000;
/** slicer's piece sizes: 1 GiB, far above the ~1 MiB a link holds, so larger means "whole". */
export const MAX_SLICE_BYTES = 2 ** 30;
/** bandwidth's `rate` in KB/s: 1 TB/s, faster than any link; at that rate it passes everything. */
export const MAX_RATE_KBPS = 1_000_000_000;
/** limit_data's `bytes`: the largest count JavaScript keeps exact. */
export const MAX_DATA_BYTES = Number.MAX_SAFE_INTEGER;

/**
 * A whole number from 0 to `max`; `why` says what the bound is in words. The range is checked
 * first and stops there, so 2^53 reads "must be at most …", not "must be a whole number".
 */
export function wholeUpTo(max: number, why: string) {
  return z
    .number('must be a number')
    .min(0, { message: 'must be at least 0', abort: true })
    .max(max, { message: `must be at most ${max} (${why})`, abort: true })
    .int('must be a whole number');
}

export const durationMs = wholeUpTo(MAX_DELAY_MS, '30 days in ms');
export const durationUs = wholeUpTo(MAX_DELAY_US, '30 days in µs');
export const sliceBytes = wholeUpTo(MAX_SLICE_BYTES, '1 GiB');
export const rateKbps = wholeUpTo(MAX_RATE_KBPS, '1 TB/s');
export const dataBytes = wholeUpTo(MAX_DATA_BYTES, '2^53−1, the largest exact count');
export const probability = z
  .number('must be a number')
  .min(0, 'must be at least 0')
  .max(1, 'must be at most 1');
