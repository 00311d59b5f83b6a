// Built-in scenario: a region that is slow and lossy rather than down, the failure that
// health checks miss; resends must not duplicate and the healthy regions must stay fast.
import { defineScenario } from '../harness/index.ts';

export default defineScenario({
  name: 'brownout',
  description:
    'One region turns slow and lossy for 12 seconds: half of its client connections get 800 ms of extra ' +
    'latency and a fifth are reset. Clients resend with the same id, so nothing may be duplicated or lost, ' +
    'and the other regions must stay fast.',
  duration: '25s',
  workload: { users: 150, rate: 150 },
  chaos: [
    {
      fault: 'brownout',
      name: 'brownout',
      region: '@busiest',
      share: 0.5,
      latency: 800,
      resetShare: 0.2,
      at: '6s',
      duration: '12s',
    },
  ],
  thresholds: {
    'delivery_latency_ms{phase:before}': ['p(99)<1000'],
    send_error_rate: ['rate<0.05'],
  },
  catches: ['no-dedup'],
});
