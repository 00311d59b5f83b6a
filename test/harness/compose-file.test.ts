// docker-compose.yml and its compose/ files are generated (`npm run compose`) and checked in;
// this fails when they are stale, and checks the layout a game day relies on: each cloud its
// own network, a node on its cloud's network only, the proxy on every network with every
// cross-cloud path in its -config file, host ports on loopback only. Also what `run --mode
// compose` checks before it attaches, and the per-run id prefix that keeps runs apart.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseRunFlags } from '../../harness/cli/flags.ts';
import { checkComposeNodes } from '../../harness/docker/attach.ts';
import { composeFiles, DEFAULT_COMPOSE, variable } from '../../harness/docker/compose.ts';
import { planContainers } from '../../harness/docker/plan.ts';
import { planLayout } from '../../harness/local/layout.ts';
import { prepareRun } from '../../harness/scenario/prepare.ts';
import { ScenarioError } from '../../harness/scenario/scenario.ts';
import { OTEL_PASSTHROUGH, otelVariables } from '../../lib/trace-context.ts';
import { withIdPrefix } from '../../load/index.ts';

const generated = composeFiles(DEFAULT_COMPOSE);
const read = (name: string) => readFileSync(new URL(`../../${name}`, import.meta.url), 'utf8');

interface Service {
  image: string;
  command: string | string[];
  networks: string[] | Record<string, { aliases?: string[] }>;
  ports?: string[];
  labels: Record<string, string>;
  depends_on?: unknown;
}
const compose = parse(generated['docker-compose.yml']) as {
  services: Record<string, Service>;
  networks: Record<string, unknown>;
  volumes: Record<string, unknown>;
};
const proxies = JSON.parse(generated['compose/toxiproxy.json']) as {
  name: string;
  listen: string;
  upstream: string;
}[];
const networksOf = (s: Service) => (Array.isArray(s.networks) ? s.networks : Object.keys(s.networks));

describe('the compose files', () => {
  it.each(Object.keys(generated))(
    '%s is up to date: run `npm run compose` after changing the plan',
    (name) => {
      expect(read(name)).toBe(generated[name as keyof typeof generated]);
    },
  );

  it('gives each cloud its own network and puts a node on its cloud only', () => {
    expect(Object.keys(compose.networks).sort()).toEqual(
      [...DEFAULT_COMPOSE.regions, 'directory', 'monitoring'].sort(),
    );
    const nodes = Object.entries(compose.services).filter(([, s]) => s.labels['chatquake.role'] === 'server');
    expect(nodes.map(([name]) => name).sort()).toEqual(['ap-south-n1', 'eu-west-n1', 'us-east-n1']);
    for (const [name, s] of nodes) {
      const region = s.labels['chatquake.node']?.split('/')[0] as string;
      expect(name.startsWith(region)).toBe(true);
      expect(networksOf(s)).toEqual([region]);
      expect(compose.volumes[`${name}-data`]).toBeDefined();
    }
    expect(networksOf(compose.services.directory as Service)).toEqual(['directory']);
  });

  it('routes every cross-cloud path through the proxy, which is on every network as "proxy"', () => {
    const proxy = compose.services.proxy as Service;
    expect(proxy.image).toBe(variable('TOXIPROXY_IMAGE', 'ghcr.io/shopify/toxiproxy:2.12.0'));
    for (const n of [...DEFAULT_COMPOSE.regions, 'directory'])
      expect((proxy.networks as Record<string, { aliases: string[] }>)[n]?.aliases).toEqual(['proxy']);
    const byPort = new Map(proxies.map((p) => [p.listen.split(':')[1], p]));
    for (const s of Object.values(compose.services).filter((x) => x.labels['chatquake.role'] === 'server')) {
      const command = s.command as string;
      const [region, node] = (s.labels['chatquake.node'] as string).split('/');
      // --directory and every --peers entry name a proxy port whose upstream is the right service.
      const directory = /--directory http:\/\/proxy:(\d+)/.exec(command)?.[1];
      expect(byPort.get(directory)?.upstream).toBe('directory:7000');
      const peers = /--peers (\S+)/.exec(command)?.[1]?.split(',') ?? [];
      expect(peers).toHaveLength(DEFAULT_COMPOSE.regions.length - 1);
      for (const entry of peers) {
        const [peer, url] = entry.split('=') as [string, string];
        const port = /proxy:(\d+)$/.exec(url)?.[1];
        const link = byPort.get(port);
        expect(link?.upstream).toBe(`${peer.replace('/', '-')}:8080`);
        expect(link?.name).toContain(`${region}->`);
      }
      expect(command).toContain(`--node ${node}`);
      expect(command.endsWith(variable('CHATQUAKE_NODE_FLAGS'))).toBe(true);
    }
    const plan = planContainers('x', planLayout([...DEFAULT_COMPOSE.regions], 1));
    expect(proxies.map((p) => p.name).sort()).toEqual(plan.proxies.map((p) => p.name).sort());
  });

  it('runs the harness in compose mode on every cloud, and publishes only on loopback', () => {
    const harness = compose.services.harness as Service;
    expect(harness.command).toBe(
      `run ${variable('CHATQUAKE_SCENARIO', 'region-outage')} --mode compose --metrics-port 9464 --metrics-host 0.0.0.0 ${variable('CHATQUAKE_RUN_FLAGS')}`,
    );
    expect(networksOf(harness).sort()).toEqual([...DEFAULT_COMPOSE.regions].sort());
    expect(Object.keys(harness.depends_on as object).sort()).toEqual([
      'ap-south-n1',
      'eu-west-n1',
      'us-east-n1',
    ]);
    const published = Object.values(compose.services).flatMap((s) => s.ports ?? []);
    expect(published.length).toBe(3);
    for (const port of published) expect(port.startsWith('127.0.0.1:')).toBe(true);
  });

  it('passes OTEL_* through to the nodes and the harness, only when the shell sets them', () => {
    const tracers = Object.values(compose.services).filter((x) =>
      ['server', 'harness'].includes(x.labels['chatquake.role'] as string),
    );
    expect(tracers).toHaveLength(4);
    for (const service of tracers) {
      const env = (service as unknown as { environment: Record<string, string | null> }).environment;
      for (const name of OTEL_PASSTHROUGH) expect(env[name]).toBeNull();
    }
    // Docker mode hands a container the OTEL_* variables this process has, and nothing else.
    expect(otelVariables({ OTEL_TRACES_EXPORTER: 'otlp', HOME: '/root', OTEL_X: undefined })).toEqual({
      OTEL_TRACES_EXPORTER: 'otlp',
    });
  });

  it('scrapes every node, the proxy and the harness', () => {
    const text = generated['compose/prometheus.yml'];
    for (const target of [
      'eu-west-n1:8080',
      'us-east-n1:8080',
      'ap-south-n1:8080',
      'proxy:8474',
      'harness:9464',
    ])
      expect(text).toContain(target);
  });
});

