// Built-in scenario: the one-minute tour `npm start` runs (slow link, region lost and back,
// partition, frozen node); the place to start reading scenarios.
import { defineScenario } from '../harness/index.ts';

export default defineScenario({
  name: 'game-day',
  description:
    'A tour of what goes wrong between clouds, in one minute of load: a slow link, the busiest region ' +
    'lost and recovered, a partition, and a frozen node. Finishes within two minutes on a 2-core machine; ' +
    'start here (`npm start`) and open report.html.',
  duration: '60s',
  workload: { users: 150, rate: 120 },
  chaos: [
    {
      fault: 'latency',
      name: 'slow-link',
      link: { from: '@busiest', to: '@home2' },
      latency: 300,
      jitter: 50,
      stream: 'both',
      at: '5s',
      duration: '6s',
    },
    { fault: 'regionOutage', name: 'outage', region: '@busiest', at: '14s', duration: '10s' },
    {
      fault: 'partition',
      name: 'split',
      groups: [['@home2'], ['@busiest', '@home3']],
      at: '30s',
      duration: '8s',
    },
    { fault: 'nodePause', name: 'freeze', region: '@home3', at: '44s', duration: '6s' },
  ],
  thresholds: {
    'failover_seconds{fault:regionOutage}': ['p(99)<10'],
    'delivery_latency_ms{phase:before}': ['p(99)<1000'],
    send_error_rate: ['rate<0.05'],
  },
  catches: ['ack-early', 'drop-sync'],
});
