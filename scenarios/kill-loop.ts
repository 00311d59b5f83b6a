// Built-in scenario: nodes SIGKILLed one after another for a minute and restarted on their data,
// the crash loop of a bad deploy or a flapping host, to prove that a node that dies without a
// goodbye loses nothing it acknowledged, that every client comes back and that regions agree.
import { defineScenario } from '../harness/index.ts';

/**
 * One kill every five seconds from 5 s to 60 s; each node restarts on its data 4 s later, past
 * its 2 s lease, so its conversations move while it is down.
 */
const KILLS = Array.from({ length: 12 }, (_, i) => ({
  fault: 'nodeCrash' as const,
  name: `kill-${i + 1}`,
  at: `${5 + 5 * i}s`,
  restartAfter: '4s',
}));

/** The distance between clouds: every path into or out of a region is 50 ms slower each way. */
const WAN = (['eu-west', 'us-east', 'ap-south'] as const).map((region) => ({
  fault: 'latency' as const,
  name: `wan-${region}`,
  region,
  at: '0s',
  latency: 50,
  stream: 'both' as const,
}));

export default defineScenario({
  name: 'kill-loop',
  description:
    'A crash loop: every five seconds for a minute a node picked at random (seeded) is SIGKILLed, with no ' +
    'chance to flush or say goodbye, and restarted on its data four seconds later, past its lease, so its ' +
    'conversations move while it is down. Steady load with replicated acks, two nodes per region, and the ' +
    'latency of real distances between clouds (50 ms each way on every path into or out of a region, so ' +
    '100 ms between regions). No acked message may be lost, duplicated or reordered, every client must be ' +
    'served again within ten seconds of each kill, and the regions must converge.',
  duration: '70s',
  topology: { nodesPerRegion: 2 },
  workload: { users: 90, rate: 90 },
  chaos: [...WAN, ...KILLS],
  thresholds: {
    recovery_seconds: ['p(99)<10'],
    send_error_rate: ['rate<0.05'],
  },
  catches: ['ack-early'],
});
