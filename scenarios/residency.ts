// Built-in scenario: conversations bound to two regions while one goes dark, to check that
// data never moves where the law forbids, even when availability suffers.
import { defineScenario } from '../harness/index.ts';

export default defineScenario({
  name: 'residency',
  description:
    'Half of the conversations may only be stored in eu-west and us-east (data residency), and eu-west goes ' +
    'dark for 10 seconds. Residency-bound conversations may fail over to us-east only, never to ap-south; ' +
    'with one allowed region left no second copy can be made, so their sends wait (availability is given ' +
    'up, never residency or durability) and nothing they acknowledged may be lost.',
  duration: '30s',
  workload: {
    users: 150,
    rate: 150,
    conversations: { residency: { share: 0.5, regions: ['eu-west', 'us-east'] } },
  },
  chaos: [{ fault: 'regionOutage', name: 'outage', region: 'eu-west', at: '8s', duration: '10s' }],
  thresholds: {
    'delivery_latency_ms{phase:after}': ['p(99)<1000'],
    send_error_rate: ['rate<0.05'],
  },
  catches: ['drop-sync'],
});
