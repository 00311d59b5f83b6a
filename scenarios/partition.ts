// Built-in scenario: the regions split in two groups, to check that a home cut off from every
// replica stops acknowledging and that conversations move without divergence.
import { defineScenario } from '../harness/index.ts';

export default defineScenario({
  name: 'partition',
  description:
    'The regions split in two groups for 10 seconds: the busiest region on one side, the other two on the ' +
    'other; clients still reach their own region and every region still reaches the directory. A home cut ' +
    'off from every replica cannot make a second copy, so it must not acknowledge; conversations move to ' +
    'the side that can. After the heal the regions must agree on one order per conversation, with no ' +
    'acknowledged message lost.',
  duration: '30s',
  workload: { users: 150, rate: 150 },
  chaos: [
    {
      fault: 'partition',
      name: 'split',
      groups: [['@busiest'], ['@home2', '@home3']],
      at: '8s',
      duration: '10s',
    },
  ],
  thresholds: {
    'delivery_latency_ms{phase:before}': ['p(99)<1000'],
    send_error_rate: ['rate<0.1'],
  },
  catches: ['ack-early'],
});
