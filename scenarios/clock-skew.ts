// Built-in scenario: server clocks a minute apart plus a lease that cannot be renewed, to catch
// ordering or fencing that trusts wall clocks.
import { defineScenario } from '../harness/index.ts';

export default defineScenario({
  name: 'clock-skew',
  description:
    'Server clocks disagree by a minute: the busiest region runs 30 seconds slow, another 30 seconds fast. ' +
    'Midway, the slow home loses its path to the directory and the links from the other regions into it for ' +
    '6 seconds, while its clients and its own links out still work: its lease cannot be renewed, and the ' +
    'directory hands its conversations to another region. Judged on its slow wall clock the lease would still ' +
    'look valid and it would go on sequencing beside its successor; leases must run on monotonic time and be ' +
    'fenced by epoch, so nothing forks.',
  duration: '25s',
  workload: { users: 150, rate: 150 },
  chaos: [
    { fault: 'clockSkew', name: 'slow', region: '@busiest', offsetMs: -30000, at: '4s', duration: '15s' },
    { fault: 'clockSkew', name: 'fast', region: '@home2', offsetMs: 30000, at: '4s', duration: '15s' },
    { fault: 'blackhole', name: 'no-directory', directory: '@busiest', at: '8s', duration: '6s' },
    {
      fault: 'blackhole',
      name: 'deaf-a',
      link: { from: '@home2', to: '@busiest' },
      at: '8s',
      duration: '6s',
    },
    {
      fault: 'blackhole',
      name: 'deaf-b',
      link: { from: '@home3', to: '@busiest' },
      at: '8s',
      duration: '6s',
    },
  ],
  thresholds: {
    'delivery_latency_ms{phase:after}': ['p(99)<1000'],
    send_error_rate: ['rate<0.05'],
  },
  catches: ['no-fencing'],
});
