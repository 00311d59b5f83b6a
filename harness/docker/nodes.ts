// The node containers of a docker topology: each node's command line (its peers by alias or
// through the proxy container), its start as a labelled container on its region's network with
// its admin port published on a fixed host port (so a restart keeps the address), and a restart
// of the same container, ready once its health check answers.

import { join } from 'node:path';
import { sleep } from '../../lib/async.ts';
import { otelVariables } from '../../lib/trace-context.ts';
import { credentialsOf } from '../local/topology/node-args.ts';
import type { NodeInfo } from '../local/topology/types.ts';
import { freePort } from '../local/topology.ts';
import { startContainer } from './engine.ts';
import { type ContainerProxyPlan, LOG_LABEL, NODE_PORT, nodeAlias, serverCommand } from './plan.ts';
import type { DockerState, NodeContainer } from './state.ts';

const READY_TIMEOUT_MS = 60_000;

export function nodeArgs(state: DockerState, region: string, node: string): string[] {
  const { options } = state;
  return serverCommand(region, node, {
    ack: options.ack ?? 'replicated',
    leaseMs: state.leaseMs,
    bugs: options.bugs ?? [],
    extra: options.serverArgs ?? [],
    nodes: [...state.nodes.values()].map((n) => n.info),
    proxies: [...state.proxies.values()] as ContainerProxyPlan[],
  });
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
  if (node.id !== undefined) {
    // The same container again: its filesystem, and so the node's SQLite data, survives.
    await state.actions.start(node.id);
    await waitHealthy(node.info.httpUrl, `${region}/${name}`);
    node.info.running = true;
    return;
  }
  const network = state.networks.get(region);
  if (network === undefined) throw new Error(`no network for region ${region}`);
  state.status(`starting ${region}/${name}`);
  const started = await startContainer(state.options.image, {
    command: nodeArgs(state, region, name),
    network,
    aliases: [nodeAlias(region, name)],
    labels: {
      ...state.labels,
      'chatquake.role': 'server',
      'chatquake.node': `${region}/${name}`,
      [LOG_LABEL]: node.info.logFile,
    },
    // OTEL_* too: containers do not inherit the harness's environment as local nodes do.
    env: { ...otelVariables(process.env), ...credentialsOf(state.options) },
    ports: [{ container: NODE_PORT, host: node.info.port }],
  });
  node.id = started.id;
  state.containers.push({ id: started.id, logFile: node.info.logFile });
  node.info.running = true;
}

/** Resolves once the node's /healthz answers 200; throws after a minute. */
export async function waitHealthy(url: string, name: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const ok = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) })
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return;
    await sleep(200);
  }
  throw new Error(`${name} did not answer ${url}/healthz within ${READY_TIMEOUT_MS} ms`);
}

/** Runs one lifecycle step of a node after the one before, whether that failed or not. */
export function serially(node: NodeContainer, step: () => Promise<void>): Promise<void> {
  const next = node.lock.then(step, step);
  node.lock = next.catch(() => {});
  return next;
}
