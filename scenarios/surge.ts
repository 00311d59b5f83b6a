import { defineScenario } from '../harness/scenario.ts';

export default defineScenario({
  name: 'surge',
  description:
    'Traffic in one region jumps fivefold (60 to 300 messages per second, nearly all of it from eu-west) ' +
    'while a second node is added to that region. Latency may rise but must recover, and the new node ' +
    'must join without losing or reordering anything.',
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
  chaos: [{ fault: 'scaleOut', name: 'add-node', region: 'eu-west', at: '9s' }],
  thresholds: {
    'delivery_latency_ms{phase:before}': ['p(99)<1000'],
    delivery_latency_ms: ['p(99)<3000'],
    send_error_rate: ['rate<0.01'],
  },
  catches: ['reorder-apply'],
});
