// `chatquake chaos` without a proxy: proxy names read by the convention, the scenario's regions
// checked against the topology file, process faults refused by name, --start-at and --topology
// parsed, and a late start skipping the faults whose window is over (against an in-memory
// Toxiproxy; the real one is in chaos.int.test.ts).
import { describe, expect, it } from 'vitest';
import type { ResolvedFault, ToxiproxyClient } from '../../chaos/index.ts';
import { parseChaosFlags, parseStartAt } from '../../harness/commands/chaos.ts';
import { chaosTopologyOf, proxyRefOf, refuseProcessFaults, runChaos } from '../../harness/k6/chaos.ts';
import { parseTopology } from '../../harness/k6/topology.ts';

const REGIONS = ['eu-west', 'us-east'];
const topology = parseTopology(
  {
    regions: [...REGIONS, 'ap-south'].map((name) => ({
      name,
      endpoints: ['ws://h:1/ws'],
      adminUrls: ['http://h:1'],
    })),
    secret: 's',
    adminToken: 'a',
  },
  'topo.json',
);

describe('chaos: the deployment', () => {
  it('reads proxy names by the convention and ignores the rest', () => {
    expect(proxyRefOf('edge:clients->eu-west.n1', REGIONS)).toEqual({
      name: 'edge:clients->eu-west.n1',
      kind: 'edge',
      from: 'clients',
      to: 'eu-west',
      node: 'eu-west/n1',
    });
    expect(proxyRefOf('link:us-east->eu-west.n2', REGIONS)).toMatchObject({
      kind: 'link',
      from: 'us-east',
      to: 'eu-west',
      node: 'eu-west/n2',
    });
    expect(proxyRefOf('dir:us-east.n1', REGIONS)).toMatchObject({
      kind: 'directory',
      from: 'us-east',
      to: 'directory',
      node: 'us-east/n1',
    });
    expect(proxyRefOf('link:eu-west->mars.n1', REGIONS)).toBeUndefined();
    expect(proxyRefOf('link:eu-west->eu-west.n1', REGIONS)).toBeUndefined();
    expect(proxyRefOf('redis', REGIONS)).toBeUndefined();
  });

  it('keeps only the scenario’s regions, and refuses one the topology file lacks', () => {
    const names = ['edge:clients->eu-west.n1', 'edge:clients->ap-south.n1', 'link:eu-west->us-east.n1'];
    const chaos = chaosTopologyOf(topology, names, REGIONS, '--topology topo.json');
    expect(chaos.regions).toEqual(REGIONS);
    expect(chaos.proxies.map((p) => p.name)).toEqual([
      'edge:clients->eu-west.n1',
      'link:eu-west->us-east.n1',
    ]);
    expect(chaos.nodes).toEqual([
      { id: 'eu-west/n1', region: 'eu-west' },
      { id: 'us-east/n1', region: 'us-east' },
    ]);
    expect(() => chaosTopologyOf(topology, names, ['eu-west', 'sa-east'], '--topology topo.json')).toThrow(
      '--topology topo.json: regions: no region "sa-east"',
    );
  });

  it('refuses every fault that needs the processes, naming it by its place', () => {
    for (const [fault, says] of [
      ['regionOutage', 'kills processes'],
      ['nodeCrash', 'kills a process'],
      ['nodePause', 'pauses a process'],
      ['clockSkew', "moves a node's clock"],
      ['scaleOut', 'starts new processes'],
    ] as const) {
      expect(() => refuseProcessFaults([{ fault: 'latency' }, { fault }])).toThrow(
        `chaos[1]: ${fault} ${says}`,
      );
    }
    expect(() =>
      refuseProcessFaults([{ fault: 'partition' }, { fault: 'regionIsolation' }, { fault: 'flap' }]),
    ).not.toThrow();
  });
});

describe('chaos: flags', () => {
  it('reads --start-at as epoch ms or an ISO time, and names a bad one', () => {
    expect(parseStartAt(undefined, 42)).toBe(42);
    expect(parseStartAt('1796637600000')).toBe(1796637600000);
    expect(parseStartAt('2026-12-07T10:00:00Z')).toBe(Date.parse('2026-12-07T10:00:00Z'));
    expect(() => parseStartAt('tomorrow')).toThrow(
      '--start-at: not an ISO time or epoch ms (got "tomorrow")',
    );
  });

  it('requires --topology and takes the scenario flags as run does', () => {
    expect(() => parseChaosFlags(['partition'])).toThrow('--topology: required');
    const flags = parseChaosFlags([
      'partition',
      '--topology',
      't.json',
      '--seed',
      '7',
      '--start-at',
      '5',
      '-o',
      'f.jsonl',
    ]);
    expect(flags).toMatchObject({
      topology: 't.json',
      startAt: '5',
      run: { scenario: 'partition', seed: 7, out: 'f.jsonl' },
    });
    expect(() => parseChaosFlags(['partition', '--topology', 't.json', '--seed', 'x'])).toThrow('--seed');
  });
});

/** An in-memory Toxiproxy: which proxies are disabled. */
function memoryProxy(names: string[]) {
  const enabled = new Map(names.map((n) => [n, true]));
  const calls: string[] = [];
  const client = {
    url: 'memory',
    async setEnabled(proxy: string, on: boolean) {
      calls.push(`${on ? 'enable' : 'disable'} ${proxy}`);
      enabled.set(proxy, on);
    },
    async addToxic() {},
    async removeToxic() {},
    async reset() {},
    async listProxies() {
      return Object.fromEntries(
        [...enabled].map(([name, on]) => [name, { name, listen: '', upstream: '', enabled: on }]),
      );
    },
    async listToxics() {
      return [];
    },
  } as unknown as ToxiproxyClient;
  return { client, calls, enabled };
}

const cut = (id: string, proxy: string, at: number, until: number): ResolvedFault => ({
  id,
  kind: 'regionIsolation',
  at,
  until,
  target: 'x',
  regions: ['eu-west'],
  actions: [{ op: 'disable', proxy }],
  reverts: [{ op: 'enable', proxy }],
});

describe('chaos: a late start', () => {
  it('skips a fault whose window is over and applies one still under way', async () => {
    const proxy = memoryProxy(['a', 'b']);
    const lines: string[] = [];
    const result = await runChaos({
      faults: [cut('over', 'a', 0, 100), cut('ongoing', 'b', 0, 60_300)],
      client: proxy.client,
      owned: ['a', 'b'],
      startAt: Date.now() - 60_000,
      durationMs: 120_000,
      log: (line) => lines.push(line),
      signal: new AbortController().signal,
    });
    expect(result).toEqual({ interrupted: false, errors: [] });
    expect(lines.join('\n')).toContain('skipped over: its window ended before chaos started');
    expect(proxy.calls).toEqual(['disable b', 'enable b']);
  });
});
