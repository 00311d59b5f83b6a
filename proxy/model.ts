// The data the API shows and the links act on. Plain records; proxy.ts and link.ts change them.
import type { Attributes, ToxicDefinition } from './toxics/types.ts';

/** `upstream` is client → server, `downstream` is server → client. */
export type Direction = 'upstream' | 'downstream';
export const directions: readonly Direction[] = ['upstream', 'downstream'];

export interface ToxicState {
  name: string;
  type: string;
  /** The stream as the request spelled it (Toxiproxy echoes "UpStream" back as sent). */
  stream: string;
  direction: Direction;
  /** Probability that the toxic applies to a given connection, drawn once per connection. */
  toxicity: number;
  attributes: Attributes;
  definition: ToxicDefinition;
}

export interface ToxicView {
  name: string;
  type: string;
  stream: string;
  toxicity: number;
  attributes: Attributes;
}

export interface ProxyView {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: ToxicView[];
}

export function toxicView(toxic: ToxicState): ToxicView {
  return {
    name: toxic.name,
    type: toxic.type,
    stream: toxic.stream,
    toxicity: toxic.toxicity,
    attributes: { ...toxic.attributes },
  };
}
