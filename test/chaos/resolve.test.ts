import { describe, expect, it } from 'vitest';
import type { FaultAction } from '../../chaos/actions.ts';
import { FaultSpec, FaultSpecs, type Pick } from '../../chaos/faults/spec.ts';
import { formatTimeline, resolveTimeline } from '../../chaos/timeline.ts';
import { describeIssues } from '../../contracts/errors.ts';

import { makeTopology } from './fixtures/topology.ts';

const topology = makeTopology(['eu-west', 'us-east', 'ap-south'], 4);
const opts = { seed: 7, loadDurationMs: 120_000 };

const ops = (actions: FaultAction[], op: FaultAction['op']): FaultAction[] =>
  actions.filter((a) => a.op === op);
const nodesHit = (actions: FaultAction[]): string[] =>
  actions.flatMap((a) => ('node' in a && a.op === 'signal' ? [a.node] : []));

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected an error');
}

describe('FaultSpec schema', () => {
  it('names the field of every mistake', () => {
    const result = FaultSpecs.safeParse([
      { fault: 'latency', at: '10s', region: 'a', edges: 'b', latency: 100 },
      { fault: 'regionOutage', at: '1x', region: 'a' },
      { fault: 'regionOutage', at: '1s', regoin: 'a', region: 'b' },
      { fault: 'brownout', at: 0, region: 'a', share: 1.5 },
      { fault: 'nodeCrash', at: 0, duration: '1s', restartAfter: '2s' },
      { fault: 'meteor', at: 0 },
    ]);
    expect(result.success).toBe(false);
    const text = result.success ? '' : describeIssues(result.error);
    // One issue per spec above, each naming the spec's index and field.
    for (const issue of [
      '[0].edges: give only one of region, link, edges, directory',
      '[1].at: invalid duration "1x"',
      '[2]: Unrecognized key: "regoin"',
      '[3].share',
      '[4].restartAfter: give only one of duration, restartAfter',
      '[5].fault',
    ])
      expect(text).toContain(issue);
  });

  it('accepts k6 durations and numbers of ms, and has no duration on scaleOut', () => {
    expect(FaultSpec.safeParse({ fault: 'nodePause', at: '1m30s', duration: 2500 }).success).toBe(true);
    expect(FaultSpec.safeParse({ fault: 'scaleOut', at: '10s', region: 'x', duration: '5s' }).success).toBe(
      false,
    );
    expect(FaultSpec.safeParse({ fault: 'flap', at: 0, period: '2s' }).success).toBe(false);
  });
});

