// The reference IM server as a target: its bug knobs, its placement (rendezvous hashing over the
// regions a conversation may live in, so homes are known before anything starts), its layout
// (every path through a proxy, the directory's included) and the commands that run its node,
// directory and token tool. The MessagingTarget is in target.ts, the runtime in runtime.ts.
import { z } from 'zod';
import { BugName } from '../../../contracts/wire.ts';
import { rendezvousOrder } from '../../../im-server/index.ts';
import { planLayout } from '../../local/layout.ts';
import type { TargetDefinition } from '../types.ts';
import { directorySpec, serverSpec, tokenSpec } from './commands.ts';

export { createReferenceTarget, type ReferenceTargetOptions, toSessionEvent } from './target.ts';

export const referenceTarget: TargetDefinition = {
  // Its MessagingTarget has `api`: the nodes' HTTP message API (target.ts).
  messageApi: true,
  // Its nodes' own gauges (im-server/metrics.ts), shown per node by `chatquake up`.
  consoleGauges: {
    homed: 'imserver_homed_conversations',
    lagSeconds: 'imserver_replication_lag_seconds',
    lagMessages: 'imserver_replication_lag_messages',
  },
  name: 'reference',
  description: "chatquake's own IM server: nodes per region, SQLite storage, replication and a directory",
  options: z.strictObject({}),
  bugs: BugName.options,
  modes: ['local', 'docker', 'compose'],
  unsupported: {},
  homeRegionOf(conv, regions) {
    const allowed = conv.residency?.filter((r) => regions.includes(r)) ?? regions;
    return rendezvousOrder(conv.id, allowed)[0];
  },
  ackLevel: (t) => t.ack,
  describeServers: (t) =>
    `${t.regions.length} regions × ${t.nodesPerRegion} node${t.nodesPerRegion === 1 ? '' : 's'}, ack ${t.ack}, lease ${t.leaseMs} ms${t.bugs.length > 0 ? `, bugs: ${t.bugs.join(', ')}` : ''}`,
  layout: planLayout,
  checkWorkload: () => [],
  commands: {
    server: { spec: serverSpec, load: () => import('../../../im-server/main.ts') },
    directory: { spec: directorySpec, load: () => import('../../../im-server/directory-main.ts') },
    token: { spec: tokenSpec, load: () => import('../../../im-server/token-main.ts') },
  },
  runtime: async () => (await import('./runtime.ts')).referenceRuntime,
};
