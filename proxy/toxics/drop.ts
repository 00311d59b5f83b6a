// drop (chatquake): discards whole chunks, each with `probability`. This is stream corruption,
// not packet loss: TCP has already acknowledged the bytes, so the receiver sees a byte stream
// with holes in it (garbled frames), never a retransmission delay. Use latency or timeout for
// a lossy or dead link.
import { z } from 'zod';
import { probability } from './limits.ts';
import type { ToxicDefinition } from './types.ts';

export const drop: ToxicDefinition = {
  type: 'drop',
  defaults: { probability: 1 },
  schema: z.object({ probability }).partial(),
  create(attributes, context, output) {
    let probability = attributes.probability ?? 1;
    return {
      push(chunk) {
        if (context.random.chance(probability)) context.dropped(chunk.data.length);
        else output.push(chunk);
      },
      end: (kind) => output.end(kind),
      update(next) {
        probability = next.probability ?? probability;
      },
      flush() {},
      dispose() {},
    };
  },
};
