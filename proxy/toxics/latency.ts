// latency: every chunk waits `latency` ± `jitter` ms, measured from when it entered the chain;
// order is kept, so a chunk drawn a short delay waits for the one before it.
import { z } from 'zod';
import { durationMs } from './limits.ts';
import { createReleaseQueue } from './release-queue.ts';
import type { ToxicDefinition } from './types.ts';

export const latency: ToxicDefinition = {
  type: 'latency',
  defaults: { latency: 0, jitter: 0 },
  schema: z.object({ latency: durationMs, jitter: durationMs }).partial(),
  create(attributes, context, output) {
    let { latency: base = 0, jitter = 0 } = attributes;
    const queue = createReleaseQueue(output);
    const delay = (): number => (jitter > 0 ? Math.max(0, base + context.random.int(-jitter, jitter)) : base);
    return {
      push(chunk) {
        const at = chunk.time + delay();
        // The next toxic measures its own delay from when this one let the chunk go.
        const delayed = { data: chunk.data, time: at };
        if (queue.held === 0 && at <= performance.now()) output.push(delayed);
        else queue.push(delayed, at);
      },
      end: queue.end,
      update(next) {
        base = next.latency ?? base;
        jitter = next.jitter ?? jitter;
      },
      flush: queue.flush,
      dispose: queue.dispose,
    };
  },
};
