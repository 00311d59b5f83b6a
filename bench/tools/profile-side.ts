// Profiles one side of bench/loadgen.ts alone: starts the bench server, runs the side once at
// the full loadgen size with a V8 CPU profile (--cpu-prof) written to the given folder, and
// prints the functions that took the most self time. For finding where a side's CPU goes.
//
//   node --import tsx bench/tools/profile-side.ts chatquake /tmp/prof [rate] [seconds]
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planUsers } from './plan.ts';
import { serverFields, startBenchServer } from './reference-server.ts';
import { runDriver } from './sides.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time per function, in ms, most first. */
export function topFunctions(profile: Profile, count: number): { name: string; ms: number }[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    if (node === undefined) return;
    const f = node.callFrame;
    const name = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
    self.set(name, (self.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  return [...self.entries()]
    .map(([name, ms]) => ({ name, ms }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, count);
}

async function main(): Promise<void> {
  const [side = 'chatquake', out = join(tmpdir(), 'chatquake-prof'), rate = '2000', seconds = '10'] =
    process.argv.slice(2);
  if (side !== 'chatquake' && side !== 'bare') throw new Error('side: chatquake or bare');
  mkdirSync(out, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'chatquake-prof-'));
  process.env.CHATQUAKE_BENCH_CPU_PROF = out;
  const server = await startBenchServer();
  try {
    const plan = {
      side,
      ...serverFields(server),
      prefix: 'p',
      connections: 100,
      startRate: Number(rate),
      endRate: Number(rate),
      durationMs: Number(seconds) * 1000,
      bodyBytes: 64,
      drainMs: 5000,
      historyPath: join(dir, 'history.jsonl'),
    } as const;
    await server.createConversations(planUsers(plan).conversations);
    const run = await runDriver(server, plan);
    console.log(`${side}: ${run.cpuSeconds.toFixed(2)} CPU s for ${run.result.sent} sends`);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  // The main thread's profile is the largest (tsx's loader thread writes one too).
  const main = readdirSync(out)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => ({ f, size: statSync(join(out, f)).size }))
    .sort((a, b) => b.size - a.size)[0];
  if (main === undefined) return;
  const profile = JSON.parse(readFileSync(join(out, main.f), 'utf8')) as Profile;
  for (const f of topFunctions(profile, 40)) console.log(`${f.ms.toFixed(0).padStart(7)} ms  ${f.name}`);
}

if (process.argv[1]?.endsWith('profile-side.ts'))
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
