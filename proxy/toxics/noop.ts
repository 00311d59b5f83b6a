// noop: accepted and listed like any toxic, passes everything through untouched.
import { z } from 'zod';
import type { ToxicDefinition } from './types.ts';

export const noop: ToxicDefinition = {
  type: 'noop',
  defaults: {},
  schema: z.object({}),
  create(_attributes, _context, output) {
    return {
      push: (chunk) => output.push(chunk),
      end: (kind) => output.end(kind),
      update() {},
      flush() {},
      dispose() {},
    };
  },
};
