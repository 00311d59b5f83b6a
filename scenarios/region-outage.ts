// Built-in scenario: the flagship cloud failure, a region going dark in steps, to measure
// failover per client and prove that no acked message is lost.
import { defineScenario } from '../harness/index.ts';

export default defineScenario({
  name: 'region-outage',
  description:
    'The home region of most conversations goes dark for 10 seconds, then comes back. As real regions do, ' +
    'it fails in steps: first its links to the other regions and the directory drop (clients still reach ' +
    'it), two seconds later its nodes die. Clients must fail over, conversations must move to a new home ' +
    'under a new epoch, and no message the system acknowledged may be lost or reordered.',
  duration: '30s',
  workload: { users: 150, rate: 150 },
  chaos: [
    { fault: 'regionIsolation', name: 'cut-off', region: '@busiest', at: '8s', duration: '2s' },
    { fault: 'regionOutage', name: 'outage', region: '@busiest', at: '10s', duration: '10s' },
  ],
  thresholds: {
    'failover_seconds{fault:regionOutage}': ['p(99)<10'],
    // Every client must be served again within 10 s of the first fault touching it, however it
    // got there (failed over, or waited for the region).
    recovery_seconds: ['p(99)<10'],
    'delivery_latency_ms{phase:before}': ['p(99)<1000'],
    send_error_rate: ['rate<0.05'],
  },
  catches: ['ack-early', 'drop-sync'],
});
