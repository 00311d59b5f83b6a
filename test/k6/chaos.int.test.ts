// `chatquake chaos` against a real `chatquake proxy` holding proxies named by chatquake's
// convention (and one that is not ours): the timeline resolved against what the proxy lists, a
// short partition seen applied and healed through the API's enabled flags, its events file,
// and process faults refused before anything is touched.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToxiproxyClient } from '../../chaos/index.ts';
import { HistoryEvent } from '../../contracts/history.ts';
import { chaosTopologyOf, resolveAgainst } from '../../harness/k6/chaos.ts';
import { parseTopology } from '../../harness/k6/topology.ts';
import { prepareScenario } from '../../harness/scenario/prepare.ts';
import { parseScenario } from '../../harness/scenario/scenario.ts';

const bin = new URL('../../bin/chatquake.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'chatquake-chaos-'));
const REGIONS = ['eu-west', 'us-east', 'ap-south'];
const PROXIES = [
  ...REGIONS.map((r) => `edge:clients->${r}.n1`),
  ...REGIONS.flatMap((from) => REGIONS.filter((to) => to !== from).map((to) => `link:${from}->${to}.n1`)),
  ...REGIONS.map((r) => `dir:${r}.n1`),
  'db',
  'link:eu-west->mars.n1',
];

let proxy: ChildProcess | undefined;
let url = '';

beforeAll(async () => {
  const config = join(dir, 'proxies.json');
  writeFileSync(
    config,
    JSON.stringify(PROXIES.map((name) => ({ name, listen: '127.0.0.1:0', upstream: '127.0.0.1:9' }))),
  );
  proxy = spawn(process.execPath, [bin, 'proxy', '--port', '0', '--config', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  url = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`no ready line; got ${buffered}`)), 15_000);
    proxy?.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const newline = buffered.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      resolve(String((JSON.parse(buffered.slice(0, newline)) as { url: string }).url));
    });
  });
}, 20_000);

afterAll(() => {
  proxy?.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

const topologyFile = () => ({
  regions: REGIONS.map((name, i) => ({
    name,
    endpoints: [`ws://127.0.1.${i + 1}:8080/ws`],
    adminUrls: [`http://127.0.1.${i + 1}:8080`],
  })),
  toxiproxy: url,
  secret: 'a-test-secret',
  adminToken: 'a-test-admin-token',
});

function scenarioFile(name: string, chaos: unknown[]): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      name,
      description: 'chaos test',
      duration: '2s',
      topology: { regions: REGIONS },
      workload: { users: 6 },
      chaos,
    }),
  );
  return file;
}

function chaosCli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [bin, 'chaos', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    err += c.toString();
  });
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, out, err })));
}