describe('resolveTimeline', () => {
  it('is deterministic per seed and seeds differ', () => {
    const faults: FaultSpec[] = [
      { fault: 'nodeCrash', at: '10s', duration: '5s' },
      { fault: 'latency', at: '20s', latency: 200, pick: { percent: 50 } },
      { fault: 'clockSkew', at: '30s', region: 'us-east', offsetMs: 5000, pick: { count: 2 } },
    ];
    const a = resolveTimeline(faults, topology, opts);
    expect(resolveTimeline(faults, topology, opts)).toEqual(a);
    const picks = new Set(
      [1, 2, 3, 4, 5, 6].map((seed) =>
        JSON.stringify(resolveTimeline(faults, topology, { ...opts, seed }).map((f) => f.actions)),
      ),
    );
    expect(picks.size).toBeGreaterThan(1);
  });

  it("keeps one fault's choices when another fault is added before it", () => {
    const crash: FaultSpec = { fault: 'nodeCrash', at: '10s', pick: { count: 3 } };
    const alone = resolveTimeline([crash], topology, opts)[0];
    const withOther = resolveTimeline([crash, { fault: 'nodePause', at: '5s' }], topology, opts)[0];
    expect(withOther?.actions).toEqual(alone?.actions);
  });

  it('selects one, all, a count and a percent of candidates', () => {
    const count = (pick: Pick | undefined) =>
      nodesHit(
        resolveTimeline([{ fault: 'nodeCrash', at: 0, region: 'eu-west', pick }], topology, opts)[0]
          ?.actions ?? [],
      );
    expect(count('one')).toHaveLength(1);
    expect(count(undefined)).toHaveLength(1);
    expect(count('all')).toEqual(['eu-west/n1', 'eu-west/n2', 'eu-west/n3', 'eu-west/n4']);
    expect(count({ count: 3 })).toHaveLength(3);
    expect(new Set(count({ count: 3 })).size).toBe(3);
    expect(count({ percent: 50 })).toHaveLength(2);
    expect(count({ percent: 1 })).toHaveLength(1);
    expect(count({ percent: 100 })).toHaveLength(4);
    for (const node of count({ count: 2 })) expect(node.startsWith('eu-west/')).toBe(true);
    // Network faults default to every selected proxy.
    const links = resolveTimeline(
      [{ fault: 'latency', at: 0, link: { from: 'eu-west', to: 'us-east' }, latency: 50 }],
      topology,
      opts,
    )[0];
    expect(ops(links?.actions ?? [], 'toxic')).toHaveLength(4);
  });

  it('gives errors that name the fault index and field', () => {
    const cases: [FaultSpec, string][] = [
      [
        { fault: 'regionOutage', at: 0, region: 'eu-wst' },
        'chaos[1].region: unknown region "eu-wst" (known: eu-west, us-east, ap-south)',
      ],
      [
        { fault: 'latency', at: 0, link: { from: 'eu-west', to: 'mars' }, latency: 1 },
        'chaos[1].link.to: unknown region "mars"',
      ],
      [
        { fault: 'partition', at: 0, groups: [['eu-west'], ['us-east', 'pluto']] },
        'chaos[1].groups.1.1: unknown region "pluto"',
      ],
      [
        { fault: 'partition', at: 0, groups: [['eu-west'], ['eu-west']] },
        'chaos[1].groups.1.0: region eu-west is already in group 0',
      ],
      [{ fault: 'nodeCrash', at: 0, region: '@busiest' }, 'chaos[1].region: unknown alias "@busiest"'],
      [
        { fault: 'nodeCrash', at: 0, region: 'eu-west', pick: { count: 9 } },
        'chaos[1].pick.count: 9 is more than the 4 candidates',
      ],
      [{ fault: 'nodePause', at: 0, node: 'eu-west/n9' }, 'chaos[1].node: unknown node "eu-west/n9"'],
      [{ fault: 'nodePause', at: '3m' }, 'chaos[1].at: 3m is not before the end of load (2m)'],
      [
        { fault: 'nodePause', at: '1s', duration: 'soon' } as FaultSpec,
        'chaos[1].duration: invalid duration "soon"',
      ],
      [{ fault: 'nodePause', at: '1s', duration: '0s' }, 'chaos[1].duration: must be more than 0'],
      [{ fault: 'nodeCrash', at: '1s', restartAfter: 0 }, 'chaos[1].restartAfter: must be more than 0'],
    ];
    for (const [fault, message] of cases) {
      expect(
        errorOf(() => resolveTimeline([{ fault: 'nodePause', at: 0 }, fault], topology, opts)),
      ).toContain(message);
    }
  });

  it('resolves aliases the harness chose', () => {
    const [f] = resolveTimeline([{ fault: 'regionOutage', at: '5s', region: '@busiest' }], topology, {
      ...opts,
      aliases: { '@busiest': 'us-east' },
    });
    expect(f?.target).toBe('region us-east');
    expect(f?.regions).toEqual(['us-east']);
  });

  it('regionOutage kills every node and cuts every path; heal opens the network, then restarts', () => {
    const [f] = resolveTimeline(
      [{ fault: 'regionOutage', at: '30s', duration: '1m', region: 'eu-west' }],
      topology,
      opts,
    );
    expect(f).toMatchObject({ id: 'f1-regionOutage', kind: 'regionOutage', at: 30_000, until: 90_000 });
    const actions = f?.actions ?? [];
    expect(nodesHit(actions)).toEqual(['eu-west/n1', 'eu-west/n2', 'eu-west/n3', 'eu-west/n4']);
    const disabled = ops(actions, 'disable').map((a) => (a.op === 'disable' ? a.proxy : ''));
    const expected = topology.proxies
      .filter((p) => p.to === 'eu-west' || p.from === 'eu-west')
      .map((p) => p.name)
      .sort();
    expect(disabled.slice().sort()).toEqual(expected);
    // 4 edges + 8 links in + 8 links out + 4 directory proxies.
    expect(disabled).toHaveLength(24);
    const reverts = f?.reverts ?? [];
    expect(reverts.findIndex((a) => a.op === 'restart')).toBe(24);
    expect(ops(reverts, 'restart')).toHaveLength(4);
  });

  it('regionIsolation keeps client edges and cuts links and the directory', () => {
    const [f] = resolveTimeline([{ fault: 'regionIsolation', at: 0, region: 'ap-south' }], topology, opts);
    const proxies = (f?.actions ?? []).map((a) => (a.op === 'disable' ? a.proxy : ''));
    expect(proxies.some((p) => p.startsWith('edge:'))).toBe(false);
    expect(proxies.filter((p) => p.startsWith('dir:'))).toHaveLength(4);
    expect(proxies.filter((p) => p.startsWith('link:'))).toHaveLength(16);
    expect(f?.until).toBeNull();
  });

  it('partition cuts only links between groups; oneWay blackholes one stream', () => {
    const [two] = resolveTimeline(
      [{ fault: 'partition', at: 0, groups: [['eu-west'], ['us-east']] }],
      topology,
      opts,
    );
    const names = (two?.actions ?? []).map((a) => (a.op === 'disable' ? a.proxy : ''));
    expect(names).toHaveLength(8);
    expect(
      names.every((n) => n.startsWith('link:eu-west->us-east/') || n.startsWith('link:us-east->eu-west/')),
    ).toBe(true);

    const [oneWay] = resolveTimeline(
      [{ fault: 'partition', at: 0, groups: [['eu-west'], ['us-east']], oneWay: true }],
      topology,
      opts,
    );
    for (const a of oneWay?.actions ?? []) {
      if (a.op !== 'toxic') throw new Error(`unexpected ${a.op}`);
      expect(a.toxic).toMatchObject({ type: 'timeout', attributes: { timeout: 0 }, toxicity: 1 });
      // Traffic from eu-west: upstream on eu-west's outgoing links, downstream on links into eu-west.
      expect(a.toxic.stream).toBe(a.proxy.startsWith('link:eu-west->') ? 'upstream' : 'downstream');
    }
    expect(oneWay?.actions).toHaveLength(8);
    expect(oneWay?.reverts.every((r) => r.op === 'removeToxic')).toBe(true);
  });

  it('network toxics carry Toxiproxy attributes, defaults and fault-unique names', () => {
    const faults: FaultSpec[] = [
      { fault: 'latency', at: 0, edges: 'us-east', latency: 300, jitter: 50 },
      { fault: 'bandwidth', at: 0, region: 'us-east', rate: 64, stream: 'upstream' },
      { fault: 'blackhole', at: 0, link: { from: 'us-east', to: 'eu-west' } },
      { fault: 'resetPeer', at: 0, edges: 'us-east', timeout: 100, toxicity: 0.5 },
      { fault: 'latency', at: 0, latency: 10 },
    ];
    const [lat, bw, bh, rp, all] = resolveTimeline(faults, topology, opts);
    const toxic = (a: FaultAction | undefined) => (a?.op === 'toxic' ? a.toxic : undefined);
    expect(toxic(lat?.actions[0])).toEqual({
      name: 'f1-latency_latency_downstream',
      type: 'latency',
      stream: 'downstream',
      toxicity: 1,
      attributes: { latency: 300, jitter: 50 },
    });
    expect(lat?.actions).toHaveLength(4);
    expect(toxic(bw?.actions[0])).toMatchObject({
      type: 'bandwidth',
      stream: 'upstream',
      attributes: { rate: 64 },
    });
    expect(bw?.actions).toHaveLength(4 + 16 + 4);
    expect(bh?.actions.map((a) => toxic(a)?.stream)).toEqual(
      Array(4).fill(['upstream', 'downstream']).flat(),
    );
    expect(toxic(rp?.actions[0])).toMatchObject({
      type: 'reset_peer',
      toxicity: 0.5,
      attributes: { timeout: 100 },
    });
    expect(all?.target).toBe('every inter-region link, +10ms');
    expect(all?.actions).toHaveLength(24);
    expect(all?.regions).toEqual(['eu-west', 'us-east', 'ap-south']);
  });

  it("a directory target blackholes only the region's paths to the lease service", () => {
    const [bh] = resolveTimeline(
      [{ fault: 'blackhole', at: 0, directory: 'us-east', duration: '5s' }],
      topology,
      opts,
    );
    const proxies = [...new Set(bh?.actions.map((a) => (a.op === 'toxic' ? a.proxy : a.op)))];
    expect(proxies.length).toBeGreaterThan(0);
    expect(proxies.every((p) => p.startsWith('dir:us-east'))).toBe(true);
    expect(proxies).toHaveLength(4);
    expect(bh?.regions).toEqual(['us-east']);
    expect(bh?.target).toMatch(/^directory paths of us-east/);
    expect(() =>
      resolveTimeline(
        [{ fault: 'blackhole', at: 0, directory: 'us-east', edges: 'us-east' }],
        topology,
        opts,
      ),
    ).toThrow(/give only one of region, link, edges, directory/);
  });

  it('brownout puts toxicity=share latency and resetShare resets on the region edges', () => {
    const [b] = resolveTimeline(
      [{ fault: 'brownout', at: 0, region: 'eu-west', share: 0.3, resetShare: 0.1 }],
      topology,
      opts,
    );
    const toxics = (b?.actions ?? []).flatMap((a) => (a.op === 'toxic' ? [a] : []));
    expect(toxics).toHaveLength(8);
    expect(toxics.every((a) => a.proxy.startsWith('edge:clients->eu-west/'))).toBe(true);
    expect(
      toxics
        .filter((a) => a.toxic.type === 'latency')
        .map((a) => [a.toxic.toxicity, a.toxic.attributes.latency]),
    ).toEqual(Array(4).fill([0.3, 1000]));
    expect(toxics.filter((a) => a.toxic.type === 'reset_peer').map((a) => a.toxic.toxicity)).toEqual([
      0.1, 0.1, 0.1, 0.1,
    ]);
  });

  it('flap expands into toggles every half period until its end', () => {
    const [f] = resolveTimeline(
      [{ fault: 'flap', at: '10s', duration: '5s', link: { from: 'eu-west', to: 'us-east' }, period: '2s' }],
      topology,
      opts,
    );
    expect(ops(f?.actions ?? [], 'disable')).toHaveLength(4);
    expect(f?.steps?.map((s) => [s.at, s.actions[0]?.op])).toEqual([
      [11_000, 'enable'],
      [12_000, 'disable'],
      [13_000, 'enable'],
      [14_000, 'disable'],
    ]);
    expect(f?.until).toBe(15_000);
    // Without a duration it toggles until the end of load.
    const [open] = resolveTimeline(
      [{ fault: 'flap', at: '100s', region: 'eu-west', period: '10s' }],
      topology,
      opts,
    );
    expect(open?.steps?.map((s) => s.at)).toEqual([105_000, 110_000, 115_000]);
    expect(
      errorOf(() =>
        resolveTimeline([{ fault: 'flap', at: 0, region: 'eu-west', period: 5 }], topology, opts),
      ),
    ).toContain('chaos[0].period');
  });

  it('nodeCrash restartAfter sets the revert time; scaleOut never reverts', () => {
    const [crash, scale] = resolveTimeline(
      [
        { fault: 'nodeCrash', at: '5s', node: 'us-east/n2', restartAfter: '3s' },
        { fault: 'scaleOut', at: '20s', region: 'ap-south', count: 2, name: 'grow' },
      ],
      topology,
      opts,
    );
    expect(crash).toMatchObject({ at: 5000, until: 8000, target: 'node us-east/n2 crashed' });
    expect(crash?.reverts).toEqual([{ op: 'restart', node: 'us-east/n2' }]);
    expect(scale).toMatchObject({ id: 'grow', until: null, instant: true, reverts: [] });
    expect(scale?.actions).toEqual([
      { op: 'addNode', region: 'ap-south' },
      { op: 'addNode', region: 'ap-south' },
    ]);
  });

  it('rejects a duplicate fault name', () => {
    const dup: FaultSpec[] = [
      { fault: 'nodePause', at: 0, name: 'x' },
      { fault: 'nodePause', at: 0, name: 'x' },
    ];
    expect(errorOf(() => resolveTimeline(dup, topology, opts))).toContain(
      'chaos[1].name: "x" is used by another fault',
    );
  });
});