describe('attaching to a compose topology', () => {
  const plan = planContainers('x', planLayout(['eu-west', 'us-east'], 1));
  const cmd = (extra: string[] = []) => ['server', '--ack', 'replicated', '--lease-ms', '2000', ...extra];
  const found = (extra: string[] = []) =>
    new Map([
      ['eu-west/n1', { cmd: cmd(extra) }],
      ['us-east/n1', { cmd: cmd(extra) }],
    ]);

  it('accepts the nodes the scenario asks for', () => {
    expect(() => checkComposeNodes(found(), plan, {})).not.toThrow();
    expect(() =>
      checkComposeNodes(found(['--bug', 'ack-early']), plan, { bugs: ['ack-early'] }),
    ).not.toThrow();
  });

  it('refuses other nodes, another ack level or lease, or other bugs, naming the field', () => {
    const one = new Map([['eu-west/n1', { cmd: cmd() }]]);
    expect(() => checkComposeNodes(one, plan, {})).toThrow(/^scenario\.topology: .*eu-west\/n1, us-east\/n1/);
    expect(() => checkComposeNodes(found(), plan, { ack: 'stored' })).toThrow(/^scenario\.topology\.ack: /);
    expect(() => checkComposeNodes(found(), plan, { leaseMs: 500 })).toThrow(
      /^scenario\.topology\.leaseMs: /,
    );
    expect(() => checkComposeNodes(found(['--bug', 'ack-early']), plan, {})).toThrow(
      /^scenario\.topology\.bugs: node eu-west\/n1 runs with bugs \[ack-early\]/,
    );
  });

  it('refuses a scenario that adds nodes, before anything starts', async () => {
    const error = await prepareRun(parseRunFlags(['surge', '--mode', 'compose'], 'run')).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ScenarioError);
    expect((error as Error).message).toMatch(/^scenario\.chaos: add-node adds nodes/);
    await expect(prepareRun(parseRunFlags(['surge', '--mode', 'docker'], 'run'))).resolves.toBeDefined();
  });

  it('gives a run ids of its own, leaving the plan as it was', () => {
    const workload = {
      users: [{ id: 'u0', region: 'eu-west' }],
      conversations: [{ id: 'dm0', members: ['u0', 'u1'], residency: ['eu-west'] }],
    };
    const prefixed = withIdPrefix(workload, 'r1a2b3c.');
    expect(prefixed.users).toEqual([{ id: 'r1a2b3c.u0', region: 'eu-west' }]);
    expect(prefixed.conversations).toEqual([
      { id: 'r1a2b3c.dm0', members: ['r1a2b3c.u0', 'r1a2b3c.u1'], residency: ['eu-west'] },
    ]);
    expect(workload.conversations[0]?.id).toBe('dm0');
  });
});
