// limit_data: lets `bytes` bytes through in this direction, then closes the connection. The
// count survives a PATCH, so lowering the limit below what already passed closes on next data.
import { z } from 'zod';
import { dataBytes } from './limits.ts';
import type { ToxicDefinition } from './types.ts';

export const limitData: ToxicDefinition = {
  type: 'limit_data',
  defaults: { bytes: 0 },
  schema: z.object({ bytes: dataBytes }).partial(),
  create(attributes, context, output) {
    let limit = attributes.bytes ?? 0;
    let passed = 0;
    let ended = false;
    return {
      push(chunk) {
        if (ended) {
          context.dropped(chunk.data.length);
          return;
        }
        const room = Math.max(0, limit - passed);
        let data = chunk.data;
        if (data.length > room) {
          context.dropped(data.length - room);
          data = data.subarray(0, room);
        }
        if (data.length > 0) {
          passed += data.length;
          output.push(data === chunk.data ? chunk : { data, time: chunk.time });
        }
        if (passed >= limit) {
          ended = true;
          output.end('close');
        }
      },
      end(kind) {
        if (ended) return;
        ended = true;
        output.end(kind);
      },
      update(next) {
        limit = next.bytes ?? limit;
      },
      flush() {},
      dispose() {},
    };
  },
};
