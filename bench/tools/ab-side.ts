// Compares one side of bench/loadgen.ts between this checkout and another (an older commit
// unpacked elsewhere, with node_modules linked), on one server in one run, alternating A and B:
// what a change to the client or the load room saved per message, free of the machine's drift.
//
//   git archive <commit> | tar -x -C /tmp/old && ln -s "$PWD/node_modules" /tmp/old/node_modules
//   node --import tsx bench/tools/ab-side.ts /tmp/old [chatquake|bare] [repeats]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planUsers } from './plan.ts';
import { serverFields, startBenchServer } from './reference-server.ts';
import { runDriver } from './sides.ts';

async function main(): Promise<void> {
  const [other, side = 'chatquake', repeatsText = '3'] = process.argv.slice(2);
  if (other === undefined) throw new Error('usage: ab-side.ts <other checkout> [chatquake|bare] [repeats]');
  if (side !== 'chatquake' && side !== 'bare') throw new Error('side: chatquake or bare');
  const dir = mkdtempSync(join(tmpdir(), 'chatquake-ab-'));
  const server = await startBenchServer();
  const cpu: Record<'A (this)' | 'B (other)', number[]> = { 'A (this)': [], 'B (other)': [] };
  try {
    for (let r = 0; r < Number(repeatsText) * 2; r++) {
      const which = r % 4 === 0 || r % 4 === 3 ? 'A (this)' : 'B (other)';
      if (which === 'A (this)') delete process.env.CHATQUAKE_BENCH_DRIVER;
      else process.env.CHATQUAKE_BENCH_DRIVER = join(other, 'bench', 'tools', 'drive.ts');
      const plan = {
        side,
        ...serverFields(server),
        prefix: `ab${r}`,
        connections: 100,
        startRate: 2000,
        endRate: 2000,
        durationMs: 10_000,
        bodyBytes: 64,
        drainMs: 5000,
        historyPath: join(dir, `ab${r}.jsonl`),
      } as const;
      await server.createConversations(planUsers(plan).conversations);
      const run = await runDriver(server, plan);
      cpu[which].push(run.cpuSeconds);
      console.log(`${which}: ${run.cpuSeconds.toFixed(2)} CPU s, ${run.result.sent} sent`);
    }
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;
  const a = median(cpu['A (this)']);
  const b = median(cpu['B (other)']);
  console.log(
    `median CPU s: this ${a.toFixed(2)}, other ${b.toFixed(2)}, this / other ${(a / b).toFixed(3)}`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
