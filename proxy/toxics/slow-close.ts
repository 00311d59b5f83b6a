// slow_close: data passes at once; the end of the stream is held for `delay` ms.
import { z } from 'zod';
import type { EndKind, ToxicDefinition } from './types.ts';

export const slowClose: ToxicDefinition = {
  type: 'slow_close',
  defaults: { delay: 0 },
  schema: z.object({ delay: z.number().int().min(0) }).partial(),
  create(attributes, _context, output) {
    let delay = attributes.delay ?? 0;
    let timer: NodeJS.Timeout | undefined;
    let held: EndKind | undefined;
    const pass = (): void => {
      timer = undefined;
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
        timer = setTimeout(pass, delay);
      },
      update(next) {
        delay = next.delay ?? delay;
      },
      flush() {
        if (timer !== undefined) clearTimeout(timer);
        pass();
      },
      dispose() {
        if (timer !== undefined) clearTimeout(timer);
        timer = undefined;
        held = undefined;
      },
    };
  },
};
