// slicer: cuts each chunk into pieces of `average_size` ± `size_variation` bytes (the last piece
// is what remains) and waits `delay` microseconds after each piece, as Toxiproxy does.
import { z } from 'zod';
import type { Random } from '../../lib/random.ts';
import { durationUs, sliceBytes } from './limits.ts';
import { createReleaseQueue } from './release-queue.ts';
import type { ToxicDefinition } from './types.ts';

/** Piece sizes for `length` bytes; every size is at least 1 and they add up to `length`. */
export function sliceSizes(length: number, average: number, variation: number, random: Random): number[] {
  const sizes: number[] = [];
  let left = length;
  while (left > 0) {
    const size = variation > 0 ? average + random.int(-variation, variation) : average;
    const take = Math.min(left, Math.max(1, size));
    sizes.push(take);
    left -= take;
  }
  return sizes;
}

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
    const queue = createReleaseQueue(output);
    // When the next piece may leave: the previous piece's time plus the delay.
    let nextAt = 0;
    return {
      push(chunk) {
        const sizes = sliceSizes(chunk.data.length, average, variation, context.random);
        const now = performance.now();
        let offset = 0;
        for (const size of sizes) {
          const piece = { data: chunk.data.subarray(offset, offset + size), time: chunk.time };
          offset += size;
          const at = Math.max(now, nextAt);
          nextAt = at + delayMs;
          if (queue.held === 0 && at <= now) output.push(piece);
          else queue.push(piece, at);
        }
      },
      end: queue.end,
      update(next) {
        average = Math.max(1, next.average_size ?? average);
        variation = next.size_variation ?? variation;
        delayMs = (next.delay ?? delayMs * 1000) / 1000;
      },
      flush: queue.flush,
      dispose: queue.dispose,
    };
  },
};
