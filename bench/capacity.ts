// The reference server's capacity on this machine: a ramp of open-model rates, each step a real
// `chatquake run` of three regions (one node each, replicated acks, 4-member groups) with the
// load generator on the same cores, judged by its summary.json: the run is valid, delivery p99
// is under 500 ms and every consistency check is clean. The highest passing rate is the
// capacity. It also measures idle connections held per GB of a node's RSS, and the bottleneck:
// cores each process used during the top step (from /proc) and the top functions of the busiest
// node from a CPU profile (the node profiles itself when CHATQUAKE_CPU_PROF_DIR is set,
// im-server/cpu-profile.ts). With --baseline DIR the same steps run against another checkout
// (e.g. the parent commit) interleaved with this one, so the "faster" claim pairs both sides in
// one run. Every step is bounded by its duration; every process started is stopped.
//
//   npx tsx bench/capacity.ts [--quick] [--rates 3000,4000,5000] [--duration 8] [--repeats 1]
//                             [--baseline /path/to/other/checkout] [--all] [--idle 4000] [--no-profile]
import { type ChildProcess, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { z } from 'zod';
import { signToken } from '../im-server/token.ts';
import { type BenchResult, benchArgs, finish, goal, type Row } from './support/bench.ts';
import { processCpuSeconds, processRssBytes } from './support/proc.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const P99_LIMIT_MS = 500;
const GOAL_SENDS_PER_SEC = 5_000;

const args = benchArgs();
const Flags = z.object({
  rates: z
    .string()
    .regex(/^\d+(,\d+)*$/, '--rates: comma-separated messages per second')
    .transform((s) => s.split(',').map(Number))
    .optional(),
  duration: z.coerce.number().int().min(1).max(60).optional(),
  repeats: z.coerce.number().int().min(1).max(5).default(1),
  baseline: z.string().min(1).optional(),
  idle: z.coerce.number().int().min(10).max(20_000).optional(),
  'no-profile': z.boolean().default(false),
  /** Run every rate even after a side fails one (for paired figures at each rate). */
  all: z.boolean().default(false),
});
const flags = Flags.parse(
  parseArgs({
    args: process.argv.slice(2).filter((a) => a !== '--quick' && a !== '--strict'),
    options: {
      rates: { type: 'string' },
      duration: { type: 'string' },
      repeats: { type: 'string' },
      baseline: { type: 'string' },
      idle: { type: 'string' },
      'no-profile': { type: 'boolean' },
      all: { type: 'boolean' },
    },
  }).values,
);
const rates = flags.rates ?? (args.quick ? [300] : [1_000, 2_000, 3_000, 4_000, 5_000, 6_000, 7_000]);
const duration = flags.duration ?? (args.quick ? 1 : 8);
const idleCount = flags.idle ?? (args.quick ? 100 : 4_000);
const work = mkdtempSync(join(tmpdir(), 'chatquake-capacity-'));

/** Three regions' worth of 4-member groups only: every send is 4 deliveries, as the issue sets. */
const scenarioFile = join(work, 'capacity.json');
writeFileSync(
  scenarioFile,
  JSON.stringify({
    name: 'capacity',
    description: 'bench/capacity.ts ramp step: 4-member groups, no faults',
    duration: '10s',
    workload: { users: 200, rate: 100, conversations: { direct: 0, groups: 50, groupSize: 4 } },
    chaos: [],
  }),
);

interface Sample {
  /** performance.now() in seconds. */
  t: number;
  /** Date.now(), to line samples up with the history's timestamps. */
  wall: number;
  cpu: number;
}

/** Samples the CPU seconds of the run's processes (the CLI, and the ones its log headers name). */
function watchProcesses(cli: ChildProcess, logs: string): { stop(): Map<string, Sample[]> } {
  const pids = new Map<string, number>();
  const samples = new Map<string, Sample[]>();
  const tick = (): void => {
    if (cli.pid !== undefined) pids.set('load generator (CLI)', cli.pid);
    if (existsSync(logs)) {
      for (const file of readdirSync(logs)) {
        if (!file.endsWith('.log') || pids.has(file.slice(0, -4))) continue;
        const head = readFileSync(join(logs, file), 'utf8').slice(0, 300);
        const pid = /^# \S+ pid (\d+) /.exec(head)?.[1];
        if (pid !== undefined) pids.set(file.slice(0, -4), Number(pid));
      }
    }
    const t = performance.now() / 1000;
    for (const [name, pid] of pids) {
      try {
        const list = samples.get(name) ?? [];
        list.push({ t, wall: Date.now(), cpu: processCpuSeconds(pid) });
        samples.set(name, list);
      } catch {
        // Gone: its last sample stands.
      }
    }
  };
  const timer = setInterval(tick, 250);
  return {
    stop() {
      clearInterval(timer);
      return samples;
    },
  };
}

/**
 * The most cores a process used over any window of `seconds` (1.0 = one core saturated), its
 * first seconds left out: tsx compiling the sources at start-up would otherwise be the peak.
 */
function peakCores(all: readonly Sample[], seconds = 3, startupSeconds = 4): number {
  const list = all.filter((x) => x.t - (all[0] as Sample).t >= startupSeconds);
  let best = 0;
  let j = 0;
  for (let i = 0; i < list.length; i++) {
    while (j < i && (list[i] as Sample).t - (list[j] as Sample).t > seconds) j++;
    const span = (list[i] as Sample).t - (list[j] as Sample).t;
    if (span >= seconds * 0.8)
      best = Math.max(best, ((list[i] as Sample).cpu - (list[j] as Sample).cpu) / span);
  }
  return best;
}

/** CPU seconds the process spent between two wall-clock times, interpolating between samples. */
function cpuBetween(list: readonly Sample[], from: number, to: number): number {
  const at = (wall: number): number => {
    let prev: Sample | undefined;
    for (const x of list) {
      if (x.wall >= wall) {
        if (prev === undefined) return x.cpu;
        return prev.cpu + ((x.cpu - prev.cpu) * (wall - prev.wall)) / Math.max(1, x.wall - prev.wall);
      }
      prev = x;
    }
    return prev?.cpu ?? 0;
  };
  return Math.max(0, at(to) - at(from));
}

/** When the load began: the first send in the run's history (epoch ms), or undefined. */
function firstSendAt(history: string): number | undefined {
  if (!existsSync(history)) return undefined;
  const text = readFileSync(history, 'utf8');
  const i = text.indexOf('{"type":"send"');
  if (i < 0) return undefined;
  const line = text.slice(i, text.indexOf('\n', i));
  const t = z.object({ t: z.number() }).safeParse(JSON.parse(line));
  return t.success ? t.data.t : undefined;
}

const Summary = z.object({
  valid: z.boolean(),
  invalidReasons: z.array(z.string()),
  load: z.object({ sent: z.number(), delivered: z.number(), sendRatePerSecond: z.number() }),
  latency: z.object({ deliveryMs: z.object({ p50: z.number().nullable(), p99: z.number().nullable() }) }),
  checks: z.array(z.object({ name: z.string(), ok: z.boolean(), actual: z.number() })),
});

interface Step {
  side: string;
  rate: number;
  pass: boolean;
  valid: boolean;
  violations: number;
  sentPerSec: number;
  deliveredPerSec: number;
  p50: number;
  p99: number;
  cores: Record<string, number>;
  /** CPU ms the three nodes together spent per 1,000 sends during the load (plus 1 s of drain). */
  nodeCpuMsPerKSend: number;
  /** The same for the load generator (the CLI process). */
  loadCpuMsPerKSend: number;
  why: string;
}

/** One `chatquake run` at `rate`, with the server of checkout `tree`. */
async function runStep(side: string, tree: string, rate: number, profileDir?: string): Promise<Step> {
  const out = join(work, `${side}-${rate}-${Date.now()}`);
  const env = { ...process.env };
  if (profileDir !== undefined) env.CHATQUAKE_CPU_PROF_DIR = profileDir;
  // The load generator is this CLI process, so it takes Node's own flag (the nodes it starts
  // profile themselves through the environment).
  const profileFlags =
    profileDir === undefined
      ? []
      : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, '--cpu-prof-name=loadgen.cpuprofile'];
  const cli = spawn(
    process.execPath,
    [
      ...profileFlags,
      join(tree, 'bin', 'chatquake.js'),
      'run',
      scenarioFile,
      '--rate',
      String(rate),
      '--duration',
      String(duration),
      '-o',
      out,
      '-q',
      '--no-thresholds',
      '--seed',
      '17',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], env },
  );
  let stderr = '';
  cli.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-2000);
  });
  const watch = watchProcesses(cli, join(out, 'logs'));
  const killer = setTimeout(() => cli.kill('SIGINT'), (duration + 90) * 1000);
  const code = await new Promise<number | null>((done) => cli.once('exit', (c) => done(c)));
  clearTimeout(killer);
  const samples = watch.stop();
  const cores: Record<string, number> = {};
  for (const [name, list] of samples) cores[name] = peakCores(list);
  const file = join(out, 'summary.json');
  if (!existsSync(file)) {
    return {
      side,
      rate,
      pass: false,
      valid: false,
      violations: 0,
      sentPerSec: 0,
      deliveredPerSec: 0,
      p50: Number.NaN,
      p99: Number.NaN,
      cores,
      nodeCpuMsPerKSend: Number.NaN,
      loadCpuMsPerKSend: Number.NaN,
      why: `no summary (exit ${code}): ${stderr.trim().split('\n').slice(-2).join(' ')}`,
    };
  }
  const s = Summary.parse(JSON.parse(readFileSync(file, 'utf8')));
  const violations = s.checks.filter((c) => !c.ok).reduce((n, c) => n + Math.max(1, c.actual), 0);
  const p99 = s.latency.deliveryMs.p99 ?? Number.POSITIVE_INFINITY;
  const pass = s.valid && violations === 0 && p99 < P99_LIMIT_MS;
  const why = !s.valid
    ? `invalid: ${(s.invalidReasons[0] ?? '').slice(0, 100)}`
    : violations > 0
      ? `violations: ${s.checks
          .filter((c) => !c.ok)
          .map((c) => c.name)
          .join(', ')}`
      : p99 >= P99_LIMIT_MS
        ? `p99 ${Math.round(p99)} ms`
        : 'ok';
  const start = firstSendAt(join(out, 'history.jsonl'));
  const perKSend = (names: string[]): number => {
    if (start === undefined || s.load.sent === 0) return Number.NaN;
    const end = start + duration * 1000 + 1000;
    const cpu = names.reduce((sum, n) => sum + cpuBetween(samples.get(n) ?? [], start, end), 0);
    return (cpu * 1000 * 1000) / s.load.sent;
  };
  const nodeNames = [...samples.keys()].filter((n) => /-n\d+$/.test(n));
  rmSync(join(out, 'data'), { recursive: true, force: true });
  return {
    side,
    rate,
    pass,
    valid: s.valid,
    violations,
    sentPerSec: s.load.sendRatePerSecond,
    deliveredPerSec: s.load.delivered / duration,
    p50: s.latency.deliveryMs.p50 ?? Number.NaN,
    p99,
    cores,
    nodeCpuMsPerKSend: perKSend(nodeNames),
    loadCpuMsPerKSend: perKSend(['load generator (CLI)']),
    why,
  };
}

