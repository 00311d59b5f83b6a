// The reference IM server as a target: its bug knobs, its placement (rendezvous hashing over the
// regions a conversation may live in, so homes are known before anything starts) and the
// commands that run its node, directory and token tool. The MessagingTarget is in target.ts.
import { BugName } from '../../../contracts/wire.ts';
import { rendezvousOrder } from '../../../im-server/index.ts';
import type { TargetDefinition } from '../types.ts';

export { createReferenceTarget, type ReferenceTargetOptions, toSessionEvent } from './target.ts';

export const referenceTarget: TargetDefinition = {
  name: 'reference',
  bugs: BugName.options,
  homeRegionOf(conv, regions) {
    const allowed = conv.residency?.filter((r) => regions.includes(r)) ?? regions;
    return rendezvousOrder(conv.id, allowed)[0];
  },
  commands: {
    server: {
      summary: 'run one reference IM server node',
      usage:
        'chatquake server --region R --node N --port P [--host 127.0.0.1] --data DIR --secret S --admin-token A [--directory URL] [--peers region/node=url,...] [--ack stored|replicated] [--replicas W] [--lease-ms N] [--max-frame-bytes N] [--max-body-bytes N] [--max-connections N] [--max-frame-rate N] [--max-buffered-bytes N] [--max-buffered-total-bytes N] [--fsync] [--bug NAME]...',
      load: () => import('../../../im-server/main.ts'),
    },
    directory: {
      summary: 'run the directory (lease) service that fences conversation homes',
      usage:
        'chatquake directory --port P [--host 127.0.0.1] [--lease-ms 3000] [--data DIR] [--secret S] [--admin-token A]',
      load: () => import('../../../im-server/directory-main.ts'),
    },
    token: {
      summary: 'print a signed token for a user',
      usage: 'chatquake token --user U --secret S [--ttl SECONDS]',
      load: () => import('../../../im-server/token-main.ts'),
    },
  },
};
