// Docker mode's plan as data: one network per region plus the directory's, edge proxies on
// published ports (with spares for scale-out), links and dir proxies on inner ports, peers by
// alias in the region and through the proxy container across regions; and the --mode flag.
import { describe, expect, it } from 'vitest';
import { parseRunFlags } from '../../harness/cli/flags.ts';
import { ownerMayLive } from '../../harness/docker/leftovers.ts';
import { peersFlag, planContainers, SPARE_EDGE_PORTS } from '../../harness/docker/plan.ts';
import { planLayout } from '../../harness/local/layout.ts';

describe('planContainers', () => {
  const plan = planContainers('cq-x', planLayout(['eu', 'us'], 2));

  it('gives each region a network and the directory its own', () => {
    expect(plan.networks.map((n) => n.name)).toEqual(['cq-x-eu', 'cq-x-us', 'cq-x-directory']);
    expect(plan.nodes.map((n) => `${n.alias}@${n.network}`)).toEqual([
      'eu-n1@cq-x-eu',
      'eu-n2@cq-x-eu',
      'us-n1@cq-x-us',
      'us-n2@cq-x-us',
    ]);
  });

  it('publishes the API and every edge port, with spares, and no inner port', () => {
    const edges = plan.proxies.filter((p) => p.kind === 'edge');
    expect(edges.map((p) => p.port)).toEqual([8666, 8667, 8668, 8669]);
    expect(plan.publishedProxyPorts).toHaveLength(1 + edges.length + SPARE_EDGE_PORTS);
    for (const p of plan.proxies.filter((x) => x.kind !== 'edge'))
      expect(plan.publishedProxyPorts).not.toContain(p.port);
    const ports = plan.proxies.map((p) => p.port);
    expect(new Set(ports).size).toBe(ports.length);
    expect(plan.proxies.find((p) => p.name === 'dir:eu.n1')?.upstream).toBe('directory:7000');
    expect(plan.proxies.find((p) => p.name === 'link:us->eu.n2')?.upstream).toBe('eu-n2:8080');
  });

  it('lists same-region peers by alias and other regions through their link proxy', () => {
    const peers = peersFlag(plan.nodes, plan.proxies, 'eu', 'n1').split(',');
    const link = plan.proxies.find((p) => p.name === 'link:eu->us.n1');
    expect(peers).toContain('eu/n2=http://eu-n2:8080');
    expect(peers).toContain(`us/n1=http://proxy:${link?.port}`);
    expect(peers).toHaveLength(3);
  });
});

describe('--mode and --image', () => {
  it('default to local mode and accept docker with an image', () => {
    expect(parseRunFlags(['steady-state']).mode).toBe('local');
    const flags = parseRunFlags(['steady-state', '--mode', 'docker', '--image', 'chatquake:ci']);
    expect(flags).toMatchObject({ mode: 'docker', image: 'chatquake:ci' });
  });

  it('name the flag when the value is wrong', () => {
    expect(() => parseRunFlags(['steady-state', '--mode', 'k8s'])).toThrow(
      'chatquake run: --mode: must be local, docker or compose (got "k8s")',
    );
    expect(() => parseRunFlags(['steady-state', '--image', 'bad image'])).toThrow('--image:');
  });
});

describe('ownerMayLive', () => {
  it('takes this process as alive and a dead or malformed owner as gone', () => {
    expect(ownerMayLive(`${process.pid}:unknown:unknown`)).toBe(true);
    expect(ownerMayLive('999999:1:no-such-boot')).toBe(false);
    expect(ownerMayLive('nonsense')).toBe(false);
    expect(ownerMayLive(undefined)).toBe(false);
  });
});
