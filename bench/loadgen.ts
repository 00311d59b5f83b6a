// What the load generator costs per message, against what a user would pick instead: CPU
// seconds per 10,000 WebSocket messages of chatquake's virtual users (every send, ack and
// delivery recorded in a history file and watched by the live judge), of Artillery's `ws` engine
// (which records no ack or delivery and times no round trip), and of a bare `ws` loop that
// records nothing, each driving the same reference-server node in the same run with the same
// connections, users, conversations, frames, rate and message count.
//
// Each side runs as its own process; its CPU is what that process and everything it waited for
// spent. Start-up (Node, module loading, Artillery's CLI) and connecting are not per-message
// costs: each side is also run with one message per connection, and the figure is the
// difference over the difference in messages. Sides alternate order between repeats; the
// figures are medians. Artillery is installed for the benchmark only (bench/tools/
// install-artillery.sh, into bench/.tools); a full run installs it, a --quick run never does.
//
//   npm run bench -- loadgen            # full: 100 connections, 2,000 msgs/s for 10 s, 3 repeats
//   npm run bench -- loadgen --quick    # 20 connections, 400 msgs/s for 1 s, once (Artillery's start-up is most of it)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchArgs, finish, type Goal, goal, type Row } from './support/bench.ts';
import { type DrivePlan, planUsers } from './tools/plan.ts';
import { type BenchServer, serverFields, startBenchServer } from './tools/reference-server.ts';
import {
  ARTILLERY_INSTALL,
  artilleryInstalled,
  runArtillery,
  runDriver,
  type SideName,
  type SideRun,
} from './tools/sides.ts';

const args = benchArgs();
const SIZE = args.quick
  ? { connections: 20, rate: 400, durationMs: 1000, repeats: 1 }
  : { connections: 100, rate: 2000, durationMs: 10_000, repeats: 3 };
const BODY_BYTES = 64;
/** Deliveries per send in a direct conversation (the other member's and the sender's own copy). */
const FANOUT = 2;

let runs = 0;
function planFor(
  server: BenchServer,
  side: 'chatquake' | 'bare',
  rate: number,
  durationMs: number,
  dir: string,
): DrivePlan {
  const prefix = `r${runs++}`;
  return {
    side,
    ...serverFields(server),
    prefix,
    connections: SIZE.connections,
    startRate: rate,
    endRate: rate,
    durationMs,
    bodyBytes: BODY_BYTES,
    drainMs: 5000,
    ...(side === 'chatquake' ? { historyPath: join(dir, `${prefix}-history.jsonl`) } : {}),
  };
}

async function runSide(
  server: BenchServer,
  side: SideName,
  rate: number,
  durationMs: number,
  dir: string,
): Promise<SideRun> {
  const plan = planFor(server, side === 'chatquake' ? 'chatquake' : 'bare', rate, durationMs, dir);
  await server.createConversations(planUsers(plan).conversations);
  return side === 'artillery' ? runArtillery(server, plan, dir) : runDriver(server, plan);
}

