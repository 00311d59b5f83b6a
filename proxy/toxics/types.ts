// The contract between a connection's link and the toxics on it. A toxic is a stage: it takes
// chunks and an end marker from the stage before it and hands what it lets through, when it
// decides, to the stage after it. The link owns the wiring; a stage only knows its output.
import type { z } from 'zod';
import type { Random } from '../../lib/random.ts';

/** A piece of the byte stream. `time` is Toxiproxy's chunk timestamp, in performance.now() ms. */
export interface Chunk {
  data: Buffer;
  time: number;
}

/**
 * How a direction ends. `eof`: the source half-closed, pass it on as a half-close.
 * `close`: a toxic closes the connection (both sockets, gracefully). `reset`: RST both sockets.
 */
export type EndKind = 'eof' | 'close' | 'reset';

export interface Sink {
  push(chunk: Chunk): void;
  end(kind: EndKind): void;
}

/** Toxic attributes are flat integer-or-number fields, as in Toxiproxy's Go structs. */
export type Attributes = Record<string, number>;

export interface StageContext {
  /** This connection's and this toxic's own random stream: jitter, slice sizes, drops. */
  random: Random;
  /** When the connection was accepted, in performance.now() ms. */
  openedAt: number;
  /** Report bytes a toxic discarded, so backpressure and metrics stay right. */
  dropped(bytes: number): void;
}

export interface Stage extends Sink {
  /** New attributes from a PATCH; state such as bytes already passed is kept. */
  update(attributes: Attributes): void;
  /** The toxic leaves this connection: hand every held chunk (and end) to the output now. */
  flush(): void;
  /** The connection is gone: cancel timers, forget held data. */
  dispose(): void;
}

export interface ToxicDefinition {
  type: string;
  /** Every attribute with its value when the request does not send it. */
  defaults: Attributes;
  /** Known attributes only, each optional; unknown keys are stripped, as Toxiproxy ignores them. */
  schema: z.ZodType<Partial<Attributes>>;
  /** A check across fields after merging; returns the message for a 400, or undefined. */
  check?(attributes: Attributes): string | undefined;
  /** Removing this toxic closes the connections it was applied to (Toxiproxy's timeout cleanup). */
  closesOnRemove?: boolean;
  create(attributes: Attributes, context: StageContext, output: Sink): Stage;
}
