// The toxic table: type name → definition. Adding a toxic is one module and one line here.
import { bandwidth } from './bandwidth.ts';
import { drop } from './drop.ts';
import { latency } from './latency.ts';
import { limitData } from './limit-data.ts';
import { limitTime } from './limit-time.ts';
import { noop } from './noop.ts';
import { resetPeer } from './reset-peer.ts';
import { slicer } from './slicer.ts';
import { slowClose } from './slow-close.ts';
import { timeout } from './timeout.ts';
import type { ToxicDefinition } from './types.ts';

export const toxicTypes: ReadonlyMap<string, ToxicDefinition> = new Map(
  [latency, bandwidth, slowClose, timeout, resetPeer, slicer, limitData, noop, limitTime, drop].map(
    (definition) => [definition.type, definition],
  ),
);

export type { Attributes, Chunk, EndKind, Sink, Stage, StageContext, ToxicDefinition } from './types.ts';
