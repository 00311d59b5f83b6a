import { describe, expect, it } from 'vitest';
import { parseServerFlags } from '../../im-server/main.ts';
import { preferenceOrder, rendezvousOrder } from '../../im-server/placement.ts';

const base = [
  '--region',
  'eu',
  '--node',
  'n1',
  '--port',
  '0',
  '--data',
  '/tmp/x',
  '--secret',
  's',
  '--admin-token',
  'a',
];

describe('server flags', () => {
  it('applies the documented defaults', () => {
    const parsed = parseServerFlags(base);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.flags).toMatchObject({
      host: '127.0.0.1',
      ack: 'replicated',
      replicas: 1,
      'lease-ms': 3000,
      bug: [],
      peers: [],
      'max-frame-bytes': 65536,
      'max-connections': 10_000,
      'max-frame-rate': 1000,
      'max-buffered-bytes': 4 * 1024 * 1024,
      'max-buffered-total-bytes': 256 * 1024 * 1024,
    });
  });

  it('parses peers and repeated bugs', () => {
    const parsed = parseServerFlags([
      ...base,
      '--peers',
      'us/n1=http://127.0.0.1:9001,ap/n2=http://127.0.0.1:9002/',
      '--bug',
      'ack-early',
      '--bug',
      'no-dedup',
    ]);
    expect(parsed.ok && parsed.flags.peers).toEqual([
      { id: 'us/n1', region: 'us', url: 'http://127.0.0.1:9001' },
      { id: 'ap/n2', region: 'ap', url: 'http://127.0.0.1:9002' },
    ]);
    expect(parsed.ok && parsed.flags.bug).toEqual(['ack-early', 'no-dedup']);
  });

  const bad: [string, string[], RegExp][] = [
    ['a missing region', base.slice(2), /--region/],
    ['a bad port', [...base.slice(0, 4), '--port', 'x', ...base.slice(6)], /--port/],
    ['an unknown ack level', [...base, '--ack', 'maybe'], /--ack/],
    ['an unknown bug', [...base, '--bug', 'fast-mode'], /--bug/],
    ['a malformed peer', [...base, '--peers', 'us=http://x'], /--peers/],
    ['a peer that is this node', [...base, '--peers', 'eu/n1=http://127.0.0.1:1'], /--peers/],
    ['an unknown flag', [...base, '--turbo'], /turbo/],
    ['no connections at all', [...base, '--max-connections', '0'], /--max-connections/],
    ['more connections than the bound', [...base, '--max-connections', '1000001'], /--max-connections/],
    ['a frame rate over the bound', [...base, '--max-frame-rate', '1e9'], /--max-frame-rate/],
    ['a negative frame rate', [...base, '--max-frame-rate=-5'], /--max-frame-rate/],
    ['a buffer under 64 KiB', [...base, '--max-buffered-bytes', '65535'], /--max-buffered-bytes/],
    ['a buffer over 1 GiB', [...base, '--max-buffered-bytes', String(2 ** 30 + 1)], /--max-buffered-bytes/],
    [
      'a node budget over 64 GiB',
      [...base, '--max-buffered-total-bytes', String(2 ** 36 + 1)],
      /--max-buffered-total-bytes/,
    ],
  ];
  for (const [what, argv, pattern] of bad) {
    it(`refuses ${what}, naming the flag`, () => {
      const parsed = parseServerFlags(argv);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.message).toMatch(pattern);
    });
  }
});

describe('rendezvous placement', () => {
  it('is stable and moves only the keys of a removed candidate', () => {
    const regions = ['a', 'b', 'c', 'd'];
    const keys = Array.from({ length: 200 }, (_, i) => `conv-${i}`);
    const before = keys.map((k) => rendezvousOrder(k, regions)[0]);
    expect(keys.map((k) => rendezvousOrder(k, [...regions].reverse())[0])).toEqual(before);
    const after = keys.map(
      (k) =>
        rendezvousOrder(
          k,
          regions.filter((r) => r !== 'b'),
        )[0],
    );
    keys.forEach((_, i) => {
      if (before[i] !== 'b') expect(after[i]).toBe(before[i]);
    });
    // Every region wins some keys.
    expect(new Set(before).size).toBe(4);
  });

  it('orders nodes region by region', () => {
    const nodes = [
      { id: 'a/n1', region: 'a' },
      { id: 'a/n2', region: 'a' },
      { id: 'b/n1', region: 'b' },
    ];
    const order = preferenceOrder('k', ['a', 'b'], nodes);
    expect(order).toHaveLength(3);
    expect(order.indexOf('a/n1') < order.indexOf('b/n1')).toBe(order.indexOf('a/n2') < order.indexOf('b/n1'));
  });
});
