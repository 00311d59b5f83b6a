// An ordered hold-and-release buffer for toxics that delay data (latency, slicer). Items leave
// in the order they came, each no earlier than its own release time, so a chunk with a short
// jitter never overtakes the one before it, as with Toxiproxy's one-chunk-at-a-time pipe.
import { createOneShot } from './one-shot.ts';
import type { Chunk, EndKind, Sink } from './types.ts';

type Item = { chunk: Chunk; end?: undefined; at: number } | { chunk?: undefined; end: EndKind; at: number };

export interface ReleaseQueue {
  /** Hold a chunk until `at` (performance.now() ms). */
  push(chunk: Chunk, at: number): void;
  /** Pass the end on once everything before it has left. */
  end(kind: EndKind): void;
  /** Release everything now, in order. */
  flush(): void;
  dispose(): void;
  /** Release time of the last item held, or of the last item released if none is held. */
  readonly lastAt: number;
  /** How many items are waiting. */
  readonly held: number;
}

/** Timers fire on whole milliseconds; treat anything due within this as due now. */
const SLACK_MS = 0.5;

export function createReleaseQueue(output: Sink): ReleaseQueue {
  const items: Item[] = [];
  let head = 0;
  const timer = createOneShot();
  let lastAt = 0;
  let disposed = false;

  const release = (): void => {
    const now = performance.now();
    while (head < items.length) {
      const item = items[head] as Item;
      if (item.at > now + SLACK_MS) break;
      head++;
      if (item.chunk !== undefined) output.push(item.chunk);
      else output.end(item.end);
      if (disposed) return;
    }
    compact();
    schedule();
  };

  const compact = (): void => {
    if (head === items.length) {
      items.length = 0;
      head = 0;
    } else if (head > 1024 && head * 2 > items.length) {
      items.splice(0, head);
      head = 0;
    }
  };

  const schedule = (): void => {
    if (timer.pending || disposed || head >= items.length) return;
    timer.arm((items[head] as Item).at - performance.now(), release);
  };

  return {
    push(chunk, at) {
      if (disposed) return;
      const when = Math.max(at, lastAt);
      lastAt = when;
      items.push({ chunk, at: when });
      schedule();
    },
    end(kind) {
      if (disposed) return;
      items.push({ end: kind, at: lastAt });
      schedule();
    },
    flush() {
      timer.cancel();
      while (head < items.length && !disposed) {
        const item = items[head++] as Item;
        if (item.chunk !== undefined) output.push(item.chunk);
        else output.end(item.end);
      }
      items.length = 0;
      head = 0;
    },
    dispose() {
      disposed = true;
      timer.cancel();
      items.length = 0;
      head = 0;
    },
    get lastAt() {
      return lastAt;
    },
    get held() {
      return items.length - head;
    },
  };
}
