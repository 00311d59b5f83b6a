// Built-in scenario: a region whose links go up and down every second, so every reconnect and
// every restart of replication must catch up without a gap or a repeat.
import { defineScenario } from '../harness/index.ts';

export default defineScenario({
  name: 'flapping-link',
  description:
    'The busiest region flaps: its links go down and up every second for 14 seconds, so clients reconnect ' +
    'again and again and replication stops and starts. Every reconnect must catch up without a silent gap ' +
    'and without delivering a message twice.',
  duration: '25s',
  workload: { users: 150, rate: 150 },
  chaos: [{ fault: 'flap', name: 'flap', region: '@busiest', period: '2s', at: '5s', duration: '14s' }],
  thresholds: {
    'delivery_latency_ms{phase:before}': ['p(99)<1000'],
    send_error_rate: ['rate<0.1'],
  },
  catches: ['drop-sync'],
});
