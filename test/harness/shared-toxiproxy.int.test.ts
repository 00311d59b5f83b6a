// A run pointed at a Toxiproxy it shares with others (TOXIPROXY_URL) must touch only what it
// created. Its heal used to end with Toxiproxy's POST /reset, which re-enabled another team's
// disabled proxy and stripped its toxics. Here a foreign proxy, disabled and with a toxic, sits
// beside the run's own; the run's fault backend applies faults, heals with reset, and the
// topology closes: the run's proxies are healed, then gone, and the foreign one is untouched.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToxiproxyClient, type ToxiproxyClient } from '../../chaos/backends/toxiproxy.ts';
import { createCleanupRegistry } from '../../harness/local/cleanup.ts';
import { readyPort, startService } from '../../harness/local/processes.ts';
import { type LocalTopology, startLocalTopology } from '../../harness/local/topology.ts';
import { connectSystem } from '../../harness/run/start.ts';
import { referenceRuntime } from '../../harness/targets/reference/runtime.ts';

interface ApiProxy {
  name: string;
  enabled: boolean;
  toxics: { name: string }[];
}

const registry = createCleanupRegistry();
const runDir = mkdtempSync(join(tmpdir(), 'chatquake-shared-toxiproxy-'));
let url: string;
let api: ToxiproxyClient;
let topology: LocalTopology;

async function proxies(): Promise<Record<string, ApiProxy>> {
  const res = await fetch(`${url}/proxies`, { signal: AbortSignal.timeout(5_000) });
  return (await res.json()) as Record<string, ApiProxy>;
}

beforeAll(async () => {
  const external = await startService({
    name: 'shared-toxiproxy',
    args: ['proxy', '--host', '127.0.0.1', '--port', '0'],
    logFile: join(runDir, 'shared-toxiproxy.log'),
    registry,
  });
  url = `http://127.0.0.1:${readyPort(external)}`;
  api = createToxiproxyClient(url);
  // Another team's proxy: disabled on purpose, with a toxic of its own.
  await api.createProxy({ name: 'other-team:db', listen: '127.0.0.1:0', upstream: '127.0.0.1:9' });
  await api.addToxic('other-team:db', {
    name: 'their-latency',
    type: 'latency',
    stream: 'downstream',
    toxicity: 1,
    attributes: { latency: 100, jitter: 0 },
  });
  await api.setEnabled('other-team:db', false);
  topology = await startLocalTopology({
    runDir,
    regions: ['eu-west', 'us-east'],
    seed: 1,
    secret: 'shared-secret',
    adminToken: 'shared-admin',
    toxiproxyUrl: url,
    registry,
  });
});

afterAll(async () => {
  await registry.run();
  rmSync(runDir, { recursive: true, force: true });
});

describe('a run on a shared Toxiproxy', () => {
  it('heals only its own proxies, and removes only its own at the end', async () => {
    const { backends } = connectSystem(topology, referenceRuntime, { seed: 1 });
    await backends.proxy.setEnabled('link:eu-west->us-east.n1', false);
    await backends.proxy.addToxic('edge:clients->eu-west.n1', {
      name: 'run-latency',
      type: 'latency',
      stream: 'downstream',
      toxicity: 1,
      attributes: { latency: 50, jitter: 0 },
    });
    const during = await proxies();
    expect(during['link:eu-west->us-east.n1']?.enabled).toBe(false);
    expect(during['edge:clients->eu-west.n1']?.toxics.map((t) => t.name)).toEqual(['run-latency']);

    await backends.proxy.reset();
    const healed = await proxies();
    for (const proxy of topology.proxies()) {
      expect(healed[proxy.name]?.enabled, proxy.name).toBe(true);
      expect(healed[proxy.name]?.toxics, proxy.name).toEqual([]);
    }
    expect(healed['other-team:db']?.enabled).toBe(false);
    expect(healed['other-team:db']?.toxics.map((t) => t.name)).toEqual(['their-latency']);

    await topology.close();
    const after = await proxies();
    expect(Object.keys(after)).toEqual(['other-team:db']);
    expect(after['other-team:db']?.enabled).toBe(false);
    expect(after['other-team:db']?.toxics.map((t) => t.name)).toEqual(['their-latency']);
  });
});
