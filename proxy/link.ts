// One direction of one connection: bytes read from `source` go through this connection's share
// of the toxic chain and are written to `dest`. With no toxic applied, data goes straight from
// the read to the write, with stream.pipe's backpressure and two counter additions per chunk.
// Toxics come and go while the connection is open; a stage that leaves hands what it held to
// the next one, so nothing is reordered and nothing is lost unless a toxic meant to lose it.
import type { Socket } from 'node:net';
import type { Random } from '../lib/random.ts';
import type { LinkCounters } from './metrics.ts';
import type { Direction, ToxicState } from './model.ts';
import type { EndKind, Sink, Stage, StageContext } from './toxics/types.ts';

/**
 * Bytes a link whose toxics hold data may hold (in toxics plus the socket's write buffer) before
 * it stops reading. While no toxic holds anything the link reads only while the destination's
 * write buffer is under its own high-water mark, as stream.pipe does: holding more there only
 * costs memory and copies.
 */
const HIGH_WATER = 1024 * 1024;
const LOW_WATER = 256 * 1024;

export interface ToxicDraw {
  /** Uniform in [0, 1): the toxic applies to this connection while chance < toxicity. */
  chance: number;
  random: Random;
}

export interface LinkOptions {
  direction: Direction;
  source: Socket;
  dest: Socket;
  /** Toxics on this direction when the connection opens, in chain order. */
  toxics: readonly ToxicState[];
  openedAt: number;
  counters: LinkCounters;
  /** This connection's draw for a toxic; the same toxic name always gets the same draw. */
  draw(toxic: ToxicState): ToxicDraw;
  /** A toxic became active on this connection for the first time. */
  applied(toxic: ToxicState): void;
  /** Everything before the end has been written to `dest`; the connection decides the rest. */
  ended(kind: EndKind): void;
}

export interface Link {
  readonly direction: Direction;
  added(toxic: ToxicState): void;
  updated(toxic: ToxicState): void;
  removed(toxic: ToxicState): void;
  /** The source is finished (FIN, error or closed): send an end through the chain. */
  endInput(): void;
  /** The destination is gone: stop, dispose every stage, drop whatever arrives. */
  abort(): void;
  /** How many toxics are active on this link now (for tests and introspection). */
  activeToxics(): string[];
}

interface Entry {
  toxic: ToxicState;
  draw: ToxicDraw;
  stage: Stage | undefined;
  /** Where the stage's output goes; rewired as stages come and go. */
  port: { target: Sink };
  counted: boolean;
}

export function createLink(options: LinkOptions): Link {
  const { source, dest, counters } = options;
  const entries: Entry[] = [];
  let received = 0;
  let sent = 0;
  let dropped = 0;
  let paused = false;
  let inputEnded = false;
  let outputEnded = false;
  let aborted = false;

  const held = (): number => received - sent - dropped + dest.writableLength;

  const resumeIfRoom = (): void => {
    if (paused && !aborted && held() <= LOW_WATER) {
      paused = false;
      source.resume();
    }
  };

  const discard = (bytes: number): void => {
    dropped += bytes;
    counters.dropped += bytes;
    resumeIfRoom();
  };

  /** Writes to `dest`; false when its buffer is past its high-water mark (as stream.write). */
  const write = (data: Buffer): boolean => {
    if (outputEnded || aborted || dest.destroyed || dest.writableEnded) {
      discard(data.length);
      return true;
    }
    sent += data.length;
    counters.sent += data.length;
    const room = dest.write(data);
    if (paused) resumeIfRoom();
    return room;
  };

  const pause = (): void => {
    paused = true;
    source.pause();
  };

  const sink: Sink = {
    push: (chunk) => write(chunk.data),
    end(kind) {
      if (outputEnded || aborted) return;
      outputEnded = true;
      options.ended(kind);
    },
  };
  let head: Sink = sink;

  const rewire = (): void => {
    let next: Sink = sink;
    for (let i = entries.length - 1; i >= 0; i--) {
      const entry = entries[i] as Entry;
      if (entry.stage === undefined) continue;
      entry.port.target = next;
      next = entry.stage;
    }
    head = next;
  };

  const activate = (entry: Entry): void => {
    const port = entry.port;
    const output: Sink = {
      push: (chunk) => port.target.push(chunk),
      end: (kind) => port.target.end(kind),
    };
    const context: StageContext = { random: entry.draw.random, openedAt: options.openedAt, dropped: discard };
    entry.stage = entry.toxic.definition.create({ ...entry.toxic.attributes }, context, output);
    if (!entry.counted) {
      entry.counted = true;
      options.applied(entry.toxic);
    }
  };

  const deactivate = (entry: Entry, closing: boolean): void => {
    const stage = entry.stage;
    if (stage === undefined) return;
    entry.stage = undefined;
    // The stage's output still points at the next stage: what it held goes there, in order.
    stage.flush();
    stage.dispose();
    if (closing) entry.port.target.end('close');
  };

  const live = (): boolean => !aborted && !outputEnded;

  const onData = (data: Buffer): void => {
    if (aborted) return;
    received += data.length;
    counters.received += data.length;
    if (inputEnded) {
      discard(data.length);
      return;
    }
    if (head === sink) {
      // No toxic: exactly stream.pipe, read only while the destination takes it.
      if (!write(data) && !paused) pause();
      return;
    }
    head.push({ data, time: performance.now() });
    // Toxics that let everything through at once (noop, or a latency of 0) hold nothing: then
    // the destination's own high-water mark decides, as with no toxic.
    if (!paused && (held() > HIGH_WATER || (received === sent + dropped && dest.writableNeedDrain))) pause();
  };

  const link: Link = {
    direction: options.direction,
    added(toxic) {
      if (!live()) return;
      const entry: Entry = {
        toxic,
        draw: options.draw(toxic),
        stage: undefined,
        port: { target: sink },
        counted: false,
      };
      entries.push(entry);
      if (entry.draw.chance < toxic.toxicity) activate(entry);
      rewire();
    },
    updated(toxic) {
      const entry = entries.find((e) => e.toxic === toxic);
      if (entry === undefined || !live()) return;
      const applies = entry.draw.chance < toxic.toxicity;
      if (entry.stage !== undefined && applies) entry.stage.update({ ...toxic.attributes });
      else if (entry.stage !== undefined) deactivate(entry, false);
      else if (applies) activate(entry);
      rewire();
    },
    removed(toxic) {
      const index = entries.findIndex((e) => e.toxic === toxic);
      if (index < 0) return;
      const entry = entries[index] as Entry;
      if (live()) deactivate(entry, toxic.definition.closesOnRemove === true);
      else entry.stage?.dispose();
      entries.splice(entries.indexOf(entry), 1);
      rewire();
    },
    endInput() {
      if (inputEnded || aborted) return;
      inputEnded = true;
      head.end('eof');
    },
    abort() {
      if (aborted) return;
      aborted = true;
      for (const entry of entries) {
        entry.stage?.dispose();
        entry.stage = undefined;
      }
      head = sink;
      source.off('data', onData);
      // Keep reading into the void: unread bytes would turn the coming close into an RST.
      if (paused) source.resume();
      dest.off('drain', resumeIfRoom);
    },
    activeToxics: () => entries.filter((e) => e.stage !== undefined).map((e) => e.toxic.name),
  };

  source.on('data', onData);
  source.on('end', () => link.endInput());
  dest.on('drain', resumeIfRoom);
  for (const toxic of options.toxics) link.added(toxic);
  return link;
}
