// One load generator side of bench/loadgen.ts and bench/overhead.ts, as its own process so that
// every side's CPU is measured the same way (the parent reads what the process and everything it
// waited for spent): chatquake's load generator (runLoad over the reference target, its history
// recorder writing a real file, the live judge watching every event) or a bare `ws` loop that
// sends the same frames and records nothing. Both pace sends with one scheduler loop from the
// same rate, over the same users and direct conversations (user 2k and 2k+1 share conversation k).
//
// The plan comes as JSON in argv[2]; the outcome goes to stdout as one line `RESULT {json}`.
// Bounded: the load stops at its duration (or when the backlog check stops a ramp), the drain at
// drainMs, and the process exits on its own.
//
//   node --import tsx bench/tools/drive.ts '{"side":"bare",...}'

import { runBare } from './drive-bare.ts';
import { runChatquake } from './drive-chatquake.ts';
import { DrivePlan } from './plan.ts';

async function main(): Promise<void> {
  const plan = DrivePlan.parse(JSON.parse(process.argv[2] ?? '{}'));
  const result = plan.side === 'chatquake' ? await runChatquake(plan) : await runBare(plan);
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`drive: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
