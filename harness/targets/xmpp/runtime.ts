// The XMPP target's runtime: the Prosody regions (topology.ts) and the XMPP client half over them
// (target.ts). Filled in once both halves land.
import type { TargetRuntime } from '../types.ts';

export const xmppRuntime: TargetRuntime = {
  startTopology() {
    return Promise.reject(new Error('the xmpp target is not built yet'));
  },
  connect() {
    throw new Error('the xmpp target is not built yet');
  },
};
