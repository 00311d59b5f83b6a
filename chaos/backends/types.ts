// The three ways chaos touches a running system. Fault modules never call these directly: they
// produce plain FaultAction data that chaos/apply.ts executes, so a dry run shows exactly what a
// real run would do.

/** One toxic, in Toxiproxy's own shape (`POST /proxies/{name}/toxics`). */
export interface ToxicSpec {
  name: string;
  type: string;
  stream: 'upstream' | 'downstream';
  /** Probability in [0, 1] that the toxic applies, drawn per connection and direction. */
  toxicity: number;
  attributes: Record<string, number>;
}

/** Network faults: the embedded proxy or a real Toxiproxy, through the same HTTP API. */
export interface ProxyBackend {
  setEnabled(proxy: string, enabled: boolean): Promise<void>;
  addToxic(proxy: string, toxic: ToxicSpec): Promise<void>;
  removeToxic(proxy: string, toxicName: string): Promise<void>;
  /**
   * Re-enables every proxy this backend may touch and removes their toxics: the whole server
   * (Toxiproxy's `POST /reset`) for createToxiproxyBackend, only the run's own proxies for
   * createScopedProxyBackend, which a run uses.
   */
  reset(): Promise<void>;
}

/** What the harness provides about the processes it started. */
export interface ProcessControl {
  /** The pid of the node's current process, or undefined when it is not running. */
  pidOf(nodeId: string): number | undefined;
  /** Starts the node again (after a crash), resolving once it is ready. */
  restart(nodeId: string): Promise<void>;
  /** Starts a new node in a region, resolving with its id once it is ready. */
  addNode(region: string): Promise<string>;
  removeNode(nodeId: string): Promise<void>;
}

/** Process faults. */
export interface ProcessBackend {
  signal(nodeId: string, signal: 'SIGKILL' | 'SIGTERM' | 'SIGSTOP' | 'SIGCONT'): Promise<void>;
  restart(nodeId: string): Promise<void>;
  addNode(region: string): Promise<string>;
  removeNode(nodeId: string): Promise<void>;
}

/** The server's admin API. */
export interface AdminBackend {
  setClockOffset(nodeId: string, offsetMs: number): Promise<void>;
}

export interface ChaosBackends {
  proxy: ProxyBackend;
  process: ProcessBackend;
  admin: AdminBackend;
}
