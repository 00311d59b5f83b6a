// The reference IM server as a target: its bug knobs, its placement (rendezvous hashing over the
// regions a conversation may live in, so homes are known before anything starts) and the
// commands that run its node, directory and token tool. The MessagingTarget is in target.ts.
import { BugName } from '../../../contracts/wire.ts';
import { rendezvousOrder } from '../../../im-server/index.ts';
import type { TargetDefinition } from '../types.ts';
import { directorySpec, serverSpec, tokenSpec } from './commands.ts';

export { createReferenceTarget, type ReferenceTargetOptions, toSessionEvent } from './target.ts';

export const referenceTarget: TargetDefinition = {
  name: 'reference',
  bugs: BugName.options,
  homeRegionOf(conv, regions) {
    const allowed = conv.residency?.filter((r) => regions.includes(r)) ?? regions;
    return rendezvousOrder(conv.id, allowed)[0];
  },
  commands: {
    server: { spec: serverSpec, load: () => import('../../../im-server/main.ts') },
    directory: { spec: directorySpec, load: () => import('../../../im-server/directory-main.ts') },
    token: { spec: tokenSpec, load: () => import('../../../im-server/token-main.ts') },
  },
};
