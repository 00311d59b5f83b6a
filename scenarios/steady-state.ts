// Built-in scenario: no faults, the baseline every other scenario is read against.
import { defineScenario } from '../harness/index.ts';

export default defineScenario({
  name: 'steady-state',
  description:
    'No faults: the baseline. Three regions, one node each, 150 users in direct and group conversations ' +
    'sending 150 messages per second for 20 seconds. Every message must be delivered once, in one agreed ' +
    'order, with low latency; every other scenario is read against this one. The one bug knob that needs ' +
    'no fault shows here: followers applying replication out of order (reorder-apply).',
  duration: '20s',
  workload: { users: 150, rate: 150 },
  chaos: [],
  thresholds: {
    delivery_latency_ms: ['p(99)<1000'],
    ack_latency_ms: ['p(99)<1000'],
    send_error_rate: ['rate<0.001'],
  },
  catches: ['reorder-apply'],
});
