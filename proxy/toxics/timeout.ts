// timeout: nothing gets through; the connection closes `timeout` ms after the toxic starts on
// it, or never when the timeout is 0 (a blackhole). Removing the toxic closes what it held.
import { z } from 'zod';
import { durationMs } from './limits.ts';
import { createOneShot } from './one-shot.ts';
import type { ToxicDefinition } from './types.ts';

export const timeout: ToxicDefinition = {
  type: 'timeout',
  defaults: { timeout: 0 },
  schema: z.object({ timeout: durationMs }).partial(),
  closesOnRemove: true,
  create(attributes, context, output) {
    const timer = createOneShot();
    let ended = false;
    const arm = (ms: number): void => {
      timer.cancel();
      if (ms > 0 && !ended) {
        timer.arm(ms, () => {
          ended = true;
          output.end('close');
        });
      }
    };
    arm(attributes.timeout ?? 0);
    return {
      push(chunk) {
        context.dropped(chunk.data.length);
      },
      end(kind) {
        if (ended) return;
        ended = true;
        timer.cancel();
        output.end(kind);
      },
      // As in Toxiproxy, a changed toxic starts over: the clock restarts from the update.
      update(next) {
        arm(next.timeout ?? 0);
      },
      flush: timer.cancel,
      dispose: timer.cancel,
    };
  },
};
