// bandwidth: caps this direction at `rate` KB/s (1 KB = 1000 bytes, so `rate` is also bytes
// per millisecond). Big chunks leave in pieces of at most 100 ms worth, like Toxiproxy. A rate
// of 0 lets nothing through until the toxic changes or goes, as in Toxiproxy.
import { z } from 'zod';
import { rateKbps } from './limits.ts';
import { createOneShot } from './one-shot.ts';
import type { Chunk, EndKind, ToxicDefinition } from './types.ts';

type Item = { chunk: Chunk; arrived: number; end?: undefined } | { end: EndKind };

const SLACK_MS = 0.5;
const PIECE_MS = 100;

export const bandwidth: ToxicDefinition = {
  type: 'bandwidth',
  defaults: { rate: 0 },
  schema: z.object({ rate: rateKbps }).partial(),
  create(attributes, _context, output) {
    let rate = attributes.rate ?? 0;
    const items: Item[] = [];
    let head = 0;
    // When the wire is free again: the send time of everything released so far. Scheduled,
    // not observed, times, so a late timer is made up for and the average rate holds.
    let busyUntil = 0;
    const timer = createOneShot();
    let disposed = false;

    const step = (): void => {
      while (head < items.length && !disposed) {
        const item = items[head] as Item;
        if (item.end !== undefined) {
          head++;
          output.end(item.end);
          continue;
        }
        if (rate <= 0) break;
        const data = item.chunk.data;
        const piece = Math.min(data.length, rate * PIECE_MS);
        const at = Math.max(busyUntil, item.arrived) + piece / rate;
        const now = performance.now();
        if (at > now + SLACK_MS) {
          timer.arm(at - now, step);
          return;
        }
        busyUntil = at;
        if (piece === data.length) {
          head++;
          output.push(item.chunk);
        } else {
          output.push({ data: data.subarray(0, piece), time: item.chunk.time });
          item.chunk = { data: data.subarray(piece), time: item.chunk.time };
        }
      }
      if (head === items.length) {
        items.length = 0;
        head = 0;
      }
    };
    const wake = (): void => {
      if (!timer.pending) step();
    };

    return {
      push(chunk) {
        if (disposed) return;
        items.push({ chunk, arrived: performance.now() });
        wake();
      },
      end(kind) {
        if (disposed) return;
        items.push({ end: kind });
        wake();
      },
      update(next) {
        rate = next.rate ?? rate;
        timer.cancel();
        step();
      },
      flush() {
        timer.cancel();
        while (head < items.length && !disposed) {
          const item = items[head++] as Item;
          if (item.end !== undefined) output.end(item.end);
          else output.push(item.chunk);
        }
        items.length = 0;
        head = 0;
      },
      dispose() {
        disposed = true;
        timer.cancel();
        items.length = 0;
      },
    };
  },
};
