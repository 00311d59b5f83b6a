// limit_time (chatquake): closes the connection `time` ms after it was accepted. Added to
// connections already older than that, it closes them at once. Data passes untouched until then.
import { z } from 'zod';
import { durationMs } from './limits.ts';
import { createOneShot } from './one-shot.ts';
import type { ToxicDefinition } from './types.ts';

export const limitTime: ToxicDefinition = {
  type: 'limit_time',
  defaults: { time: 0 },
  schema: z.object({ time: durationMs }).partial(),
  create(attributes, context, output) {
    const timer = createOneShot();
    let ended = false;
    const close = (): void => {
      if (ended) return;
      ended = true;
      output.end('close');
    };
    const arm = (time: number): void => {
      // A timer, even for 0, so the stage is wired in before it ends the stream.
      timer.arm(context.openedAt + time - performance.now(), close);
    };
    arm(attributes.time ?? 0);
    return {
      push(chunk) {
        if (ended) context.dropped(chunk.data.length);
        else output.push(chunk);
      },
      end(kind) {
        if (ended) return;
        ended = true;
        timer.cancel();
        output.end(kind);
      },
      update(next) {
        if (!ended) arm(next.time ?? 0);
      },
      flush: timer.cancel,
      dispose: timer.cancel,
    };
  },
};
