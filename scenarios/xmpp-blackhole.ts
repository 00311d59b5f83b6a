// Built-in scenario: XMPP federation blackholed. The server-to-server link between two Prosody
// regions stays open but carries nothing for 10 seconds, then closes at the heal: the failure
// only acks and timeouts notice. With stream management on s2s, unacked stanzas are resent or
// bounced when the link closes. Without it (--bug s2s-dialback: dialback, Prosody's default) what
// the sender's server wrote into the silence is gone and nobody is told: silent loss, which the
// acked-lost check must catch.
import { defineScenario } from '../harness/index.ts';

export default defineScenario({
  name: 'xmpp-blackhole',
  description:
    'Two XMPP regions (Prosody, federated through the fault proxy) have their server-to-server links ' +
    'blackholed for 10 seconds: they stay open and carry nothing, then close at the heal. With stream ' +
    'management on s2s every accepted message must be delivered or bounced; with --bug s2s-dialback ' +
    '(dialback, no stream management) what the servers wrote into the silence is lost without a word, ' +
    'and the acked-lost check must catch it.',
  target: 'xmpp',
  targetOptions: { s2s: 'smacks' },
  duration: '30s',
  topology: { regions: ['eu-west', 'us-east'] },
  workload: { users: 40, rate: 40, conversations: { groups: 0 } },
  chaos: [
    // No region or link named: every server-to-server link, both ways.
    { fault: 'blackhole', name: 'silence', at: '8s', duration: '10s' },
  ],
  // Both members' archives agree within a second of the heal when nothing was lost.
  convergence: { deadline: '10s' },
  thresholds: {
    'delivery_latency_ms{phase:before}': ['p(99)<1000'],
  },
  catches: ['s2s-dialback'],
});
