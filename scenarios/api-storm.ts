// Built-in scenario: a region fails, clients fail over, and every member reloads its history
// over the HTTP API at once, while the conversations move and again after the heal. History-fetch storms after a failover are a classic IM
// overload (every client that reconnected asks "what did I miss?" in the same second); this
// proves the reads stay correct (read-your-writes, no loss, order) while sends keep flowing.
import { defineScenario } from '../harness/index.ts';

export default defineScenario({
  name: 'api-storm',
  description:
    'Sessions send at a steady rate and a quarter of the sends go over the HTTP message API. The home region ' +
    'of most conversations goes dark for 5 seconds; clients fail over and conversations move to a new home. ' +
    'Members read their histories over the API while the region is dark (as the new homes take over), and right ' +
    'after it comes back every member reads the history of all its conversations from the start, all within ' +
    'one second. Reads and API sends are judged like session syncs and sends: nothing acked ' +
    'may be lost or reordered, a read must show its reader’s own acked messages and never less than the ' +
    'reader had already seen.',
  duration: '16s',
  workload: {
    users: 40,
    rate: 40,
    api: {
      sendShare: 0.25,
      from: 'zero',
      // One storm during the failover (reads while the new homes take over), one after the heal.
      storms: [
        { at: '6s', over: '3s' },
        { at: '12.5s', over: '1s' },
      ],
    },
  },
  chaos: [{ fault: 'regionOutage', name: 'outage', region: '@busiest', at: '5s', duration: '5s' }],
  thresholds: {
    send_error_rate: ['rate<0.05'],
  },
});
