// How fast the checkers judge a big history: a ~1M-event valid history is generated in memory
// (seeded, with a region outage), then checkHistory runs over it and is compared with a
// baseline loop that only touches each event. Prints events/s and the ratio; bounded in time
// (the event count can be lowered with CHECKS_BENCH_EVENTS).
//   npx tsx bench/checks.ts
import { checkHistory } from '../checks/index.ts';
import { syntheticHistory } from '../test/support/synthetic.ts';

const target = Number(process.env.CHECKS_BENCH_EVENTS ?? 1_000_000);
// ~4.6 events per message with 3–5 members (send, ack, 2–4 deliveries).
const messages = Math.round(target / 4.6);

let start = performance.now();
const events = syntheticHistory({
  seed: 7,
  users: 2000,
  conversations: 500,
  members: [3, 5],
  messages,
  gapMs: 0.2,
  outage: true,
});
const genMs = performance.now() - start;

function baseline(): number {
  let sum = 0;
  for (const e of events) {
    sum += e.t;
    if (e.type === 'deliver') sum += e.seq;
  }
  return sum;
}

// Warm both paths once on a slice so JIT compilation is not what gets measured.
checkHistory(events.slice(0, 50_000));
baseline();

start = performance.now();
for (let i = 0; i < 20; i++) baseline();
const baselineMs = (performance.now() - start) / 20;

const heapBefore = process.memoryUsage().heapUsed;
const cpuBefore = process.cpuUsage();
start = performance.now();
const report = checkHistory(events);
const checkMs = performance.now() - start;
const cpu = process.cpuUsage(cpuBefore);
const heapAfter = process.memoryUsage().heapUsed;

const c = report.consistency;
const violations =
  c.ackedLost +
  c.unexpected +
  c.failedButAppeared +
  c.duplicates +
  c.orderViolations +
  c.divergentConversations +
  c.readYourWritesViolations +
  c.monotonicReadViolations +
  c.silentGaps +
  c.residencyViolations +
  c.unconvergedConversations;

const rate = (ms: number): string =>
  `${Math.round(events.length / (ms / 1000)).toLocaleString('en-US')} events/s`;
console.log(
  `history: ${events.length.toLocaleString('en-US')} events, ${messages.toLocaleString('en-US')} messages (generated in ${(genMs / 1000).toFixed(1)} s)`,
);
console.log(`baseline loop: ${baselineMs.toFixed(1)} ms (${rate(baselineMs)})`);
console.log(
  `checkHistory:  ${(checkMs / 1000).toFixed(2)} s (${rate(checkMs)}; ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s of CPU, GC threads included)`,
);
console.log(`ratio checkHistory / baseline: ${(checkMs / baselineMs).toFixed(0)}x`);
console.log(`heap growth during the check: ~${Math.round((heapAfter - heapBefore) / 1e6)} MB`);
console.log(`violations found in the valid history: ${violations} (must be 0)`);
if (violations !== 0) {
  console.error(JSON.stringify(c.examples.slice(0, 5), null, 2));
  process.exitCode = 1;
}
