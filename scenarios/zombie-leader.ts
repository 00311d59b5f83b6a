import { defineScenario } from '../harness/scenario.ts';

export default defineScenario({
  name: 'zombie-leader',
  description:
    'The node that is home to most conversations freezes (SIGSTOP) for 3 seconds: past its 2-second ' +
    'lease, so another region takes over under a new epoch, but not long enough for its clients to give ' +
    'up on it. It wakes (SIGCONT) with their queued sends, believing it is still in charge. Acks are at ' +
    'level "stored" here, so the home alone vouches for a message: the woken node must be fenced by its ' +
    'expired lease and the new epoch, never forking the log.',
  duration: '25s',
  topology: { ack: 'stored' },
  workload: { users: 150, rate: 150 },
  chaos: [{ fault: 'nodePause', name: 'freeze', region: '@busiest', at: '6s', duration: '3s' }],
  thresholds: {
    'delivery_latency_ms{phase:after}': ['p(99)<1000'],
    send_error_rate: ['rate<0.1'],
  },
  catches: ['no-fencing'],
});
