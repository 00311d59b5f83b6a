// The fault proxy's timers and numeric limits, without sockets: a delay past Node's 2^31−1 ms
// timer limit waits its full length instead of firing after 1 ms, a held chunk never re-arms
// its timer every millisecond, and every toxic attribute has a documented upper bound that a
// request past it hits as a 400 naming the attribute (issue 12, item 3).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRandom } from '../../lib/random.ts';
import { ApiError } from '../../proxy/errors.ts';
import { startFaultProxy } from '../../proxy/index.ts';
import type { ToxicState } from '../../proxy/model.ts';
import { createToxicCollection } from '../../proxy/toxic-collection.ts';
import { toxicTypes } from '../../proxy/toxics/index.ts';
import { createOneShot } from '../../proxy/toxics/one-shot.ts';
import { createReleaseQueue } from '../../proxy/toxics/release-queue.ts';
import type { Chunk, EndKind, Sink, Stage } from '../../proxy/toxics/types.ts';

/** Node's (and the fake clock's) longest timer: past it, setTimeout fires after 1 ms. */
const NODE_TIMER_MAX = 2 ** 31 - 1;
/** 2.5e9 ms: past NODE_TIMER_MAX and within the documented 30-day bound. */
const LONG_MS = 2_500_000_000;

describe('long delays', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a one-shot armed past 2^31−1 ms waits its full length, then fires once', () => {
    const timer = createOneShot();
    let fired = 0;
    timer.arm(LONG_MS, () => fired++);
    vi.advanceTimersByTime(1000);
    expect(fired).toBe(0);
    expect(timer.pending).toBe(true);
    vi.advanceTimersByTime(NODE_TIMER_MAX);
    expect(fired).toBe(0);
    vi.advanceTimersByTime(LONG_MS - NODE_TIMER_MAX - 1000 - 1);
    expect(fired).toBe(0);
    vi.advanceTimersByTime(1);
    expect(fired).toBe(1);
    expect(timer.pending).toBe(false);
    vi.advanceTimersByTime(LONG_MS);
    expect(fired).toBe(1);
  });

  it('a one-shot cancelled during a long wait never fires', () => {
    const timer = createOneShot();
    let fired = 0;
    timer.arm(LONG_MS, () => fired++);
    vi.advanceTimersByTime(NODE_TIMER_MAX + 10);
    timer.cancel();
    expect(timer.pending).toBe(false);
    vi.advanceTimersByTime(LONG_MS);
    expect(fired).toBe(0);
  });

  it('a chunk held past 2^31−1 ms does not re-arm a timer every millisecond', () => {
    const released: string[] = [];
    const output: Sink = {
      push: (chunk: Chunk) => released.push(chunk.data.toString()),
      end: (_kind: EndKind) => released.push('end'),
    };
    const queue = createReleaseQueue(output);
    const armed = vi.spyOn(globalThis, 'setTimeout');
    queue.push({ data: Buffer.from('late'), time: performance.now() }, performance.now() + LONG_MS);
    queue.end('eof');
    vi.advanceTimersByTime(1000);
    expect(released).toEqual([]);
    // One timer for the wait (and at most one more for its next leg), not one per millisecond.
    expect(armed.mock.calls.length).toBeLessThanOrEqual(2);
    vi.advanceTimersByTime(LONG_MS - 1000);
    expect(released).toEqual(['late', 'end']);
    expect(armed.mock.calls.length).toBeLessThanOrEqual(4);
    armed.mockRestore();
    queue.dispose();
  });
});

function slicerStage(attributes: Record<string, number>, output: Sink): Stage {
  const definition = toxicTypes.get('slicer');
  if (definition === undefined) throw new Error('no slicer');
  const context = { random: createRandom(1), openedAt: performance.now(), dropped() {} };
  return definition.create({ ...definition.defaults, ...attributes }, context, output);
}

describe('slicer holding data', () => {
  it('holds 1 MiB cut into 1-byte pieces without a heap object per piece', () => {
    let pushed = 0;
    const stage = slicerStage({ average_size: 1, delay: 1000 }, { push: () => pushed++, end() {} });
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 16; i++) stage.push({ data: Buffer.alloc(65_536), time: performance.now() });
    const grown = process.memoryUsage().heapUsed - before;
    // A piece as a queued object costs ~220 bytes: 1 Mi of them is over 200 MB.
    expect(grown).toBeLessThan(32 * 1024 * 1024);
    expect(pushed).toBe(1);
    stage.dispose();
  });

  describe('with a fake clock', () => {
    beforeEach(() => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    });
    afterEach(() => {
      vi.useRealTimers();
    });

    it('lets one piece go per delay, in order, the end after the last', () => {
      const seen: string[] = [];
      const stage = slicerStage(
        { average_size: 3, delay: 10_000 },
        { push: (c) => seen.push(c.data.toString()), end: (k) => seen.push(k) },
      );
      stage.push({ data: Buffer.from('abcdefgh'), time: performance.now() });
      stage.push({ data: Buffer.from('ij'), time: performance.now() });
      stage.end('eof');
      expect(seen).toEqual(['abc']);
      vi.advanceTimersByTime(9);
      expect(seen).toEqual(['abc']);
      vi.advanceTimersByTime(1);
      expect(seen).toEqual(['abc', 'def']);
      vi.advanceTimersByTime(20);
      expect(seen).toEqual(['abc', 'def', 'gh', 'ij', 'eof']);
      stage.dispose();
    });

    it('hands everything it holds on, in order, when removed', () => {
      const seen: string[] = [];
      const stage = slicerStage(
        { average_size: 2, delay: 1_000_000 },
        { push: (c) => seen.push(c.data.toString()), end: (k) => seen.push(k) },
      );
      stage.push({ data: Buffer.from('abcdef'), time: performance.now() });
      stage.push({ data: Buffer.from('gh'), time: performance.now() });
      stage.end('close');
      expect(seen).toEqual(['ab']);
      stage.flush();
      expect(seen.join('')).toBe('abcdefghclose');
      expect(seen.at(-1)).toBe('close');
      stage.dispose();
    });
  });
});

