// The XMPP target's runtime: the Prosody regions (topology.ts, local processes only) and the XMPP
// client half over them (target.ts). Passwords derive from the run's secret, so a reader and a
// session of the same user agree without storing them. Prosody has no admin API: clock faults
// are refused before the run (index.ts), and this backend says so if one gets here anyway.
import { createHmac } from 'node:crypto';
import { createRandom } from '../../../lib/random.ts';
import type { TargetRuntime } from '../types.ts';
import { effectiveOptions } from './index.ts';
import { createXmppTarget } from './target.ts';
import { startXmppTopology, type XmppTopology } from './topology.ts';
import { XmppOptions } from './types.ts';

export const xmppRuntime: TargetRuntime = {
  async startTopology(options, where) {
    if (where.mode !== 'local')
      throw new Error(`the xmpp target runs in local mode only (got ${where.mode})`);
    const xmpp = effectiveOptions(XmppOptions.parse(options.targetOptions), options.bugs ?? []);
    return startXmppTopology({ ...options, xmpp });
  },
  connect(topology, { seed, targetOptions }) {
    const xmpp = topology as XmppTopology;
    if (typeof xmpp.xmppRegions !== 'function') throw new Error('the xmpp target needs an XMPP topology');
    const options = XmppOptions.parse(targetOptions);
    const clientRandom = createRandom(seed).fork('client');
    const target = createXmppTarget({
      regions: xmpp.xmppRegions(),
      accounts: xmpp,
      resend: options.resend,
      password: (user) => createHmac('sha256', topology.secret).update(user).digest('hex').slice(0, 24),
      random: () => clientRandom.next(),
    });
    const admin = {
      setClockOffset: () => Promise.reject(new Error('the xmpp target has no admin API to move a clock')),
    };
    return { target, admin, close: () => target.close() };
  },
};
