import { defineScenario } from '../harness/scenario.ts';

export default defineScenario({
  name: 'zombie-leader',
  description:
    'The node that is home to most conversations freezes (SIGSTOP) for 8 seconds, long past its lease, and ' +
    'then wakes up (SIGCONT) with the sends its clients queued meanwhile, believing it is still in charge. ' +
    'Acks are at level "stored" here, so the home alone vouches for a message: another region must take ' +
    'over under a new epoch, and the woken node must be fenced, never forking the log.',
  duration: '25s',
  topology: { ack: 'stored' },
  workload: { users: 150, rate: 150 },
  chaos: [{ fault: 'nodePause', name: 'freeze', region: '@busiest', at: '6s', duration: '8s' }],
  thresholds: {
    'delivery_latency_ms{phase:after}': ['p(99)<1000'],
    send_error_rate: ['rate<0.1'],
  },
  catches: ['no-fencing'],
});
