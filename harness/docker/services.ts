// The two containers a docker topology starts before any node: the directory on its own network,
// and the fault proxy (the Toxiproxy API) on every network under the alias `proxy`, with its API
// and edge ports published; then every proxy of the plan, made through that API.

import { join } from 'node:path';
import type { ContainerRuntimeClient } from 'testcontainers';
import { createToxiproxyClient, type ToxiproxyClient } from '../../chaos/index.ts';
import { credentialsOf } from '../local/topology/node-args.ts';
import { joinNetwork, startContainer } from './engine.ts';
import {
  type ContainerPlan,
  type ContainerProxyPlan,
  DIRECTORY_ALIAS,
  directoryCommand,
  LOG_LABEL,
  PROXY_ALIAS,
  PROXY_API_PORT,
} from './plan.ts';
import type { DockerState } from './state.ts';

function networkOf(state: DockerState, key: string) {
  const network = state.networks.get(key);
  if (network === undefined) throw new Error(`no network for ${key}`);
  return network;
}

export async function startDirectoryContainer(state: DockerState): Promise<void> {
  const { options } = state;
  state.status('starting the directory container');
  const logFile = join(state.logsDir, 'directory.log');
  const started = await startContainer(options.image, {
    command: directoryCommand(state.leaseMs),
    env: credentialsOf(options),
    network: networkOf(state, 'directory'),
    aliases: [DIRECTORY_ALIAS],
    labels: { ...state.labels, 'chatquake.role': 'directory', [LOG_LABEL]: logFile },
    ports: [],
  });
  state.containers.push({ id: started.id, logFile });
}

export async function startProxyContainer(
  client: ContainerRuntimeClient,
  state: DockerState,
  plan: ContainerPlan,
): Promise<ToxiproxyClient> {
  state.status('starting the fault proxy container');
  const logFile = join(state.logsDir, 'proxy.log');
  const [first, ...others] = [...state.regions, 'directory'];
  const started = await startContainer(state.options.image, {
    command: [
      'proxy',
      '--host',
      '0.0.0.0',
      '--port',
      String(PROXY_API_PORT),
      '--seed',
      String(state.options.seed),
    ],
    network: networkOf(state, first as string),
    aliases: [PROXY_ALIAS],
    labels: { ...state.labels, 'chatquake.role': 'proxy', [LOG_LABEL]: logFile },
    ports: plan.publishedProxyPorts,
  });
  state.containers.push({ id: started.id, logFile });
  for (const key of others) await joinNetwork(client, started.id, networkOf(state, key), [PROXY_ALIAS]);
  state.proxyPorts = started.mapped;
  const url = `http://127.0.0.1:${started.mapped(PROXY_API_PORT)}`;
  state.options.ledger?.useToxiproxy(url, false);
  return createToxiproxyClient(url, { timeoutMs: 10_000 });
}

/** Makes one proxy on the proxy container; an edge proxy is recorded with its host address. */
export async function createContainerProxy(state: DockerState, proxy: ContainerProxyPlan): Promise<void> {
  const toxiproxy = state.toxiproxy;
  if (toxiproxy === undefined) throw new Error('the fault proxy is not started');
  await toxiproxy.createProxy({
    name: proxy.name,
    listen: `0.0.0.0:${proxy.port}`,
    upstream: proxy.upstream,
  });
  const listen =
    proxy.kind === 'edge' ? `127.0.0.1:${state.proxyPorts(proxy.port)}` : `${PROXY_ALIAS}:${proxy.port}`;
  state.proxies.set(proxy.name, { ...proxy, listen, upstream: proxy.upstream });
}
