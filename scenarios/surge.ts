// Built-in scenario: a fivefold traffic surge in one region while it scales out and an old node
// is taken out, so clients move mid-surge.
import { defineScenario } from '../harness/index.ts';

export default defineScenario({
  name: 'surge',
  description:
    'Traffic in one region jumps fivefold (60 to 300 messages per second, nearly all of it from eu-west) ' +
    'and the region scales out: a second node joins, and four seconds later the old node is taken out ' +
    '(crashed, restarted six seconds later), so its clients move over mid-surge. Latency may rise but ' +
    'must recover, and nothing may be lost, duplicated or reordered on the way.',
  duration: '25s',
  workload: {
    users: 150,
    rate: {
      startRate: 60,
      stages: [
        { duration: '8s', target: 60 },
        { duration: '2s', target: 300, regions: { 'eu-west': 0.9, 'us-east': 0.05, 'ap-south': 0.05 } },
        { duration: '8s', target: 300, regions: { 'eu-west': 0.9, 'us-east': 0.05, 'ap-south': 0.05 } },
        { duration: '2s', target: 60 },
        { duration: '5s', target: 60 },
      ],
    },
  },
  chaos: [
    { fault: 'scaleOut', name: 'add-node', region: 'eu-west', at: '9s' },
    { fault: 'nodeCrash', name: 'retire-old', node: 'eu-west/n1', at: '13s', duration: '6s' },
  ],
  thresholds: {
    'delivery_latency_ms{phase:before}': ['p(99)<1000'],
    delivery_latency_ms: ['p(99)<3000'],
    send_error_rate: ['rate<0.01'],
  },
  catches: ['drop-sync'],
});
