// An example scenario for a team's own repository (copy it to chaos/smoke.ts): a short
// latency spike between two regions under light load, gated on delivery latency and errors.
// examples/ci/ runs it with a fixed seed; test/package/install.int.test.ts runs it installed.
import { defineScenario, type FaultInput } from 'chatquake';

const chaos: FaultInput[] = [
  { fault: 'latency', link: { from: 'eu-west', to: 'us-east' }, latency: 100, at: '5s', duration: '10s' },
];

export default defineScenario({
  name: 'smoke',
  description: 'A 100 ms spike between eu-west and us-east under light load: nothing lost, latency bounded.',
  duration: '30s',
  topology: { regions: ['eu-west', 'us-east', 'ap-south'] },
  workload: { users: 50, rate: 50 },
  chaos,
  thresholds: {
    delivery_latency_ms: ['p(99)<2000'],
    send_error_rate: ['rate<0.01'],
  },
});
