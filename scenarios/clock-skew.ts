import { defineScenario } from '../harness/scenario.ts';

export default defineScenario({
  name: 'clock-skew',
  description:
    'Server clocks disagree by a minute: the busiest region runs 30 seconds slow, another 30 seconds fast. ' +
    'Midway, the slow home stalls for 3 seconds (a VM pause), past its 2-second lease. A lease judged on its slow ' +
    'wall clock would still look valid when it wakes, and it would go on sequencing as a zombie; leases must ' +
    'run on monotonic time and be fenced by epoch, so nothing forks. Acks are at level "stored" here, so the ' +
    'home alone vouches for each message.',
  duration: '25s',
  topology: { ack: 'stored' },
  workload: { users: 150, rate: 150 },
  chaos: [
    { fault: 'clockSkew', name: 'slow', region: '@busiest', offsetMs: -30000, at: '4s', duration: '15s' },
    { fault: 'clockSkew', name: 'fast', region: '@home2', offsetMs: 30000, at: '4s', duration: '15s' },
    { fault: 'nodePause', name: 'stall', region: '@busiest', at: '8s', duration: '3s' },
  ],
  thresholds: {
    'delivery_latency_ms{phase:after}': ['p(99)<1000'],
    send_error_rate: ['rate<0.05'],
  },
  catches: ['no-fencing'],
});
