// reset_peer: the first data (or end) in this direction is swallowed and, `timeout` ms later,
// both sockets are reset with an RST (SO_LINGER 0), so peers see ECONNRESET, not a clean EOF.
import { z } from 'zod';
import { durationMs } from './limits.ts';
import { createOneShot } from './one-shot.ts';
import type { ToxicDefinition } from './types.ts';

export const resetPeer: ToxicDefinition = {
  type: 'reset_peer',
  defaults: { timeout: 0 },
  schema: z.object({ timeout: durationMs }).partial(),
  create(attributes, context, output) {
    let wait = attributes.timeout ?? 0;
    const timer = createOneShot();
    let triggered = false;
    const trigger = (): void => {
      if (triggered) return;
      triggered = true;
      timer.arm(wait, () => output.end('reset'));
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
      flush: timer.cancel,
      dispose: timer.cancel,
    };
  },
};
