import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToxiproxyClient } from '../../chaos/backends/toxiproxy.ts';
import { createCleanupRegistry } from '../../harness/local/cleanup.ts';
import { readyPort, startService } from '../../harness/local/processes.ts';
import { createProcessControl } from '../../harness/local/system.ts';
import { type LocalTopology, startLocalTopology } from '../../harness/local/topology.ts';
import { listeningPorts, pidAlive, pidsMentioning } from './ports.ts';

async function health(url: string): Promise<{ region: string; node: string }> {
  const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5000) });
  return (await response.json()) as { region: string; node: string };
}

describe('local topology', () => {
  const registry = createCleanupRegistry();
  const runDir = mkdtempSync(join(tmpdir(), 'chatquake-topology-'));
  let topology: LocalTopology;

  beforeAll(async () => {
    topology = await startLocalTopology({
      runDir,
      regions: ['eu-west', 'us-east'],
      seed: 5,
      secret: 'topology-test-secret',
      adminToken: 'topology-test-admin',
      registry,
    });
  });

  afterAll(async () => {
    await registry.run();
    rmSync(runDir, { recursive: true, force: true });
  });

  it('keeps the secrets out of every log and off every command line (ps shows those)', () => {
    const logs = readdirSync(join(runDir, 'logs')).map((f) => readFileSync(join(runDir, 'logs', f), 'utf8'));
    expect(logs.length).toBeGreaterThanOrEqual(3);
    for (const log of logs) {
      expect(log).not.toContain('topology-test-secret');
      expect(log).not.toContain('topology-test-admin');
    }
    for (const node of topology.nodes()) {
      const pid = node.pid as number;
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      expect(cmdline).toContain(node.node);
      expect(cmdline).not.toContain('topology-test-secret');
      expect(cmdline).not.toContain('topology-test-admin');
      // They reach the node through its environment, which only its owner can read.
      expect(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')).toContain(
        'CHATQUAKE_SECRET=topology-test-secret',
      );
    }
  });

  it('puts each region on its own loopback block and every path behind a named proxy', async () => {
    const [eu, us] = [topology.node('eu-west', 'n1'), topology.node('us-east', 'n1')];
    expect(eu.host).toBe('127.0.1.11');
    expect(us.host).toBe('127.0.2.11');
    const names = topology
      .proxies()
      .map((p) => p.name)
      .sort();
    expect(names).toEqual([
      'dir:eu-west.n1',
      'dir:us-east.n1',
      'edge:clients->eu-west.n1',
      'edge:clients->us-east.n1',
      'link:eu-west->us-east.n1',
      'link:us-east->eu-west.n1',
    ]);
    expect(topology.proxy('edge:clients->us-east.n1').listen).toMatch(/^127\.0\.2\.1:\d+$/);
    // Through the edge proxy, the client path reaches the region's node.
    const edge = topology.proxy('edge:clients->eu-west.n1').listen;
    expect(await health(`http://${edge}`)).toMatchObject({ region: 'eu-west', node: 'n1' });
    // Each node's peers for the other region go through the link proxy.
    const log = readFileSync(eu.logFile, 'utf8');
    expect(log).toContain('chatquake server --region eu-west');
    expect(log).toContain(`us-east/n1=http://${topology.proxy('link:eu-west->us-east.n1').listen}`);
  });

  it('cuts and restores a path by disabling its proxy', async () => {
    const edge = topology.proxy('edge:clients->us-east.n1').listen;
    await topology.setProxyEnabled('edge:clients->us-east.n1', false);
    await expect(fetch(`http://${edge}/healthz`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
    await topology.setProxyEnabled('edge:clients->us-east.n1', true);
    expect(await health(`http://${edge}`)).toMatchObject({ region: 'us-east' });
  });

  it('restarts a killed node on the same address, and adds a node with its own proxies', async () => {
    const control = createProcessControl(topology);
    const before = control.pidOf('eu-west/n1');
    expect(before).toBeGreaterThan(0);
    process.kill(before as number, 'SIGKILL');
    await control.restart('eu-west/n1');
    const after = control.pidOf('eu-west/n1');
    expect(after).not.toBe(before);
    expect(pidAlive(before as number)).toBe(false);
    expect(await health(topology.node('eu-west', 'n1').httpUrl)).toMatchObject({ region: 'eu-west' });

    const added = await control.addNode('us-east');
    expect(added).toBe('us-east/n2');
    expect(topology.node('us-east', 'n2').host).toBe('127.0.2.12');
    expect(topology.proxies().map((p) => p.name)).toEqual(
      expect.arrayContaining(['edge:clients->us-east.n2', 'link:eu-west->us-east.n2', 'dir:us-east.n2']),
    );
    const edge = topology.proxy('edge:clients->us-east.n2').listen;
    expect(await health(`http://${edge}`)).toMatchObject({ region: 'us-east', node: 'n2' });
  });

  it('leaves no process and no listening port behind when closed, even a paused one', async () => {
    const pids = topology.nodes().map((n) => n.pid as number);
    const ports = [
      ...topology.nodes().map((n) => n.port),
      ...topology.proxies().map((p) => Number(p.listen.split(':')[1])),
      Number(new URL(topology.proxyApiUrl).port),
      Number(new URL(topology.directoryUrl).port),
    ];
    process.kill(pids[0] as number, 'SIGSTOP');
    await topology.close();
    for (const pid of pids) expect(pidAlive(pid)).toBe(false);
    const listening = listeningPorts();
    expect(ports.filter((p) => listening.has(p))).toEqual([]);
    expect(pidsMentioning(runDir)).toEqual([]);
    expect(registry.size()).toBe(0);
  });
});

describe('local topology with an external Toxiproxy (TOXIPROXY_URL)', () => {
  it('creates its proxies there, replaces leftovers of a killed run, and removes them at the end', async () => {
    const registry = createCleanupRegistry();
    const runDir = mkdtempSync(join(tmpdir(), 'chatquake-external-'));
    try {
      const proxyService = await startService({
        name: 'external-proxy',
        args: ['proxy', '--host', '127.0.0.1', '--port', '0'],
        logFile: join(runDir, 'external-proxy.log'),
        registry,
      });
      const url = `http://127.0.0.1:${readyPort(proxyService)}`;
      const api = createToxiproxyClient(url);
      // A leftover from an earlier run that died before its teardown.
      await api.createProxy({
        name: 'edge:clients->eu-west.n1',
        listen: '127.0.0.1:0',
        upstream: '127.0.0.1:9',
      });
      const topology = await startLocalTopology({
        runDir,
        regions: ['eu-west'],
        seed: 1,
        secret: 'external-secret',
        adminToken: 'external-admin',
        toxiproxyUrl: url,
        registry,
      });
      expect(topology.proxyApiUrl).toBe(url);
      const listed = await api.listProxies();
      expect(Object.keys(listed).sort()).toEqual(['dir:eu-west.n1', 'edge:clients->eu-west.n1']);
      expect(listed['edge:clients->eu-west.n1']?.upstream).toBe(
        `127.0.1.11:${topology.node('eu-west', 'n1').port}`,
      );
      await topology.close();
      expect(await api.listProxies()).toEqual({});
      expect(proxyService.isRunning()).toBe(true);
    } finally {
      await registry.run();
      rmSync(runDir, { recursive: true, force: true });
    }
  });
});