describe('chatquake chaos', () => {
  it('resolves a timeline against the proxies the Toxiproxy lists, ignoring those not named by the convention', async () => {
    const names = Object.keys(await createToxiproxyClient(url).listProxies());
    const topology = chaosTopologyOf(parseTopology(topologyFile(), 'topo.json'), names);
    expect(topology.proxies.map((p) => p.name)).not.toContain('db');
    expect(topology.proxies.map((p) => p.name)).not.toContain('link:eu-west->mars.n1');
    expect(topology.proxies).toHaveLength(12);
    expect(topology.proxies).toContainEqual({
      name: 'link:eu-west->us-east.n1',
      kind: 'link',
      from: 'eu-west',
      to: 'us-east',
      node: 'us-east/n1',
    });
    expect(topology.nodes.map((n) => n.id).sort()).toEqual(['ap-south/n1', 'eu-west/n1', 'us-east/n1']);
    const prepared = prepareScenario(
      parseScenario({
        name: 'split',
        description: 'x',
        duration: '2s',
        topology: { regions: REGIONS },
        workload: { users: 6 },
        chaos: [
          { fault: 'partition', groups: [['eu-west'], ['us-east', 'ap-south']], at: '0s', duration: '1s' },
        ],
      }),
      'split.json',
      1,
    );
    const [fault] = resolveAgainst(prepared, topology);
    expect(fault?.actions.map((a) => ('proxy' in a ? a.proxy : '')).sort()).toEqual([
      'link:ap-south->eu-west.n1',
      'link:eu-west->ap-south.n1',
      'link:eu-west->us-east.n1',
      'link:us-east->eu-west.n1',
    ]);
  });

  it('applies a short partition, heals it, and writes its start and stop as history events', async () => {
    const topo = join(dir, 'topo.json');
    writeFileSync(topo, JSON.stringify(topologyFile()));
    const scenario = scenarioFile('split', [
      {
        fault: 'partition',
        name: 'split',
        groups: [['eu-west'], ['us-east', 'ap-south']],
        at: '300ms',
        duration: '900ms',
      },
    ]);
    const events = join(dir, 'faults.jsonl');
    const client = createToxiproxyClient(url);
    const seenDisabled = new Set<string>();
    let polling = true;
    const poll = (async () => {
      while (polling) {
        for (const [name, p] of Object.entries(await client.listProxies()))
          if (!p.enabled) seenDisabled.add(name);
        await new Promise((r) => setTimeout(r, 40));
      }
    })();
    const started = Date.now();
    const result = await chaosCli([
      scenario,
      '--topology',
      topo,
      '--seed',
      '1',
      '--start-at',
      String(started + 3000),
      '--out',
      events,
    ]);
    polling = false;
    await poll;
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect([...seenDisabled].sort()).toEqual([
      'link:ap-south->eu-west.n1',
      'link:eu-west->ap-south.n1',
      'link:eu-west->us-east.n1',
      'link:us-east->eu-west.n1',
    ]);
    const after = await client.listProxies();
    expect(Object.values(after).every((p) => p.enabled)).toBe(true);
    expect(result.out).toMatch(/start split \(partition/);
    expect(result.out).toMatch(/heal {2}split \(partition/);
    const lines = readFileSync(events, 'utf8')
      .trim()
      .split('\n')
      .map((l) => HistoryEvent.parse(JSON.parse(l)));
    expect(lines.map((e) => e.type)).toEqual(['fault_start', 'fault_stop']);
    expect(lines[0]).toMatchObject({
      faultId: 'split',
      kind: 'partition',
      regions: expect.arrayContaining(['eu-west']),
    });
    // Counted from --start-at: the fault started 300 ms after it, and lasted about 900 ms.
    expect((lines[0]?.t ?? 0) - (started + 3000)).toBeGreaterThanOrEqual(250);
    expect((lines[1]?.t ?? 0) - (lines[0]?.t ?? 0)).toBeGreaterThan(700);
  }, 30_000);

  it('heals everything and exits 105 on Ctrl-C before the timeline ends', async () => {
    const topo = join(dir, 'topo.json');
    writeFileSync(topo, JSON.stringify(topologyFile()));
    const scenario = scenarioFile('long', [
      { fault: 'regionIsolation', name: 'cut', region: 'us-east', at: '0s' },
    ]);
    const events = join(dir, 'long.jsonl');
    const child = spawn(
      process.execPath,
      [bin, 'chaos', scenario, '--topology', topo, '--duration', '60s', '--out', events],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('start cut')) resolve();
      });
    });
    const during = await createToxiproxyClient(url).listProxies();
    expect(Object.entries(during).filter(([, p]) => !p.enabled).length).toBeGreaterThan(0);
    child.kill('SIGINT');
    expect(await exited).toBe(105);
    const after = await createToxiproxyClient(url).listProxies();
    expect(Object.values(after).every((p) => p.enabled)).toBe(true);
    const types = readFileSync(events, 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { type: string }).type);
    expect(types).toEqual(['fault_start', 'fault_stop']);
  }, 30_000);

  it('refuses a fault that needs the processes before touching anything, naming it', async () => {
    const topo = join(dir, 'topo.json');
    writeFileSync(topo, JSON.stringify(topologyFile()));
    const scenario = scenarioFile('outage', [
      { fault: 'latency', region: 'eu-west', latency: 100, at: '0s', duration: '1s' },
      { fault: 'regionOutage', region: 'us-east', at: '0s', duration: '1s' },
    ]);
    const result = await chaosCli([scenario, '--topology', topo, '--out', join(dir, 'none.jsonl')]);
    expect(result.code).toBe(104);
    expect(result.err).toContain('chaos[1]: regionOutage kills processes');
    expect(result.err).toContain('use regionIsolation or partition');
    const crash = scenarioFile('crash', [{ fault: 'nodeCrash', region: 'eu-west', at: '0s' }]);
    const crashed = await chaosCli([crash, '--topology', topo]);
    expect(crashed.code).toBe(104);
    expect(crashed.err).toContain('chaos[0]: nodeCrash kills a process');
    const proxies = await createToxiproxyClient(url).listProxies();
    expect(Object.values(proxies).every((p) => p.enabled)).toBe(true);
  }, 20_000);
});
