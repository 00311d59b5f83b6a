// The shapes of every HTTP body and of the --config file. Unknown fields are dropped, as Go's
// decoder ignores them; wrong types are a 400 naming the field.
import { z } from 'zod';

/** Go's decoder leaves a field alone when the JSON says null; so do we, one level deep. */
export function withoutNulls(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null));
}

const toxicity = z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1');
const attributes = z.record(z.string(), z.unknown());

export const proxyBodySchema = z.object({
  name: z.string().optional(),
  listen: z.string().optional(),
  upstream: z.string().optional(),
  enabled: z.boolean().optional(),
});
export type ProxyBody = z.infer<typeof proxyBodySchema>;

export const proxyChangeSchema = z.object({
  listen: z.string().optional(),
  upstream: z.string().optional(),
  enabled: z.boolean().optional(),
});

export const populateBodySchema = z.array(z.preprocess(withoutNulls, proxyBodySchema));

export const newToxicSchema = z.object({
  name: z.string().optional(),
  type: z.string().optional(),
  stream: z.string().optional(),
  toxicity: toxicity.optional(),
  attributes: attributes.optional(),
});

export const toxicChangeSchema = z.object({
  toxicity: toxicity.optional(),
  attributes: attributes.optional(),
});

/** One proxy as `--config` and `startFaultProxy({ config })` take it: the populate format. */
export const proxyConfigSchema = z.object({
  name: z.string().min(1),
  upstream: z.string().min(1),
  listen: z.string().optional(),
  enabled: z.boolean().optional(),
});
export type ProxyConfig = z.infer<typeof proxyConfigSchema>;

export const proxyConfigFileSchema = z.array(proxyConfigSchema);
