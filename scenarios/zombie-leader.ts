// Built-in scenario: a home frozen past its lease wakes up still believing it leads, to check
// that epochs fence it off.
import { defineScenario } from '../harness/index.ts';

export default defineScenario({
  name: 'zombie-leader',
  description:
    'The node that is home to most conversations freezes (SIGSTOP) for 3 seconds, past its 2-second lease, so ' +
    'other regions take its conversations over under a new epoch. It wakes (SIGCONT) into a network blip: for ' +
    'six seconds from the second of the freeze its path to the directory and the links from the other regions ' +
    'into it drop, so nothing can tell it that it was replaced, while its clients and its own links out still ' +
    'work. With their queued sends it believes it is still in charge. Only its expired lease may stop it: a ' +
    'zombie that goes on sequencing forks the log and loses acknowledged messages.',
  duration: '25s',
  workload: { users: 150, rate: 150 },
  chaos: [
    { fault: 'nodePause', name: 'freeze', region: '@busiest', at: '6s', duration: '3s' },
    { fault: 'blackhole', name: 'no-directory', directory: '@busiest', at: '7s', duration: '6s' },
    {
      fault: 'blackhole',
      name: 'deaf-a',
      link: { from: '@home2', to: '@busiest' },
      at: '7s',
      duration: '6s',
    },
    {
      fault: 'blackhole',
      name: 'deaf-b',
      link: { from: '@home3', to: '@busiest' },
      at: '7s',
      duration: '6s',
    },
  ],
  thresholds: {
    'delivery_latency_ms{phase:after}': ['p(99)<1000'],
    send_error_rate: ['rate<0.1'],
  },
  catches: ['no-fencing'],
});
