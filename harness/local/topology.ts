// Local mode: the whole multi-cloud system on this machine. One directory process, one fault
// proxy process (or an external Toxiproxy), and N reference-server nodes per region, each a
// child process on its region's loopback block. Every path a fault may cut goes through a proxy:
// clients → node (edge), region → other region's node (link), node → directory (dir).
// Same-region peers talk directly, as nodes in one data centre would.
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createToxiproxyClient, type ToxiproxyClient } from '../../chaos/index.ts';
import { type CleanupRegistry, cleanup as defaultCleanup } from './cleanup.ts';
import {
  DIRECTORY_HOST,
  dirProxyName,
  edgeProxyName,
  linkProxyName,
  nodeHost,
  nodeName,
  type ProxyLayout,
  planLayout,
  proxiesForNode,
} from './layout.ts';
import { readyPort, type Service, ServiceStartError, startService } from './processes.ts';

export interface LocalTopologyOptions {
  /** Logs go to `<runDir>/logs`, node data to `<runDir>/data`. */
  runDir: string;
  regions: string[];
  /** Default 1. */
  nodesPerRegion?: number;
  /** Server ack level. Default 'replicated'. */
  ack?: 'stored' | 'replicated';
  /** Directory lease, ms. Default 2000. */
  leaseMs?: number;
  /** Server bug knobs, passed to every node. */
  bugs?: string[];
  /** Seeds the fault proxy's random choices. */
  seed: number;
  secret: string;
  adminToken: string;
  /** Use this Toxiproxy instead of starting the embedded proxy. Default: $TOXIPROXY_URL. */
  toxiproxyUrl?: string;
  /** Extra server flags, for tests and experiments. */
  serverArgs?: string[];
  registry?: CleanupRegistry;
  /** Progress messages ("starting eu-west/n1"). */
  onStatus?: (message: string) => void;
}

export interface ProxyInfo extends ProxyLayout {
  /** The bound address, host:port. */
  listen: string;
  upstream: string;
}

export interface NodeInfo {
  region: string;
  node: string;
  host: string;
  port: number;
  /** http://host:port, the node's own address (admin API, health). */
  httpUrl: string;
  /** ws://edge-proxy/ws, what clients dial. */
  clientUrl: string;
  dataDir: string;
  logFile: string;
  /** Undefined while the node is stopped. */
  pid: number | undefined;
  running: boolean;
}

export interface TopologyDescription {
  regions: { name: string; nodes: string[] }[];
  directoryUrl: string;
  proxyApiUrl: string;
  proxies: ProxyInfo[];
  nodes: NodeInfo[];
}

export interface LocalTopology {
  readonly regions: string[];
  readonly secret: string;
  readonly adminToken: string;
  readonly directoryUrl: string;
  /** The Toxiproxy API the chaos backend drives. */
  readonly proxyApiUrl: string;
  readonly toxiproxy: ToxiproxyClient;
  nodes(region?: string): NodeInfo[];
  node(region: string, node: string): NodeInfo;
  proxies(): ProxyInfo[];
  proxy(name: string): ProxyInfo;
  /** Client endpoints per region (edge proxy URLs) and admin URLs (direct), for the target. */
  regionEndpoints(): { name: string; endpoints: string[]; adminUrls: string[] }[];
  pidOf(region: string, node: string): number | undefined;
  /** SIGKILL (`kill`) or SIGTERM with grace (`stop`). Idempotent. */
  stopNode(region: string, node: string, how?: 'kill' | 'stop'): Promise<void>;
  /** Starts a stopped node again on its address, port and data. Idempotent. */
  startNode(region: string, node: string): Promise<void>;
  /** Starts a new node in a region, with its proxies; returns its name. */
  addNode(region: string): Promise<NodeInfo>;
  /** Stops a node for good and removes its proxies. */
  removeNode(region: string, node: string): Promise<void>;
  setProxyEnabled(name: string, enabled: boolean): Promise<void>;
  describe(): TopologyDescription;
  /** Stops everything it started. Idempotent. */
  close(): Promise<void>;
}

