// What a local topology knows while it lives, in one explicit object that each part (services,
// proxies, nodes, teardown, the handle) is given: the settled options, every service and node
// it started, every proxy it created, and whether it is closing.
import { join } from 'node:path';
import type { ToxiproxyClient } from '../../../chaos/index.ts';
import { type CleanupRegistry, cleanup as defaultCleanup } from '../cleanup.ts';
import type { Service } from '../processes.ts';
import type { LocalTopologyOptions, NodeInfo, ProxyInfo } from './types.ts';

export interface NodeState {
  info: NodeInfo;
  service: Service | undefined;
  args: string[];
  /** Serialises start/stop of one node. */
  lock: Promise<void>;
}

export interface TopologyState {
  readonly options: LocalTopologyOptions;
  readonly registry: CleanupRegistry;
  readonly regions: string[];
  readonly nodesPerRegion: number;
  readonly leaseMs: number;
  readonly status: (message: string) => void;
  readonly logsDir: string;
  readonly dataDir: string;
  /** The Toxiproxy to use instead of the embedded proxy, if any. */
  readonly toxiproxyUrl: string | undefined;
  /** The directory and the embedded proxy, in start order. */
  readonly services: Service[];
  readonly nodeStates: Map<string, NodeState>;
  readonly proxies: Map<string, ProxyInfo>;
  /** Set when teardown begins: no node starts after that. */
  closed: boolean;
  /** The external Toxiproxy once connected; it outlives the run. */
  external: ToxiproxyClient | undefined;
}

/** The state of a topology not started yet, with every default applied. */
export function createTopologyState(options: LocalTopologyOptions): TopologyState {
  return {
    options,
    registry: options.registry ?? defaultCleanup,
    regions: [...options.regions],
    nodesPerRegion: options.nodesPerRegion ?? 1,
    leaseMs: options.leaseMs ?? 2000,
    status: options.onStatus ?? (() => {}),
    logsDir: join(options.runDir, 'logs'),
    dataDir: join(options.runDir, 'data'),
    toxiproxyUrl: options.toxiproxyUrl ?? process.env.TOXIPROXY_URL,
    services: [],
    nodeStates: new Map(),
    proxies: new Map(),
    closed: false,
    external: undefined,
  };
}

export const nodeKey = (region: string, node: string): string => `${region}/${node}`;

/** A node not started yet, on the address its proxies and peers will name. */
export function newNodeState(
  state: TopologyState,
  region: string,
  node: string,
  host: string,
  port: number,
): NodeState {
  return {
    info: nodeInfo(region, node, host, port, state.logsDir, state.dataDir),
    service: undefined,
    args: [],
    lock: Promise.resolve(),
  };
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
