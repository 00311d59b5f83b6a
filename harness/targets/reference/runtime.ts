// The reference server's runtime: its topology as processes, containers or an attached compose
// project (harness/local, harness/docker), and the target over it, the client SDK for sessions
// and the nodes' admin API for reads and clock faults. A node a fault adds joins its region's
// endpoint lists, which the target reads on every call.
import { createRandom } from '../../../lib/random.ts';
import { attachComposeTopology } from '../../docker/attach.ts';
import { startDockerTopology } from '../../docker/topology.ts';
import { type NodeInfo, startLocalTopology } from '../../local/topology.ts';
import type { TargetRuntime } from '../types.ts';
import { createAdminBackend } from './admin.ts';
import { createReferenceTarget } from './target.ts';

export const referenceRuntime: TargetRuntime = {
  startTopology(options, where) {
    if (where.mode === 'docker') return startDockerTopology({ ...options, image: where.image });
    if (where.mode === 'compose') return attachComposeTopology(options);
    return startLocalTopology(options);
  },
  connect(topology, { seed }) {
    // The adapter reads these arrays on every call: a node added mid-run is appended here.
    const regions = topology.regionEndpoints();
    const clientRandom = createRandom(seed).fork('client');
    const target = createReferenceTarget({
      regions,
      secret: topology.secret,
      adminToken: topology.adminToken,
      random: () => clientRandom.next(),
    });
    const admin = createAdminBackend({
      adminToken: topology.adminToken,
      adminUrlOf: (id: string) => {
        const slash = id.indexOf('/');
        return topology.node(id.slice(0, slash), id.slice(slash + 1)).httpUrl;
      },
    });
    const onNodeAdded = (info: NodeInfo) => {
      const region = regions.find((r) => r.name === info.region);
      region?.endpoints.push(info.clientUrl);
      region?.adminUrls.push(info.httpUrl);
    };
    return { target, admin, onNodeAdded };
  },
};
