// limit_time (chatquake): closes the connection `time` ms after it was accepted. Added to
// connections already older than that, it closes them at once. Data passes untouched until then.
import { z } from 'zod';
import type { ToxicDefinition } from './types.ts';

export const limitTime: ToxicDefinition = {
  type: 'limit_time',
  defaults: { time: 0 },
  schema: z.object({ time: z.number().int().min(0) }).partial(),
  create(attributes, context, output) {
    let timer: NodeJS.Timeout | undefined;
    let ended = false;
    const close = (): void => {
      timer = undefined;
      if (ended) return;
      ended = true;
      output.end('close');
    };
    const arm = (time: number): void => {
      if (timer !== undefined) clearTimeout(timer);
      // A timer, even for 0, so the stage is wired in before it ends the stream.
      timer = setTimeout(close, Math.max(0, context.openedAt + time - performance.now()));
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
        if (timer !== undefined) clearTimeout(timer);
        output.end(kind);
      },
      update(next) {
        if (!ended) arm(next.time ?? 0);
      },
      flush() {
        if (timer !== undefined) clearTimeout(timer);
        timer = undefined;
      },
      dispose() {
        if (timer !== undefined) clearTimeout(timer);
        timer = undefined;
      },
    };
  },
};
