// What a docker topology knows while it lives, in one object its parts share: the options, the
// engine, the labels every object carries, the networks, the node containers, the proxies, and
// every container it started (for the teardown, which removes them all).
import type { StartedNetwork } from 'testcontainers';
import type { ContainerControl, ToxiproxyClient } from '../../chaos/index.ts';
import type { CleanupRegistry } from '../local/cleanup.ts';
import type { LocalTopology, LocalTopologyOptions, NodeInfo, ProxyInfo } from '../local/topology/types.ts';
import type { ContainerActions } from './engine.ts';
import type { PortCounters } from './plan.ts';

export interface DockerTopologyOptions extends LocalTopologyOptions {
  /** The project image every container runs. */
  image: string;
  /** The run's id: the value of every object's chatquake.run label. */
  runId: string;
}

export interface NodeContainer {
  info: NodeInfo;
  /** Undefined until the container was created. */
  id: string | undefined;
  lock: Promise<void>;
}

export interface DockerState {
  readonly options: DockerTopologyOptions;
  readonly registry: CleanupRegistry;
  readonly regions: string[];
  readonly leaseMs: number;
  readonly logsDir: string;
  readonly labels: Record<string, string>;
  readonly status: (message: string) => void;
  readonly actions: ContainerActions;
  /** Region name (or "directory") → its network. */
  readonly networks: Map<string, StartedNetwork>;
  readonly nodes: Map<string, NodeContainer>;
  /** Proxy name → the proxy, with `listen` as the host (edge) or the containers (others) reach it. */
  readonly proxies: Map<string, ProxyInfo & { port: number }>;
  /** Every container started, in start order, with the file its logs go to at teardown. */
  readonly containers: { id: string; logFile: string }[];
  readonly counters: PortCounters;
  toxiproxy: ToxiproxyClient | undefined;
  /** Container port → host port of the proxy container. */
  proxyPorts: (port: number) => number;
  /** True for an attached compose topology: its nodes are the compose file's, none is added or removed. */
  readonly fixedNodes: boolean;
  closed: boolean;
}

export interface DockerTopology extends LocalTopology {
  readonly mode: 'docker';
  /** What the chaos container backend acts on; `onNodeAdded` as in createProcessControl. */
  containerControl(options?: { onNodeAdded?: (info: NodeInfo) => void }): ContainerControl;
}
