// What chatquake's own work costs the system it measures: the highest sustained rate of
// delivered messages the reference server reaches when chatquake drives it (history file and
// live judge on, every send, ack and delivery recorded), against a bare `ws` loop that records
// nothing, on the same server node in the same run. Load generator and server share this
// machine's cores, so every CPU second the generator spends is one the server does not get.
//
// "Sustained", plainly: each side ramps its open send rate linearly (the same ramp for both);
// every second it compares what the server has delivered with what it owes for the messages
// sent so far. A second counts as sustained when the backlog at its end is under what the server
// delivers in 500 ms. The side's figure is its best sustained span of three such seconds, in
// delivered messages per second (one second alone can hold a burst: a generator whose loop was
// late counts a backlog's catch-up in the second that follows, beyond anything it offered); the
// ramp stops at the first two seconds in a row past the bound (one alone is a stall, not
// saturation). Each side runs in its own process
// (bench/tools/drive.ts); sides alternate order between repeats, and the figures are medians.
//
//   npm run bench -- overhead            # full: 100 connections, 2,000 → 40,000 sends/s over 20 s, 3 repeats
//   npm run bench -- overhead --quick    # 20 connections, 200 → 2,000 sends/s over 4.5 s, once
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchArgs, finish, goal, type Row } from './support/bench.ts';
import { type DrivePlan, planUsers, type Window, windowOverBound } from './tools/plan.ts';
import { type BenchServer, serverFields, startBenchServer } from './tools/reference-server.ts';
import { runDriver, type SideRun } from './tools/sides.ts';

const args = benchArgs();
const SIZE = args.quick
  ? { connections: 20, startRate: 200, endRate: 2000, durationMs: 4500, repeats: 1 }
  : { connections: 100, startRate: 2000, endRate: 40_000, durationMs: 20_000, repeats: 3 };
const BACKLOG_MS = 500;
const FANOUT = 2;

type Side = 'chatquake' | 'bare';

let runs = 0;
function planFor(server: BenchServer, side: Side, dir: string): DrivePlan {
  const prefix = `o${runs++}`;
  return {
    side,
    ...serverFields(server),
    prefix,
    connections: SIZE.connections,
    startRate: SIZE.startRate,
    endRate: SIZE.endRate,
    durationMs: SIZE.durationMs,
    bodyBytes: 64,
    stopAtBacklogMs: BACKLOG_MS,
    drainMs: 2000,
    ...(side === 'chatquake' ? { historyPath: join(dir, `${prefix}-history.jsonl`) } : {}),
  };
}

/** Seconds a sustained rate is averaged over: all of them in bound. */
const SPAN = 3;

/**
 * For each second: whether its backlog was in bound, and the delivered/s over the span of SPAN
 * seconds ending with it, counted (`span`) only when all of them were in bound.
 */
export function windowRates(windows: readonly Window[]): { delivered: number; ok: boolean; span: boolean }[] {
  const out: { delivered: number; ok: boolean; span: boolean }[] = [];
  for (let i = 1; i < windows.length; i++) {
    const a = windows[Math.max(0, i - SPAN)] as Window;
    const b = windows[i] as Window;
    const delivered = ((b.delivered - a.delivered) * 1000) / Math.max(1, b.elapsedMs - a.elapsedMs);
    const ok = !windowOverBound(windows[i - 1] as Window, b, FANOUT, BACKLOG_MS);
    const span = ok && i >= SPAN && out.slice(i - SPAN, i - 1).every((w) => w.ok);
    out.push({ delivered, ok, span });
  }
  return out;
}

/**
 * The best sustained rate: the highest delivered/s over SPAN seconds all in bound, up to the
 * first two seconds in a row out of bound (where the ramp stops; one alone is a stall).
 */
export function sustained(windows: readonly Window[]): number {
  const rates = windowRates(windows);
  let best = 0;
  for (let i = 0; i < rates.length; i++) {
    const w = rates[i] as { delivered: number; ok: boolean; span: boolean };
    if (!w.ok && rates[i + 1]?.ok === false) break;
    if (w.span) best = Math.max(best, w.delivered);
  }
  return best;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'chatquake-overhead-'));
  const server = await startBenchServer();
  const results: Record<Side, SideRun[]> = { chatquake: [], bare: [] };
  const failures: string[] = [];
  try {
    for (let r = 0; r < SIZE.repeats; r++) {
      const order: Side[] = r % 2 === 0 ? ['chatquake', 'bare'] : ['bare', 'chatquake'];
      for (const side of order) {
        const plan = planFor(server, side, dir);
        await server.createConversations(planUsers(plan).conversations);
        const run = await runDriver(server, plan);
        results[side].push(run);
        if ((run.result.violations ?? 0) > 0)
          failures.push(`chatquake: the live judge counted ${run.result.violations} violations`);
        process.stderr.write(
          `  ${side}: sustained ${Math.round(sustained(run.result.windows))} delivered/s, ${run.result.sent} sent, ${(run.wallMs / 1000).toFixed(1)} s\n`,
        );
      }
    }
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const rate = (side: Side) => median(results[side].map((run) => sustained(run.result.windows)));
  const bare = rate('bare');
  const rows: Row[] = (['chatquake', 'bare'] as Side[]).map((side) => ({
    side,
    'sustained delivered/s': rate(side),
    'sends/s': rate(side) / FANOUT,
    '× bare': rate(side) / bare,
    'generator cpu s': median(results[side].map((r) => r.cpuSeconds)),
    'server cpu s': median(results[side].map((r) => r.serverCpuSeconds)),
    records: side === 'chatquake' ? 'history file + live judge' : 'nothing',
  }));
  finish({
    name: 'overhead',
    rows,
    goals: [goal('chatquake / bare, sustained delivered msgs/s', rate('chatquake') / bare, '>=', 0.9)],
    notes: [
      `${SIZE.connections} connections in direct conversations (2 deliveries per send), one reference-server node with stored acks; open rate ramped ${SIZE.startRate} → ${SIZE.endRate} sends/s over ${SIZE.durationMs / 1000} s; medians of ${SIZE.repeats}`,
      `sustained: the best delivered rate over ${SPAN} consecutive seconds, each with the backlog (deliveries owed for messages sent) under ${BACKLOG_MS} ms of deliveries at its end; the ramp stops at the first two seconds in a row past it`,
      'the generator and the server share the machine: what the generator spends, the server does not get',
    ],
    data: {
      windows: Object.fromEntries(
        (['chatquake', 'bare'] as Side[]).map((s) => [s, results[s].map((r) => r.result.windows)]),
      ),
    },
    ...(failures.length > 0 ? { failure: failures.join('; ') } : {}),
  });
}

await main();
