// The client suites against the real reference cluster (reference-server, node-pause) share
// one lifecycle: a cluster with 1 s leases started before the file's tests (a minute allowed)
// and stopped after them, once every client the file opened is closed.
import { afterAll, beforeAll } from 'vitest';
import type { ImClient } from '../../client/index.ts';
import { type Cluster, startCluster } from '../support/cluster.ts';

export interface ClusterSuite {
  /** The running cluster; read it in tests and hooks, not while the file is being collected. */
  readonly cluster: Cluster;
  /** The clients the file opened, closed after its tests and before the cluster stops. */
  readonly clients: ImClient[];
}

/** Registers the hooks that start and stop a cluster of `regions` around this file's tests. */
export function clusterSuite(regions: string[]): ClusterSuite {
  let cluster: Cluster | undefined;
  const clients: ImClient[] = [];
  beforeAll(async () => {
    cluster = await startCluster({ regions, leaseMs: 1000 });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await cluster?.stop();
  });
  return {
    get cluster(): Cluster {
      if (cluster === undefined) throw new Error('the cluster has not started');
      return cluster;
    },
    clients,
  };
}
