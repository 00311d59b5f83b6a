// A link's backpressure, without sockets: with no toxic, or toxics that hold nothing, it reads
// only while the destination takes data, as stream.pipe does (the proxy holds no more than a
// bare pipe); while a toxic holds data it may hold up to its own budget, and either way it reads
// again once the data is gone. Counters see every byte.
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createRandom } from '../../lib/random.ts';
import { createLink, type Link } from '../../proxy/link.ts';
import type { LinkCounters } from '../../proxy/metrics.ts';
import type { ToxicState } from '../../proxy/model.ts';
import { toxicTypes } from '../../proxy/toxics/index.ts';

/** Node's default write high-water mark for a socket. */
const SOCKET_HIGH_WATER = 16 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 'x');

interface FakeSource extends EventEmitter {
  paused: boolean;
  pause(): void;
  resume(): void;
}

interface FakeDest extends EventEmitter {
  destroyed: boolean;
  writableEnded: boolean;
  writableLength: number;
  readonly writableNeedDrain: boolean;
  written: number;
  write(data: Buffer): boolean;
  /** The kernel took everything: empty the buffer and emit 'drain'. */
  drainAll(): void;
}

function fakeSource(): FakeSource {
  const source = new EventEmitter() as FakeSource;
  source.paused = false;
  source.pause = () => {
    source.paused = true;
  };
  source.resume = () => {
    source.paused = false;
  };
  return source;
}

function fakeDest(): FakeDest {
  const dest = new EventEmitter() as FakeDest;
  dest.destroyed = false;
  dest.writableEnded = false;
  dest.writableLength = 0;
  Object.defineProperty(dest, 'writableNeedDrain', { get: () => dest.writableLength >= SOCKET_HIGH_WATER });
  dest.written = 0;
  dest.write = (data) => {
    dest.written += data.length;
    dest.writableLength += data.length;
    return dest.writableLength < SOCKET_HIGH_WATER;
  };
  dest.drainAll = () => {
    dest.writableLength = 0;
    dest.emit('drain');
  };
  return dest;
}

function noopToxic(): ToxicState {
  const definition = toxicTypes.get('noop');
  if (definition === undefined) throw new Error('no noop toxic');
  return {
    name: 'noop_downstream',
    type: 'noop',
    stream: 'downstream',
    direction: 'downstream',
    toxicity: 1,
    attributes: {},
    definition,
  };
}

function link(toxics: readonly ToxicState[]): {
  source: FakeSource;
  dest: FakeDest;
  counters: LinkCounters;
  link: Link;
} {
  const source = fakeSource();
  const dest = fakeDest();
  const counters: LinkCounters = { received: 0, sent: 0, dropped: 0 };
  const created = createLink({
    direction: 'downstream',
    source: source as unknown as Socket,
    dest: dest as unknown as Socket,
    toxics,
    openedAt: performance.now(),
    counters,
    draw: () => ({ chance: 0, random: createRandom(1) }),
    applied: () => {},
    ended: () => {},
  });
  return { source, dest, counters, link: created };
}

/** Emits chunks while the source reads, up to `max`; returns how many it took. */
function feed(source: FakeSource, max: number): number {
  let n = 0;
  while (n < max && !source.paused) {
    source.emit('data', CHUNK);
    n++;
  }
  return n;
}

describe('link backpressure', () => {
  it('with no toxic, stops reading as soon as the destination is past its high-water mark', () => {
    const { source, dest, counters } = link([]);
    expect(feed(source, 100)).toBe(1);
    expect(dest.writableLength).toBe(CHUNK.length);
    dest.drainAll();
    expect(source.paused).toBe(false);
    expect(feed(source, 100)).toBe(1);
    expect(counters).toEqual({ received: 2 * CHUNK.length, sent: 2 * CHUNK.length, dropped: 0 });
  });

  it('with a noop toxic, which holds nothing, stops reading as with no toxic', () => {
    const { source, dest, counters, link: created } = link([noopToxic()]);
    expect(created.activeToxics()).toEqual(['noop_downstream']);
    expect(feed(source, 100)).toBe(1);
    dest.drainAll();
    expect(source.paused).toBe(false);
    expect(feed(source, 100)).toBe(1);
    expect(counters.sent).toBe(2 * CHUNK.length);
  });

  it('with a toxic holding data, reads up to its budget, then again once the toxic lets go', () => {
    const definition = toxicTypes.get('latency');
    if (definition === undefined) throw new Error('no latency toxic');
    const latency: ToxicState = {
      ...noopToxic(),
      name: 'latency_downstream',
      type: 'latency',
      attributes: { ...definition.defaults, latency: 60_000 },
      definition,
    };
    const { source, dest, link: created } = link([latency]);
    // 1 MiB of budget in 64 KiB chunks: it pauses on the chunk that goes past it.
    expect(feed(source, 100)).toBe(17);
    expect(dest.written).toBe(0);
    created.removed(latency);
    expect(dest.written).toBe(17 * CHUNK.length);
    dest.drainAll();
    expect(source.paused).toBe(false);
  });

  it('after its toxic is removed, a link falls back to reading only while the destination takes it', () => {
    const toxic = noopToxic();
    const { source, dest, link: created } = link([toxic]);
    created.removed(toxic);
    expect(created.activeToxics()).toEqual([]);
    expect(feed(source, 100)).toBe(1);
    dest.drainAll();
    expect(source.paused).toBe(false);
  });
});