/**
 * The documented upper bound of every toxic attribute (docs/PROXY.md, "Limits"). Durations in
 * ms stop at 30 days, slicer's delay (µs) at the same 30 days, sizes at 1 GiB, rates at 1 TB/s.
 */
const BOUNDS: [type: string, attribute: string, max: number][] = [
  ['latency', 'latency', 2_592_000_000],
  ['latency', 'jitter', 2_592_000_000],
  ['slow_close', 'delay', 2_592_000_000],
  ['timeout', 'timeout', 2_592_000_000],
  ['reset_peer', 'timeout', 2_592_000_000],
  ['limit_time', 'time', 2_592_000_000],
  ['slicer', 'delay', 2_592_000_000_000],
  ['slicer', 'average_size', 1_073_741_824],
  ['slicer', 'size_variation', 1_073_741_824],
  ['bandwidth', 'rate', 1_000_000_000],
  ['limit_data', 'bytes', Number.MAX_SAFE_INTEGER],
  ['drop', 'probability', 1],
];

describe('attribute bounds', () => {
  const collection = () =>
    createToxicCollection({
      added: (_t: ToxicState) => {},
      updated: (_t: ToxicState) => {},
      removed: (_t: ToxicState) => {},
    });
  const refusal = (fn: () => unknown): string | undefined => {
    try {
      fn();
      return undefined;
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      return `${error.status} ${error.message}`;
    }
  };
  // Past the bound by the smallest step the attribute can take (2^53 for limit_data: the first
  // integer JavaScript cannot count exactly).
  const past = (max: number, attribute: string) =>
    attribute === 'probability' ? 1.000001 : max === Number.MAX_SAFE_INTEGER ? 2 ** 53 : max + 1;

  it.each(BOUNDS)(
    '%s.%s accepts its bound and refuses one past it with a 400 naming it',
    (type, attribute, max) => {
      const toxics = collection();
      const base = type === 'slicer' && attribute !== 'average_size' ? { average_size: 1 } : {};
      const added = toxics.add({ name: 'at', type, attributes: { ...base, [attribute]: max } });
      expect(added.attributes[attribute]).toBe(max);
      const tooBig = { ...base, [attribute]: past(max, attribute) };
      const onAdd = refusal(() => toxics.add({ name: 'past', type, attributes: tooBig }));
      expect(onAdd).toMatch(new RegExp(`^400 bad request body: attributes\\.${attribute}: must be at most`));
      expect(toxics.list().map((t) => t.name)).toEqual(['at']);
      const onPatch = refusal(() => toxics.update('at', { attributes: tooBig }));
      expect(onPatch).toMatch(new RegExp(`^400 bad request body: attributes\\.${attribute}: `));
      expect(toxics.get('at').attributes[attribute]).toBe(max);
    },
  );

  it('refuses the values the issue found: 3e9 ms timers and 2^53', () => {
    const toxics = collection();
    for (const [type, attributes] of [
      ['timeout', { timeout: 3e9 }],
      ['limit_time', { time: 3e9 }],
      ['reset_peer', { timeout: 3e9 }],
      ['slow_close', { delay: 3e9 }],
      ['latency', { latency: 2 ** 53 - 1 }],
    ] as const) {
      expect(
        refusal(() => toxics.add({ type, attributes })),
        type,
      ).toMatch(/^400 /);
    }
    expect(toxics.list()).toEqual([]);
  });
});

describe('server options', () => {
  // A proxy that starts anyway is closed at once, so a failing run leaves no port behind.
  const refusal = async (options: Parameters<typeof startFaultProxy>[0]): Promise<string> => {
    try {
      const server = await startFaultProxy(options);
      await server.close();
      return 'started';
    } catch (error) {
      return (error as Error).message;
    }
  };

  it('refuses a connect timeout or port past its bound, naming the option', async () => {
    // 3e9 ms would fire after 1 ms and close every connection before its upstream answered.
    expect(await refusal({ port: 0, connectTimeoutMs: 3e9 })).toMatch(/^connectTimeoutMs: /);
    expect(await refusal({ port: 0, connectTimeoutMs: 0 })).toMatch(/^connectTimeoutMs: /);
    expect(await refusal({ port: 70_000 })).toMatch(/^port: /);
  });
});
