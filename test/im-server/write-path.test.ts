// The node's write-path shortcuts keep their promises: coalesced writes leave in one writev per
// turn, in order, and only after the turn; the cmid filter never says "certainly not stored"
// for a key it was given, so the dedup check it guards answers exactly as SQLite would.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createCmidFilter } from '../../im-server/cmid-filter.ts';
import { createWriteCoalescer } from '../../im-server/sessions/coalesce.ts';

function recordingSocket(): { socket: Writable; calls: string[][] } {
  const calls: string[][] = [];
  const socket = new Writable({
    writev(chunks, done) {
      calls.push(chunks.map((c) => String(c.chunk)));
      done();
    },
    write(chunk, _encoding, done) {
      calls.push([String(chunk)]);
      done();
    },
  });
  return { socket, calls };
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('createWriteCoalescer', () => {
  it('holds the writes of a turn and releases them together, in order, at its end', async () => {
    const coalescer = createWriteCoalescer();
    const a = recordingSocket();
    const b = recordingSocket();
    for (const text of ['1', '2', '3']) {
      coalescer.hold(a.socket);
      a.socket.write(text);
    }
    coalescer.hold(b.socket);
    b.socket.write('x');
    await Promise.resolve();
    expect(a.calls).toEqual([]);
    expect(b.calls).toEqual([]);
    await nextTurn();
    expect(a.calls).toEqual([['1', '2', '3']]);
    expect(b.calls).toEqual([['x']]);
  });

  it('corks again in a later turn, and flush() releases at once', async () => {
    const coalescer = createWriteCoalescer();
    const a = recordingSocket();
    coalescer.hold(a.socket);
    a.socket.write('first');
    await nextTurn();
    coalescer.hold(a.socket);
    a.socket.write('second');
    coalescer.hold(a.socket);
    a.socket.write('third');
    coalescer.flush();
    expect(a.calls).toEqual([['first'], ['second', 'third']]);
    expect(a.socket.writableCorked).toBe(0);
  });
});

describe('createCmidFilter', () => {
  it('has every key it was given, and rejects nearly all it was not', () => {
    const filter = createCmidFilter(2 ** 16);
    for (let i = 0; i < 2000; i++) filter.add(`grp${i % 50}`, `u${i % 200}`, `u${i % 200}-${i}`);
    for (let i = 0; i < 2000; i++)
      expect(filter.mayHave(`grp${i % 50}`, `u${i % 200}`, `u${i % 200}-${i}`)).toBe(true);
    let maybes = 0;
    for (let i = 2000; i < 12_000; i++)
      if (filter.mayHave(`grp${i % 50}`, `u${i % 200}`, `u${i % 200}-${i}`)) maybes++;
    expect(maybes).toBeLessThan(100);
  });

  it('tells the parts of a key apart', () => {
    const filter = createCmidFilter(2 ** 16);
    filter.add('ab', 'c', 'm');
    expect(filter.mayHave('ab', 'c', 'm')).toBe(true);
    expect(filter.mayHave('a', 'bc', 'm')).toBe(false);
  });
});