interface NodeState {
  info: NodeInfo;
  service: Service | undefined;
  args: string[];
  /** Serialises start/stop of one node. */
  lock: Promise<void>;
}

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

export async function startLocalTopology(options: LocalTopologyOptions): Promise<LocalTopology> {
  const registry = options.registry ?? defaultCleanup;
  const regions = [...options.regions];
  const nodesPerRegion = options.nodesPerRegion ?? 1;
  const leaseMs = options.leaseMs ?? 2000;
  const status = options.onStatus ?? (() => {});
  const logsDir = join(options.runDir, 'logs');
  const dataDir = join(options.runDir, 'data');
  mkdirSync(logsDir, { recursive: true });
  mkdirSync(dataDir, { recursive: true });
  const layout = planLayout(regions, nodesPerRegion);

  const services: Service[] = [];
  const nodeStates = new Map<string, NodeState>();
  const proxies = new Map<string, ProxyInfo>();
  let closed = false;
  let closing: Promise<void> | undefined;
  const key = (region: string, node: string) => `${region}/${node}`;

  const stopState = async (state: NodeState, how: 'kill' | 'stop'): Promise<void> => {
    const service = state.service;
    if (service === undefined) return;
    if (how === 'kill') await service.kill();
    else await service.stop();
    if (state.service === service) {
      state.service = undefined;
      state.info.running = false;
      state.info.pid = undefined;
    }
  };

  const close = (): Promise<void> => {
    closing ??= (async () => {
      closed = true;
      // Nodes first (they hold client connections), then the proxy, then the directory.
      await Promise.all([...nodeStates.values()].map((state) => stopState(state, 'stop')));
      if (external !== undefined) {
        // An external Toxiproxy outlives the run: remove what we created there.
        await Promise.all([...proxies.keys()].map((name) => external?.deleteProxy(name).catch(() => {})));
      }
      for (const service of services.reverse()) await service.stop();
      unregister();
    })();
    return closing;
  };
  const unregister = registry.add('local topology', close);

  const externalUrl = options.toxiproxyUrl ?? process.env.TOXIPROXY_URL;
  let external: ToxiproxyClient | undefined;
  try {
    status('starting the directory');
    const directory = await startService({
      name: 'directory',
      args: [
        'directory',
        '--host',
        DIRECTORY_HOST,
        '--port',
        '0',
        '--lease-ms',
        String(leaseMs),
        '--data',
        join(dataDir, 'directory'),
        '--secret',
        options.secret,
        '--admin-token',
        options.adminToken,
      ],
      logFile: join(logsDir, 'directory.log'),
      registry,
    });
    services.push(directory);
    const directoryPort = readyPort(directory);
    const directoryAddress = `${DIRECTORY_HOST}:${directoryPort}`;

    let toxiproxy: ToxiproxyClient;
    if (externalUrl !== undefined && externalUrl !== '') {
      status(`using the Toxiproxy at ${externalUrl}`);
      external = createToxiproxyClient(externalUrl);
      toxiproxy = external;
      await toxiproxy.version();
    } else {
      status('starting the fault proxy');
      const proxyService = await startService({
        name: 'proxy',
        args: ['proxy', '--host', '127.0.0.1', '--port', '0', '--seed', String(options.seed)],
        logFile: join(logsDir, 'proxy.log'),
        registry,
      });
      services.push(proxyService);
      toxiproxy = createToxiproxyClient(`http://127.0.0.1:${readyPort(proxyService)}`, { timeoutMs: 10_000 });
    }

    // Node ports are picked before any node starts, so every proxy and peer list can name
    // them, and a restarted node comes back where its proxies and peers expect it.
    for (const region of layout.regions) {
      for (const node of region.nodes) {
        const port = await freePort(node.host);
        nodeStates.set(key(region.name, node.node), {
          info: nodeInfo(region.name, node.node, node.host, port, logsDir, dataDir),
          service: undefined,
          args: [],
          lock: Promise.resolve(),
        });
      }
    }

    const upstreamOf = (proxy: ProxyLayout): string => {
      if (proxy.kind === 'dir') return directoryAddress;
      const target = nodeStates.get(key(proxy.nodeRegion, proxy.node));
      if (target === undefined) throw new Error(`no node ${proxy.nodeRegion}/${proxy.node}`);
      return `${target.info.host}:${target.info.port}`;
    };
    const createProxy = async (proxy: ProxyLayout): Promise<ProxyInfo> => {
      // A run killed before its teardown leaves its proxies in an external Toxiproxy; the names
      // are this topology's, so a leftover is replaced rather than refused with a 409.
      if (external !== undefined) await external.deleteProxy(proxy.name).catch(() => {});
      const created = await toxiproxy.createProxy({
        name: proxy.name,
        listen: `${proxy.listenHost}:0`,
        upstream: upstreamOf(proxy),
      });
      const info: ProxyInfo = { ...proxy, listen: created.listen, upstream: created.upstream };
      proxies.set(proxy.name, info);
      return info;
    };
    status(`creating ${layout.proxies.length} proxies`);
    for (const proxy of layout.proxies) await createProxy(proxy);
    for (const state of nodeStates.values()) {
      state.info.clientUrl = `ws://${proxies.get(edgeProxyName(state.info.region, state.info.node))?.listen}/ws`;
    }

    const peersOf = (region: string, node: string): string => {
      const entries: string[] = [];
      for (const state of nodeStates.values()) {
        const peer = state.info;
        if (peer.region === region && peer.node === node) continue;
        const address =
          peer.region === region
            ? `${peer.host}:${peer.port}`
            : proxies.get(linkProxyName(region, peer.region, peer.node))?.listen;
        if (address === undefined) continue;
        entries.push(`${peer.region}/${peer.node}=http://${address}`);
      }
      return entries.join(',');
    };
    const argsOf = (info: NodeInfo): string[] => {
      const dirListen = proxies.get(dirProxyName(info.region, info.node))?.listen;
      const args = [
        'server',
        '--region',
        info.region,
        '--node',
        info.node,
        '--host',
        info.host,
        '--port',
        String(info.port),
        '--data',
        info.dataDir,
        '--secret',
        options.secret,
        '--admin-token',
        options.adminToken,
        '--directory',
        `http://${dirListen}`,
        '--ack',
        options.ack ?? 'replicated',
        '--lease-ms',
        String(leaseMs),
      ];
      const peers = peersOf(info.region, info.node);
      if (peers !== '') args.push('--peers', peers);
      for (const bug of options.bugs ?? []) args.push('--bug', bug);
      args.push(...(options.serverArgs ?? []));
      return args;
    };

    const startState = async (state: NodeState): Promise<void> => {
      if (closed) throw new Error('the topology is closed');
      if (state.service?.isRunning()) return;
      const name = `${state.info.region}/${state.info.node}`;
      const service = await startService({
        name,
        args: state.args,
        logFile: state.info.logFile,
        registry,
      });
      state.service = service;
      state.info.pid = service.pid;
      state.info.running = true;
      const reported = readyPort(service);
      if (reported !== state.info.port) {
        await service.stop();
        throw new ServiceStartError(`${name} listened on ${reported}, expected ${state.info.port}`);
      }
      service.exited().then(() => {
        if (state.service === service) {
          state.info.running = false;
          state.info.pid = undefined;
        }
      });
    };
    const serially = (state: NodeState, step: () => Promise<void>): Promise<void> => {
      const next = state.lock.then(step, step);
      state.lock = next.catch(() => {});
      return next;
    };
    const stateOf = (region: string, node: string): NodeState => {
      const state = nodeStates.get(key(region, node));
      if (state === undefined) throw new Error(`no node ${region}/${node} in this topology`);
      return state;
    };

    for (const state of nodeStates.values()) state.args = argsOf(state.info);
    status(`starting ${nodeStates.size} nodes`);
    await Promise.all([...nodeStates.values()].map((state) => startState(state)));

    const topology: LocalTopology = {
      regions,
      secret: options.secret,
      adminToken: options.adminToken,
      directoryUrl: `http://${directoryAddress}`,
      proxyApiUrl: toxiproxy.url,
      toxiproxy,
      nodes(region) {
        const all = [...nodeStates.values()].map((s) => s.info);
        return region === undefined ? all : all.filter((n) => n.region === region);
      },
      node(region, node) {
        return stateOf(region, node).info;
      },
      proxies() {
        return [...proxies.values()];
      },
      proxy(name) {
        const proxy = proxies.get(name);
        if (proxy === undefined) throw new Error(`no proxy named "${name}"`);
        return proxy;
      },
      regionEndpoints() {
        return regions.map((name) => {
          const nodes = topology.nodes(name);
          return {
            name,
            endpoints: nodes.map((n) => n.clientUrl),
            adminUrls: nodes.map((n) => n.httpUrl),
          };
        });
      },
      pidOf(region, node) {
        return stateOf(region, node).info.pid;
      },
      stopNode(region, node, how = 'kill') {
        const state = stateOf(region, node);
        return serially(state, () => stopState(state, how));
      },
      startNode(region, node) {
        const state = stateOf(region, node);
        return serially(state, () => startState(state));
      },
      async addNode(region) {
        const index = regions.indexOf(region);
        if (index < 0) throw new Error(`unknown region "${region}"`);
        let ordinal = 1;
        while (nodeStates.has(key(region, nodeName(ordinal)))) ordinal++;
        const node = nodeName(ordinal);
        const host = nodeHost(index, ordinal);
        const port = await freePort(host);
        const state: NodeState = {
          info: nodeInfo(region, node, host, port, logsDir, dataDir),
          service: undefined,
          args: [],
          lock: Promise.resolve(),
        };
        nodeStates.set(key(region, node), state);
        for (const proxy of proxiesForNode(regions, region, node)) await createProxy(proxy);
        state.info.clientUrl = `ws://${proxies.get(edgeProxyName(region, node))?.listen}/ws`;
        // Existing nodes learn of the newcomer through the directory, if the server supports
        // it; their --peers lists are fixed at start (see docs/SCENARIOS.md).
        state.args = argsOf(state.info);
        status(`adding ${region}/${node}`);
        await serially(state, () => startState(state));
        return state.info;
      },
      async removeNode(region, node) {
        const state = stateOf(region, node);
        await serially(state, () => stopState(state, 'stop'));
        nodeStates.delete(key(region, node));
        for (const proxy of proxiesForNode(regions, region, node)) {
          await toxiproxy.deleteProxy(proxy.name).catch(() => {});
          proxies.delete(proxy.name);
        }
      },
      async setProxyEnabled(name, enabled) {
        topology.proxy(name);
        await toxiproxy.updateProxy(name, { enabled });
      },
      describe() {
        return {
          regions: regions.map((name) => ({ name, nodes: topology.nodes(name).map((n) => n.node) })),
          directoryUrl: topology.directoryUrl,
          proxyApiUrl: topology.proxyApiUrl,
          proxies: topology.proxies(),
          nodes: topology.nodes().map((n) => ({ ...n })),
        };
      },
      close,
    };
    return topology;
  } catch (error) {
    await close();
    throw error;
  }
}

function nodeInfo(
  region: string,
  node: string,
  host: string,
  port: number,
  logsDir: string,
  dataDir: string,
): NodeInfo {
  return {
    region,
    node,
    host,
    port,
    httpUrl: `http://${host}:${port}`,
    clientUrl: '',
    dataDir: join(dataDir, `${region}-${node}`),
    logFile: join(logsDir, `${region}-${node}.log`),
    pid: undefined,
    running: false,
  };
}