/** The repeats of one step folded into one: medians of the figures, a violation anywhere fails it. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function fold(steps: Step[]): Step {
  const first = steps[0] as Step;
  const p99 = median(steps.map((s) => s.p99));
  const violations = steps.reduce((n, s) => n + s.violations, 0);
  const valid = steps.every((s) => s.valid);
  return {
    ...first,
    valid,
    violations,
    p99,
    p50: median(steps.map((s) => s.p50)),
    nodeCpuMsPerKSend: median(steps.map((s) => s.nodeCpuMsPerKSend)),
    loadCpuMsPerKSend: median(steps.map((s) => s.loadCpuMsPerKSend)),
    sentPerSec: median(steps.map((s) => s.sentPerSec)),
    deliveredPerSec: median(steps.map((s) => s.deliveredPerSec)),
    pass: valid && violations === 0 && p99 < P99_LIMIT_MS,
    why: steps.map((s) => s.why).join(' / '),
  };
}

/** Self time by function in a .cpuprofile, as shares of the whole profile. */
function topFunctions(file: string, n = 12): { fn: string; share: number }[] {
  const Profile = z.object({
    nodes: z.array(
      z.object({
        id: z.number(),
        callFrame: z.object({ functionName: z.string(), url: z.string(), lineNumber: z.number() }),
      }),
    ),
    samples: z.array(z.number()),
    timeDeltas: z.array(z.number()),
  });
  const p = Profile.parse(JSON.parse(readFileSync(file, 'utf8')));
  const byId = new Map(p.nodes.map((node) => [node.id, node.callFrame]));
  const self = new Map<string, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    const cf = byId.get(id);
    const key = `${cf?.functionName || '(anonymous)'} ${cf?.url.split('/').pop() ?? ''}`.trim();
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  return [...self.entries()]
    .filter(([fn]) => fn !== '(idle)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([fn, t]) => ({ fn, share: t / Math.max(1, total) }));
}

/** Opens `count` idle sessions to one standalone node; its RSS growth per session. */
async function idleConnections(
  count: number,
): Promise<{ bytesPerConnection: number; perGb: number; held: number }> {
  const secret = 'capacity-bench-secret';
  const server = spawn(
    process.execPath,
    [
      join(root, 'bin', 'chatquake.js'),
      'server',
      '--region',
      'solo',
      '--node',
      'n1',
      '--port',
      '0',
      '--data',
      join(work, 'idle-data'),
      '--max-connections',
      String(count + 100),
    ],
    {
      stdio: ['pipe', 'pipe', 'ignore'],
      env: { ...process.env, CHATQUAKE_SECRET: secret, CHATQUAKE_ADMIN_TOKEN: 'capacity-bench-admin' },
    },
  );
  const sockets: WebSocket[] = [];
  try {
    const port = await new Promise<number>((done, fail) => {
      const timer = setTimeout(
        () => fail(new Error('the idle-connection node did not start in 20 s')),
        20_000,
      );
      let buffered = '';
      server.stdout?.on('data', (d: Buffer) => {
        buffered += d.toString();
        const m = /"port":(\d+)/.exec(buffered);
        if (m !== null) {
          clearTimeout(timer);
          done(Number(m[1]));
        }
      });
      server.once('exit', () => fail(new Error('the idle-connection node exited')));
    });
    const pid = server.pid as number;
    // Warm the node up with a few sessions so the baseline RSS includes the code paths.
    const open = async (n: number): Promise<void> => {
      const batch: Promise<void>[] = [];
      for (let i = 0; i < n; i++) {
        const user = `idle${sockets.length}`;
        const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${signToken({ user, secret })}`);
        sockets.push(ws);
        batch.push(
          new Promise<void>((done, fail) => {
            ws.once('message', () => done());
            ws.once('error', fail);
          }),
        );
        if (batch.length >= 200) await Promise.all(batch.splice(0));
      }
      await Promise.all(batch);
    };
    await open(20);
    await new Promise((r) => setTimeout(r, 500));
    const before = processRssBytes(pid);
    await open(count);
    await new Promise((r) => setTimeout(r, 1000));
    const after = processRssBytes(pid);
    const bytesPerConnection = Math.max(1, (after - before) / count);
    return { bytesPerConnection, perGb: 2 ** 30 / bytesPerConnection, held: count };
  } finally {
    for (const ws of sockets) ws.terminate();
    server.kill('SIGKILL');
  }
}

async function main(): Promise<void> {
  const sides: { side: string; tree: string }[] = [{ side: 'this', tree: root }];
  if (flags.baseline !== undefined) sides.push({ side: 'baseline', tree: resolve(flags.baseline) });
  const steps: Step[] = [];
  const profileDir = join(work, 'profiles');
  mkdirSync(profileDir, { recursive: true });
  const passedBy = new Map<string, number>();
  const failedBy = new Set<string>();
  for (const rate of rates) {
    const live = sides.filter((s) => flags.all || !failedBy.has(s.side));
    if (live.length === 0) break;
    const runs = new Map<string, Step[]>();
    // Interleaved, so both sides see the same load from whatever else shares the machine.
    for (let r = 0; r < flags.repeats; r++) {
      for (const { side, tree } of live) {
        const profiled = args.quick && !flags['no-profile'] && side === 'this';
        const step = await runStep(side, tree, rate, profiled ? profileDir : undefined);
        runs.set(side, [...(runs.get(side) ?? []), step]);
        console.log(`${side} ${rate}/s: ${step.why} (p99 ${Math.round(step.p99)} ms)`);
      }
    }
    for (const [side, list] of runs) {
      const step = fold(list);
      steps.push(step);
      if (step.pass && !failedBy.has(side)) passedBy.set(side, rate);
      else failedBy.add(side);
    }
  }
  const capacity = passedBy.get('this') ?? 0;
  const baselineCapacity = passedBy.get('baseline');

  // The bottleneck: the top step again (the highest passing, else the lowest), profiled.
  type Top = { fn: string; share: number }[];
  let profile: { node: string; cores: Record<string, number>; top: Top; loadGenerator: Top } | undefined;
  if (!flags['no-profile']) {
    // A quick run profiled its first step instead of running another (the suite's time is tight).
    const step = args.quick
      ? (steps[0] as Step)
      : await runStep('this (profiled)', root, capacity > 0 ? capacity : (rates[0] as number), profileDir);
    const nodes = Object.entries(step.cores).filter(([name]) => /-n\d+$/.test(name));
    nodes.sort((a, b) => b[1] - a[1]);
    const busiest = nodes[0]?.[0];
    const file = readdirSync(profileDir).find((f) => busiest !== undefined && f.startsWith(busiest));
    const loadgen = join(profileDir, 'loadgen.cpuprofile');
    profile = {
      node: busiest ?? '(none)',
      cores: step.cores,
      top: file === undefined ? [] : topFunctions(join(profileDir, file)),
      loadGenerator: existsSync(loadgen) ? topFunctions(loadgen) : [],
    };
  }
  const idle = await idleConnections(idleCount);

  const rows: Row[] = steps.map((s) => ({
    side: s.side,
    'rate/s': s.rate,
    'sent/s': Math.round(s.sentPerSec),
    'delivered/s': Math.round(s.deliveredPerSec),
    'p50 ms': Math.round(s.p50),
    'p99 ms': Math.round(s.p99),
    'node CPU ms/1k sends': Math.round(s.nodeCpuMsPerKSend),
    'loadgen CPU ms/1k sends': Math.round(s.loadCpuMsPerKSend),
    result: s.pass ? 'pass' : s.why.slice(0, 60),
  }));
  const top = steps.filter((s) => s.side === 'this' && s.rate === (capacity || rates[0]));
  const notes = [
    `capacity (highest passing rate, p99 < ${P99_LIMIT_MS} ms, valid, no violations): ${capacity}/s` +
      (baselineCapacity === undefined ? '' : `; baseline ${flags.baseline}: ${baselineCapacity}/s`),
    `idle sessions: ${Math.round(idle.bytesPerConnection)} bytes of node RSS each, ${Math.round(idle.perGb).toLocaleString('en-US')} per GB (${idle.held} opened)`,
    'steps run the load generator, the directory, the fault proxy and three nodes on the same cores; figures move with whatever else shares the machine',
  ];
  if (top[0] !== undefined) {
    notes.push(
      `cores at ${top[0].rate}/s (peak over 3 s): ${Object.entries(top[0].cores)
        .map(([k, v]) => `${k} ${v.toFixed(2)}`)
        .join(', ')}`,
    );
  }
  if (profile !== undefined) {
    notes.push(
      `busiest node ${profile.node}, top self time: ${profile.top
        .slice(0, 8)
        .map((t) => `${t.fn} ${(t.share * 100).toFixed(1)}%`)
        .join(', ')}`,
    );
    notes.push(
      `load generator, top self time: ${profile.loadGenerator
        .slice(0, 8)
        .map((t) => `${t.fn} ${(t.share * 100).toFixed(1)}%`)
        .join(', ')}`,
    );
  }
  const goals = [goal('capacity, sends/s at p99 < 500 ms', capacity, '>=', GOAL_SENDS_PER_SEC, '/s')];
  if (baselineCapacity !== undefined && baselineCapacity > 0) {
    goals.push(goal('capacity / baseline', capacity / baselineCapacity, '>=', 5_000 / 3_000));
  }
  // Node CPU per send, paired at each rate both sides ran: less at the mercy of other work on
  // the machine than latency is.
  const ratios = steps
    .filter((s) => s.side === 'this')
    .map((s) => [s, steps.find((b) => b.side === 'baseline' && b.rate === s.rate)] as const)
    .filter(([s, b]) => b !== undefined && s.nodeCpuMsPerKSend > 0 && (b?.nodeCpuMsPerKSend ?? 0) > 0)
    .map(([s, b]) => s.nodeCpuMsPerKSend / (b as Step).nodeCpuMsPerKSend);
  if (ratios.length > 0) {
    goals.push(goal('node CPU per send / baseline (median over rates)', median(ratios), '<=', 3_000 / 5_000));
  }
  const lost = steps.filter((s) => s.violations > 0);
  const result: BenchResult = {
    name: 'capacity',
    rows,
    goals,
    notes,
    data: {
      capacity,
      baselineCapacity,
      cpuRatios: ratios,
      steps,
      profile,
      idle,
      duration,
      repeats: flags.repeats,
    },
    ...(lost.length > 0
      ? { failure: `violations at ${lost.map((s) => `${s.side} ${s.rate}/s (${s.why})`).join('; ')}` }
      : {}),
  };
  finish(result, args);
}

try {
  await main();
} finally {
  rmSync(work, { recursive: true, force: true });
}