describe('formatTimeline', () => {
  it('prints every fault in time order with each backend call', () => {
    const text = formatTimeline(
      resolveTimeline(
        [
          { fault: 'clockSkew', at: '1m', node: 'eu-west/n1', offsetMs: -2000, duration: '10s' },
          { fault: 'nodePause', at: '15s', node: 'us-east/n3' },
          {
            fault: 'flap',
            at: '30s',
            duration: '20s',
            link: { from: 'eu-west', to: 'ap-south' },
            period: '2s',
          },
        ],
        topology,
        opts,
      ),
    );
    const lines = text.split('\n');
    expect(lines[0]).toBe('chaos: 3 faults');
    const order = ['f2-nodePause', 'f3-flap', 'f1-clockSkew'].map((id) =>
      lines.findIndex((l) => l.includes(id)),
    );
    expect(order).toEqual(order.slice().sort((a, b) => a - b));
    for (const line of [
      '15s  f2-nodePause  node us-east/n3 paused  [until end of load; regions us-east]',
      'apply   SIGSTOP us-east/n3',
      'revert  SIGCONT us-east/n3 (at end)',
      'apply   clock offset -2000ms on eu-west/n1',
      'revert  clock offset 0ms on eu-west/n1 (at 1m10s)',
      '31s  step    enable link:eu-west->ap-south/n1',
    ])
      expect(text).toContain(line);
    expect(text).toMatch(/… 15 more steps, the last at 49s/);
    expect(formatTimeline([])).toBe('chaos: no faults\n');
  });
});
