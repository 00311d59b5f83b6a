// The node processes of a local topology: ports reserved before any node starts, start (ready
// on the expected port, or stopped and refused), stop or kill, one lifecycle step at a time
// per node.
import { createServer } from 'node:net';
import type { TopologyLayout } from '../layout.ts';
import { readyPort, ServiceStartError, startService } from '../processes.ts';
import { credentialsEnv } from './node-args.ts';
import { type NodeState, newNodeState, nodeKey, type TopologyState } from './state.ts';

/** A port that was free on `host` a moment ago; the caller binds it next. */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error(`no port on ${host}`))));
    });
  });
}

/**
 * Node ports are picked before any node starts, so every proxy and peer list can name
 * them, and a restarted node comes back where its proxies and peers expect it.
 */
export async function reserveNodes(state: TopologyState, layout: TopologyLayout): Promise<void> {
  for (const region of layout.regions) {
    for (const node of region.nodes) {
      const port = await freePort(node.host);
      state.nodeStates.set(
        nodeKey(region.name, node.node),
        newNodeState(state, region.name, node.node, node.host, port),
      );
    }
  }
}

export function nodeStateOf(state: TopologyState, region: string, node: string): NodeState {
  const found = state.nodeStates.get(nodeKey(region, node));
  if (found === undefined) throw new Error(`no node ${region}/${node} in this topology`);
  return found;
}

export async function startNode(state: TopologyState, node: NodeState): Promise<void> {
  if (state.closed) throw new Error('the topology is closed');
  if (node.service?.isRunning()) return;
  const name = `${node.info.region}/${node.info.node}`;
  const service = await startService({
    name,
    args: node.args,
    env: credentialsEnv(state.options),
    logFile: node.info.logFile,
    registry: state.registry,
    ledger: state.options.ledger,
  });
  node.service = service;
  node.info.pid = service.pid;
  node.info.running = true;
  const reported = readyPort(service);
  if (reported !== node.info.port) {
    await service.stop();
    throw new ServiceStartError(`${name} listened on ${reported}, expected ${node.info.port}`);
  }
  service.exited().then(() => {
    if (node.service === service) {
      node.info.running = false;
      node.info.pid = undefined;
    }
  });
}

export async function stopNode(node: NodeState, how: 'kill' | 'stop'): Promise<void> {
  const service = node.service;
  if (service === undefined) return;
  if (how === 'kill') await service.kill();
  else await service.stop();
  if (node.service === service) {
    node.service = undefined;
    node.info.running = false;
    node.info.pid = undefined;
  }
}

/** Runs one lifecycle step of a node after the one before, whether that failed or not. */
export function serially(node: NodeState, step: () => Promise<void>): Promise<void> {
  const next = node.lock.then(step, step);
  node.lock = next.catch(() => {});
  return next;
}
