// The node containers of a docker topology: each node's command line (its peers by alias or
// through the proxy container), its start as a labelled container on its region's network with
// its admin port published on a fixed host port (so a restart keeps the address), and a restart
// of the same container, ready once its health check answers.

import { join } from 'node:path';
import { credentialsOf } from '../local/topology/node-args.ts';
import type { NodeInfo } from '../local/topology/types.ts';
import { freePort } from '../local/topology.ts';
import { startContainer } from './engine.ts';
import { type ContainerProxyPlan, NODE_PORT, nodeAlias, PROXY_ALIAS, peersFlag } from './plan.ts';
import type { DockerState, NodeContainer } from './state.ts';

const READY_TIMEOUT_MS = 60_000;

export function nodeArgs(state: DockerState, region: string, node: string): string[] {
  const { options } = state;
  const dir = [...state.proxies.values()].find(
    (p) => p.kind === 'dir' && p.nodeRegion === region && p.node === node,
  );
  const args = [
    'server',
    '--region',
    region,
    '--node',
    node,
    '--host',
    '0.0.0.0',
    '--port',
    String(NODE_PORT),
    '--data',
    '/data',
    '--ack',
    options.ack ?? 'replicated',
    '--lease-ms',
    String(state.leaseMs),
  ];
  if (dir !== undefined) args.push('--directory', `http://${PROXY_ALIAS}:${dir.port}`);
  const nodes = [...state.nodes.values()].map((n) => n.info);
  const peers = peersFlag(nodes, [...state.proxies.values()] as ContainerProxyPlan[], region, node);
  if (peers !== '') args.push('--peers', peers);
  for (const bug of options.bugs ?? []) args.push('--bug', bug);
  args.push(...(options.serverArgs ?? []));
  return args;
}

/** A node not started yet, with its admin port reserved on the host. */
export async function newNodeContainer(
  state: DockerState,
  region: string,
  node: string,
): Promise<NodeContainer> {
  const port = await freePort('127.0.0.1');
  const info: NodeInfo = {
    region,
    node,
    host: '127.0.0.1',
    port,
    httpUrl: `http://127.0.0.1:${port}`,
    clientUrl: '',
    dataDir: `${nodeAlias(region, node)}:/data (in the container)`,
    logFile: join(state.logsDir, `${region}-${node}.log`),
    pid: undefined,
    running: false,
  };
  return { info, id: undefined, lock: Promise.resolve() };
}

export async function startNodeContainer(state: DockerState, node: NodeContainer): Promise<void> {
  if (state.closed) throw new Error('the topology is closed');
  const { region, node: name } = node.info;
  const network = state.networks.get(region);
  if (network === undefined) throw new Error(`no network for region ${region}`);
  if (node.id !== undefined) {
    // The same container again: its filesystem, and so the node's SQLite data, survives.
    await state.actions.start(node.id);
    await waitHealthy(node.info.httpUrl, `${region}/${name}`);
    node.info.running = true;
    return;
  }
  state.status(`starting ${region}/${name}`);
  const started = await startContainer(state.options.image, {
    command: nodeArgs(state, region, name),
    network,
    aliases: [nodeAlias(region, name)],
    labels: { ...state.labels, 'chatquake.role': 'server', 'chatquake.node': `${region}/${name}` },
    env: credentialsOf(state.options),
    ports: [{ container: NODE_PORT, host: node.info.port }],
  });
  node.id = started.id;
  state.containers.push({ id: started.id, logFile: node.info.logFile });
  node.info.running = true;
}

async function waitHealthy(url: string, name: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const ok = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) })
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${name} did not answer ${url}/healthz within ${READY_TIMEOUT_MS} ms after its restart`);
}

/** Runs one lifecycle step of a node after the one before, whether that failed or not. */
export function serially(node: NodeContainer, step: () => Promise<void>): Promise<void> {
  const next = node.lock.then(step, step);
  node.lock = next.catch(() => {});
  return next;
}
