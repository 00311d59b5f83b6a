// Built-in scenario: XMPP federation cut cleanly. Two Prosody regions lose their
// server-to-server link for 10 seconds; connections close and new ones are refused, so each
// server knows at once and can bounce what it cannot deliver. No message may be lost silently,
// duplicated or reordered, and both members' archives must agree after the heal.
import { defineScenario } from '../harness/index.ts';

export default defineScenario({
  name: 'xmpp-partition',
  description:
    'Two XMPP regions (Prosody, one domain each, federated through the fault proxy) lose their ' +
    'server-to-server link for 10 seconds: connections close and new ones are refused. Every chat message ' +
    'the sender’s server accepted must reach the other member or come back as a bounce; none may arrive ' +
    'twice or out of order, and both members’ archives must agree after the heal.',
  target: 'xmpp',
  targetOptions: { s2s: 'smacks' },
  duration: '30s',
  topology: { regions: ['eu-west', 'us-east'] },
  workload: { users: 40, rate: 40, conversations: { groups: 0 } },
  chaos: [{ fault: 'partition', name: 'cut', groups: [['eu-west'], ['us-east']], at: '8s', duration: '10s' }],
  // Both members' archives agree within a second of the heal when nothing was lost.
  convergence: { deadline: '10s' },
  thresholds: {
    'delivery_latency_ms{phase:before}': ['p(99)<1000'],
  },
});
