// The XMPP target (Prosody regions federated through the fault proxy): its definition for the
// harness. It plants no bug knobs (the system under test is Prosody as shipped), a conversation
// lives where its users' domains are, so no home is known up front, and its one command runs a
// region's Prosody under the run's lifeline. The topology is in topology.ts, not loaded from here,
// so listing the CLI's commands stays cheap.
import type { TargetDefinition } from '../types.ts';
import { xmppRegionSpec } from './commands.ts';

export const xmppTarget: TargetDefinition = {
  name: 'xmpp',
  bugs: [],
  homeRegionOf: () => undefined,
  commands: {
    'xmpp-region': { spec: xmppRegionSpec, load: () => import('./region-main.ts') },
  },
};
