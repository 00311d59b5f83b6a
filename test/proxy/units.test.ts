// Unit tests for the fault proxy's pure parts: addresses, toxic stages, the toxic collection's
// request semantics and the metrics text. The TCP behaviour is in the *.int.test.ts files.
import { describe, expect, it } from 'vitest';
import { createRandom } from '../../lib/random.ts';
import { formatHostPort, parseHostPort, resolveListen } from '../../proxy/address.ts';
import { ApiError } from '../../proxy/errors.ts';
import { createMetrics } from '../../proxy/metrics.ts';
import type { ToxicState } from '../../proxy/model.ts';
import { createToxicCollection } from '../../proxy/toxic-collection.ts';
import { toxicTypes } from '../../proxy/toxics/index.ts';
import { sliceSizes } from '../../proxy/toxics/slicer.ts';
import type { Chunk, EndKind, Sink, StageContext } from '../../proxy/toxics/types.ts';

describe('addresses', () => {
  it('parses host:port, bracketed IPv6 and a missing host', () => {
    expect(parseHostPort('127.0.0.1:8474')).toEqual({ host: '127.0.0.1', port: 8474 });
    expect(parseHostPort('[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(parseHostPort(':26379')).toEqual({ host: '', port: 26379 });
    expect(parseHostPort('localhost:0')).toEqual({ host: 'localhost', port: 0 });
  });

  it('names what is wrong with a bad address', () => {
    expect(parseHostPort('nocolon')).toMatch(/not host:port/);
    expect(parseHostPort('host:http')).toMatch(/no valid port/);
    expect(parseHostPort('host:70000')).toMatch(/above 65535/);
    expect(parseHostPort('::1:80')).toMatch(/brackets/);
  });

  it('pins localhost and fills a missing host', () => {
    expect(resolveListen({ host: 'localhost', port: 0 }, '10.0.0.1')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(resolveListen({ host: '', port: 5 }, '127.0.0.2')).toEqual({ host: '127.0.0.2', port: 5 });
    expect(formatHostPort('::1', 9)).toBe('[::1]:9');
  });
});

function collect(): Sink & { chunks: string[]; ends: EndKind[] } {
  const chunks: string[] = [];
  const ends: EndKind[] = [];
  return {
    chunks,
    ends,
    push: (c: Chunk) => chunks.push(c.data.toString()),
    end: (k: EndKind) => ends.push(k),
  };
}

function context(seed = 1): StageContext & { droppedBytes: number } {
  const ctx = {
    random: createRandom(seed),
    openedAt: performance.now(),
    droppedBytes: 0,
    dropped(bytes: number) {
      ctx.droppedBytes += bytes;
    },
  };
  return ctx;
}

function stage(type: string, attributes: Record<string, number>, output: Sink, ctx = context()) {
  const definition = toxicTypes.get(type);
  if (definition === undefined) throw new Error(type);
  return definition.create({ ...definition.defaults, ...attributes }, ctx, output);
}

const chunk = (text: string): Chunk => ({ data: Buffer.from(text), time: performance.now() });

describe('toxic stages', () => {
  it('slicer sizes add up, stay within the variation and repeat for a seed', () => {
    const sizes = sliceSizes(10_000, 100, 20, createRandom(5));
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(10_000);
    for (const size of sizes.slice(0, -1)) {
      expect(size).toBeGreaterThanOrEqual(80);
      expect(size).toBeLessThanOrEqual(120);
    }
    expect(new Set(sizes).size).toBeGreaterThan(10);
    expect(sliceSizes(10_000, 100, 20, createRandom(5))).toEqual(sizes);
    expect(sliceSizes(10_000, 100, 20, createRandom(6))).not.toEqual(sizes);
    expect(sliceSizes(3, 1, 5, createRandom(1)).every((s) => s >= 1)).toBe(true);
  });

  it('latency with jitter keeps order, and the end comes after the data', async () => {
    const out = collect();
    const s = stage('latency', { latency: 5, jitter: 5 }, out);
    const sent = Array.from({ length: 40 }, (_, i) => `${i},`);
    for (const text of sent) s.push(chunk(text));
    s.end('eof');
    await new Promise((r) => setTimeout(r, 60));
    expect(out.chunks).toEqual(sent);
    expect(out.ends).toEqual(['eof']);
  });

  it('latency hands everything it holds on at once when removed', () => {
    const out = collect();
    const s = stage('latency', { latency: 10_000 }, out);
    s.push(chunk('a'));
    s.push(chunk('b'));
    expect(out.chunks).toEqual([]);
    s.flush();
    expect(out.chunks).toEqual(['a', 'b']);
    s.dispose();
  });

  it('limit_data passes exactly the limit, then closes, and counts across updates', () => {
    const out = collect();
    const ctx = context();
    const s = stage('limit_data', { bytes: 10 }, out, ctx);
    s.push(chunk('12345'));
    s.update({ bytes: 8 });
    s.push(chunk('67890'));
    expect(out.chunks).toEqual(['12345', '678']);
    expect(out.ends).toEqual(['close']);
    expect(ctx.droppedBytes).toBe(2);
  });

  it('drop decides per chunk from its own random stream', () => {
    const run = (seed: number) => {
      const out = collect();
      const s = stage('drop', { probability: 0.5 }, out, context(seed));
      for (let i = 0; i < 100; i++) s.push(chunk(String(i)));
      return out.chunks;
    };
    const kept = run(3);
    expect(kept.length).toBeGreaterThan(30);
    expect(kept.length).toBeLessThan(70);
    expect(run(3)).toEqual(kept);
    expect(run(4)).not.toEqual(kept);
  });

  it('timeout swallows data and passes an end on', () => {
    const out = collect();
    const ctx = context();
    const s = stage('timeout', { timeout: 0 }, out, ctx);
    s.push(chunk('gone'));
    s.end('eof');
    expect(out.chunks).toEqual([]);
    expect(out.ends).toEqual(['eof']);
    expect(ctx.droppedBytes).toBe(4);
  });
});

describe('toxic collection', () => {
  const make = () => {
    const events: string[] = [];
    const collection = createToxicCollection({
      added: (t: ToxicState) => events.push(`+${t.name}`),
      updated: (t: ToxicState) => events.push(`~${t.name}`),
      removed: (t: ToxicState) => events.push(`-${t.name}`),
    });
    return { collection, events };
  };
  const status = (fn: () => unknown): number | undefined => {
    try {
      fn();
      return undefined;
    } catch (error) {
      return error instanceof ApiError ? error.status : -1;
    }
  };

  it('applies Toxiproxy defaults and keeps the stream as sent', () => {
    const { collection } = make();
    const toxic = collection.add({ type: 'latency', stream: 'UPSTREAM' });
    expect(toxic).toMatchObject({
      name: 'latency_UPSTREAM',
      stream: 'UPSTREAM',
      direction: 'upstream',
      toxicity: 1,
    });
    expect(toxic.attributes).toEqual({ latency: 0, jitter: 0 });
  });

  it('merges attributes on update and tells the links', () => {
    const { collection, events } = make();
    collection.add({ name: 'l', type: 'latency', attributes: { latency: 50, jitter: 3 } });
    collection.update('l', { attributes: { jitter: 7, unknown: 1 } });
    expect(collection.get('l').attributes).toEqual({ latency: 50, jitter: 7 });
    collection.update('l', { attributes: { latency: null } });
    expect(collection.get('l').attributes).toEqual({ latency: 50, jitter: 7 });
    collection.remove('l');
    expect(events).toEqual(['+l', '~l', '~l', '-l']);
  });

  it('fails with the right status and leaves the chain alone', () => {
    const { collection } = make();
    collection.add({ type: 'noop' });
    expect(status(() => collection.add({ type: 'noop' }))).toBe(409);
    expect(status(() => collection.add({ type: 'nope' }))).toBe(400);
    expect(status(() => collection.add({ type: 'latency', stream: 'x' }))).toBe(400);
    expect(status(() => collection.add({ type: 'slicer', attributes: { average_size: 0 } }))).toBe(400);
    expect(status(() => collection.add({ type: 'bandwidth', attributes: { rate: 1.5 } }))).toBe(400);
    expect(status(() => collection.update('missing', {}))).toBe(404);
    expect(status(() => collection.remove('missing'))).toBe(404);
    expect(collection.list().map((t) => t.name)).toEqual(['noop_downstream']);
  });

  it('clears both chains', () => {
    const { collection, events } = make();
    collection.add({ type: 'noop', stream: 'upstream' });
    collection.add({ type: 'noop' });
    collection.clear();
    expect(collection.list()).toEqual([]);
    expect(events).toEqual(['+noop_upstream', '+noop_downstream', '-noop_upstream', '-noop_downstream']);
  });
});

describe('metrics', () => {
  it('renders counters and gauges with escaped labels', () => {
    const metrics = createMetrics();
    const link = metrics.link('a"b', 'upstream', '127.0.0.1:1', '127.0.0.1:2');
    link.received += 5;
    link.sent += 4;
    link.dropped += 1;
    metrics.proxy('a"b').connectionsTotal = 2;
    metrics.toxicApplied('a"b', 'lag', 'latency');
    const text = metrics.render([
      {
        name: 'a"b',
        listen: '',
        upstream: '',
        enabled: true,
        toxics: [{ name: 'lag', type: 'latency', stream: 'Downstream', toxicity: 1, attributes: {} }],
      },
    ]);
    expect(text).toContain(
      'toxiproxy_proxy_received_bytes_total{direction="upstream",proxy="a\\"b",listener="127.0.0.1:1",upstream="127.0.0.1:2"} 5',
    );
    expect(text).toContain('chatquake_proxy_dropped_bytes_total{direction="upstream",proxy="a\\"b"} 1');
    expect(text).toContain('chatquake_proxy_connections_total{proxy="a\\"b"} 2');
    expect(text).toContain(
      'chatquake_proxy_toxic_active{proxy="a\\"b",toxic="lag",type="latency",stream="downstream"} 1',
    );
    expect(text).toContain('chatquake_proxy_toxic_applied_total{proxy="a\\"b",toxic="lag",type="latency"} 1');
    expect(text.endsWith('\n')).toBe(true);
  });
});
