// slicer: cuts each chunk into pieces of `average_size` ± `size_variation` bytes (the last piece
// is what remains) and waits `delay` microseconds after each piece, as Toxiproxy does. Held
// data stays whole chunks and is cut as it leaves: cut up front, 1 MiB of 1-byte pieces would
// be a million queued objects (over 200 MB) for one connection.
import { z } from 'zod';
import type { Random } from '../../lib/random.ts';
import { durationUs, sliceBytes } from './limits.ts';
import { createOneShot } from './one-shot.ts';
import type { Chunk, EndKind, ToxicDefinition } from './types.ts';

/** Timers fire on whole milliseconds; treat anything due within this as due now. */
const SLACK_MS = 0.5;

/** The size of the next piece when `left` bytes remain: at least 1, at most `left`. */
export function pieceSize(left: number, average: number, variation: number, random: Random): number {
  const size = variation > 0 ? average + random.int(-variation, variation) : average;
  return Math.min(left, Math.max(1, size));
}

/** Piece sizes for `length` bytes; every size is at least 1 and they add up to `length`. */
export function sliceSizes(length: number, average: number, variation: number, random: Random): number[] {
  const sizes: number[] = [];
  for (let left = length; left > 0; ) {
    const take = pieceSize(left, average, variation, random);
    sizes.push(take);
    left -= take;
  }
  return sizes;
}

type Held = { chunk: Chunk; arrived: number; end?: undefined } | { end: EndKind };

export const slicer: ToxicDefinition = {
  type: 'slicer',
  defaults: { average_size: 0, size_variation: 0, delay: 0 },
  schema: z.object({ average_size: sliceBytes, size_variation: sliceBytes, delay: durationUs }).partial(),
  check: (attributes) =>
    (attributes.average_size ?? 0) < 1 ? 'attributes.average_size: must be at least 1' : undefined,
  create(attributes, context, output) {
    let average = attributes.average_size ?? 1;
    let variation = attributes.size_variation ?? 0;
    let delayMs = (attributes.delay ?? 0) / 1000;
    const held: Held[] = [];
    const timer = createOneShot();
    // When the next piece may leave: the previous piece's scheduled time plus the delay.
    let nextAt = 0;
    let disposed = false;

    // Lets every piece that is due go, in order, then waits for the next one.
    const pump = (): void => {
      while (held.length > 0 && !disposed) {
        const item = held[0] as Held;
        if (item.end !== undefined) {
          held.shift();
          output.end(item.end);
          continue;
        }
        const at = Math.max(item.arrived, nextAt);
        const now = performance.now();
        if (at > now + SLACK_MS) {
          timer.arm(at - now, pump);
          return;
        }
        const data = item.chunk.data;
        const size = pieceSize(data.length, average, variation, context.random);
        nextAt = at + delayMs;
        if (size === data.length) held.shift();
        else item.chunk = { data: data.subarray(size), time: item.chunk.time };
        output.push({ data: data.subarray(0, size), time: item.chunk.time });
      }
    };
    const wake = (): void => {
      if (!timer.pending) pump();
    };

    return {
      push(chunk) {
        if (disposed) return;
        held.push({ chunk, arrived: performance.now() });
        wake();
      },
      end(kind) {
        if (disposed) return;
        held.push({ end: kind });
        wake();
      },
      update(next) {
        average = Math.max(1, next.average_size ?? average);
        variation = next.size_variation ?? variation;
        delayMs = (next.delay ?? delayMs * 1000) / 1000;
      },
      // The toxic leaves: what it holds goes on at once, uncut, in order.
      flush() {
        timer.cancel();
        while (held.length > 0 && !disposed) {
          const item = held.shift() as Held;
          if (item.end !== undefined) output.end(item.end);
          else output.push(item.chunk);
        }
      },
      dispose() {
        disposed = true;
        timer.cancel();
        held.length = 0;
      },
    };
  },
};
