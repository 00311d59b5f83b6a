// The local topology's public shapes: what starting one takes, what it reports about its nodes
// and proxies, and what the caller can do with it. Apart from the code so that every part of
// the topology (and system.ts, through topology.ts) can name them without an import cycle.
import type { ToxiproxyClient } from '../../../chaos/index.ts';
import type { CleanupRegistry } from '../cleanup.ts';
import type { ProxyLayout } from '../layout.ts';
import type { RunLedger } from '../ledger.ts';

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
  /** The run's record of what it started (processes, proxies on an external Toxiproxy), if any. */
  ledger?: RunLedger;
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