/** What a run measured wrong: a lost ack or delivery, a violation, an Artillery VU that failed. */
function problems(run: SideRun, expected: number): string[] {
  const r = run.result;
  const out: string[] = [];
  if (r.sent !== expected) out.push(`${run.side}: sent ${r.sent} of ${expected}`);
  if (run.side === 'artillery') {
    if ((r.failedVusers ?? 0) > 0) out.push(`artillery: ${r.failedVusers} virtual users failed`);
    return out;
  }
  if (r.acked < r.sent) out.push(`${run.side}: ${r.sent - r.acked} of ${r.sent} sends not acked`);
  // runLoad's drain ends with the last ack; a delivery still on its way then is not recorded, but
  // not lost either. More missing than one per connection is more than that race explains.
  const missing = r.sent * FANOUT - r.delivered;
  if (missing > (run.side === 'chatquake' ? SIZE.connections : 0))
    out.push(`${run.side}: ${missing} of ${r.sent * FANOUT} deliveries missing`);
  if ((r.violations ?? 0) > 0) out.push(`${run.side}: the live judge counted ${r.violations} violations`);
  return out;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

async function main(): Promise<void> {
  let sides: SideName[] = ['chatquake', 'artillery', 'bare'];
  const notes: string[] = [];
  if (!artilleryInstalled()) {
    if (args.quick) {
      notes.push(
        `Artillery is not installed, so its side was skipped; install it with: ${ARTILLERY_INSTALL}`,
      );
      sides = sides.filter((s) => s !== 'artillery');
    } else {
      const install = spawnSync('sh', [ARTILLERY_INSTALL.split(' ')[1] as string], { stdio: 'inherit' });
      if (install.status !== 0) throw new Error(`installing Artillery failed; try: ${ARTILLERY_INSTALL}`);
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'chatquake-loadgen-'));
  const server = await startBenchServer();
  const failures: string[] = [];
  const baseline = new Map<SideName, SideRun>();
  const loaded = new Map<SideName, SideRun[]>(sides.map((s) => [s, []]));
  const expected = Math.round((SIZE.rate * SIZE.durationMs) / 1000);
  try {
    // One message per connection: start-up, connecting and closing, to subtract (not in a quick
    // run, which has no time for it: its figures include start-up).
    for (const side of args.quick ? [] : sides) {
      const run = await runSide(server, side, SIZE.connections, 1000, dir);
      failures.push(...problems(run, SIZE.connections));
      baseline.set(side, run);
      process.stderr.write(
        `  ${side} start-up: ${run.cpuSeconds.toFixed(2)} CPU s, ${(run.wallMs / 1000).toFixed(1)} s\n`,
      );
    }
    for (let r = 0; r < SIZE.repeats; r++) {
      const order = sides.map((_, i) => sides[(i + r) % sides.length] as SideName);
      for (const side of order) {
        const run = await runSide(server, side, SIZE.rate, SIZE.durationMs, dir);
        failures.push(...problems(run, expected));
        loaded.get(side)?.push(run);
        process.stderr.write(
          `  ${side}: ${run.cpuSeconds.toFixed(2)} CPU s, ${run.result.sent} sent, ${(run.wallMs / 1000).toFixed(1)} s\n`,
        );
      }
    }
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  report(sides, baseline, loaded, failures, notes);
}

function report(
  sides: SideName[],
  baseline: Map<SideName, SideRun>,
  loaded: Map<SideName, SideRun[]>,
  failures: string[],
  notes: string[],
): void {
  const perTenK = new Map<SideName, number>();
  const rows: Row[] = sides.map((side) => {
    const base = baseline.get(side);
    const runs = loaded.get(side) as SideRun[];
    const baseCpu = base?.cpuSeconds ?? 0;
    const baseSent = base?.result.sent ?? 0;
    const net = median(runs.map((r) => ((r.cpuSeconds - baseCpu) / (r.result.sent - baseSent)) * 10_000));
    const gross = median(runs.map((r) => (r.cpuSeconds / r.result.sent) * 10_000));
    const server = median(runs.map((r) => (r.serverCpuSeconds / r.result.sent) * 10_000));
    perTenK.set(side, net);
    return {
      side,
      messages: median(runs.map((r) => r.result.sent)),
      'cpu s': median(runs.map((r) => r.cpuSeconds)),
      'start-up cpu s': base?.cpuSeconds ?? '-',
      'cpu s / 10k msgs': net,
      'incl. start-up': gross,
      'server cpu s / 10k': server,
      records: side === 'chatquake' ? 'send, ack, deliver' : 'nothing',
    };
  });
  const bare = perTenK.get('bare') as number;
  for (const row of rows) row['× bare'] = (perTenK.get(row.side as SideName) as number) / bare;
  const goals: Goal[] = [];
  if (sides.includes('artillery')) {
    // Paired within each repeat (the two ran minutes apart at most), then the median: the
    // machine's drift between repeats cancels out of each pair.
    const net = (side: SideName, i: number): number => {
      const run = (loaded.get(side) as SideRun[])[i] as SideRun;
      const base = baseline.get(side);
      return (run.cpuSeconds - (base?.cpuSeconds ?? 0)) / (run.result.sent - (base?.result.sent ?? 0));
    };
    const pairs = (loaded.get('chatquake') as SideRun[]).map(
      (_, i) => net('chatquake', i) / net('artillery', i),
    );
    goals.push(
      goal('chatquake / Artillery, CPU s per 10k messages (median of repeats)', median(pairs), '<=', 0.5),
    );
    notes.push(`chatquake / Artillery in each repeat: ${pairs.map((p) => p.toFixed(2)).join(', ')}`);
  }
  notes.push(
    `${SIZE.connections} connections (${SIZE.connections / 2} direct conversations), ${SIZE.rate} msgs/s for ${SIZE.durationMs / 1000} s, ${BODY_BYTES}-byte bodies, one reference-server node, stored acks; medians of ${SIZE.repeats}`,
    args.quick
      ? 'quick run: no start-up runs, so cpu s / 10k msgs includes start-up'
      : 'cpu s / 10k msgs: (CPU of the loaded run - CPU of a run with one message per connection) / (messages - connections); incl. start-up: the loaded run alone',
    "a side's CPU includes its forked processes and threads (reaped children time of the benchmark process); the server's CPU per message shows each side gave it the same work",
  );
  finish({
    name: 'loadgen',
    rows,
    goals,
    notes,
    data: { baseline: Object.fromEntries(baseline), loaded: Object.fromEntries(loaded) },
    ...(failures.length > 0 ? { failure: failures.join('; ') } : {}),
  });
}

await main();
