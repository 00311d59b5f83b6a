// reset_peer: the first data (or end) in this direction is swallowed and, `timeout` ms later,
// both sockets are reset with an RST (SO_LINGER 0), so peers see ECONNRESET, not a clean EOF.
import { z } from 'zod';
import type { ToxicDefinition } from './types.ts';

export const resetPeer: ToxicDefinition = {
  type: 'reset_peer',
  defaults: { timeout: 0 },
  schema: z.object({ timeout: z.number().int().min(0) }).partial(),
  create(attributes, context, output) {
    let wait = attributes.timeout ?? 0;
    let timer: NodeJS.Timeout | undefined;
    let triggered = false;
    const trigger = (): void => {
      if (triggered) return;
      triggered = true;
      timer = setTimeout(() => {
        timer = undefined;
        output.end('reset');
      }, wait);
    };
    return {
      push(chunk) {
        context.dropped(chunk.data.length);
        trigger();
      },
      end() {
        trigger();
      },
      update(next) {
        wait = next.timeout ?? wait;
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
