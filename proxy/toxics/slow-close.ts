// slow_close: data passes at once; the end of the stream is held for `delay` ms.
import { z } from 'zod';
import { durationMs } from './limits.ts';
import { createOneShot } from './one-shot.ts';
import type { EndKind, ToxicDefinition } from './types.ts';

export const slowClose: ToxicDefinition = {
  type: 'slow_close',
  defaults: { delay: 0 },
  schema: z.object({ delay: durationMs }).partial(),
  create(attributes, _context, output) {
    let delay = attributes.delay ?? 0;
    const timer = createOneShot();
    let held: EndKind | undefined;
    const pass = (): void => {
      if (held === undefined) return;
      const kind = held;
      held = undefined;
      output.end(kind);
    };
    return {
      push: (chunk) => {
        if (held === undefined) output.push(chunk);
      },
      end(kind) {
        if (held !== undefined) return;
        held = kind;
        timer.arm(delay, pass);
      },
      update(next) {
        delay = next.delay ?? delay;
      },
      flush() {
        timer.cancel();
        pass();
      },
      dispose() {
        timer.cancel();
        held = undefined;
      },
    };
  },
};
