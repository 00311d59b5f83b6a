// Runs one load-generator side as a child process and measures what it cost: the CPU seconds of
// the process and of everything it forked and waited for (read from this process's reaped
// children's time, so Artillery's workers count whether they are threads or processes), and
// the CPU seconds the server spent meanwhile (a check that every side gave it the same work).
// Sides run one at a time: the reaped-children counter only means one side while nothing else
// this process started exits.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processCpuSeconds } from '../support/proc.ts';
import type { DrivePlan, DriveResult } from './plan.ts';
import { planUsers } from './plan.ts';
import { type BenchServer, benchToken, reapedChildrenCpuSeconds } from './reference-server.ts';

const here = dirname(fileURLToPath(import.meta.url));
export const ARTILLERY_BIN = join(here, '..', '.tools', 'artillery', 'node_modules', '.bin', 'artillery');
export const ARTILLERY_INSTALL = 'sh bench/tools/install-artillery.sh';
/** No side may run longer than this, whatever it was told. */
const SIDE_LIMIT_MS = 150_000;

export type SideName = 'chatquake' | 'artillery' | 'bare';

export interface SideRun {
  side: SideName;
  /** CPU seconds of the side's process tree. */
  cpuSeconds: number;
  /** CPU seconds the server node spent while the side ran. */
  serverCpuSeconds: number;
  wallMs: number;
  result: DriveResult;
}

export function artilleryInstalled(): boolean {
  return existsSync(ARTILLERY_BIN);
}

/** Spawns, waits with a bound, and returns stdout; rejects on a non-zero exit. */
function runChild(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const limit = setTimeout(() => child.kill('SIGKILL'), SIDE_LIMIT_MS);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(limit);
      if (code === 0) resolve({ stdout, stderr });
      else
        reject(
          new Error(`${command} exited ${code ?? signal}: ${stderr.slice(-2000) || stdout.slice(-2000)}`),
        );
    });
  });
}

async function measured(
  side: SideName,
  server: BenchServer,
  run: () => Promise<DriveResult>,
): Promise<SideRun> {
  const cpu0 = reapedChildrenCpuSeconds();
  const server0 = processCpuSeconds(server.pid);
  const t0 = performance.now();
  const result = await run();
  return {
    side,
    cpuSeconds: reapedChildrenCpuSeconds() - cpu0,
    serverCpuSeconds: processCpuSeconds(server.pid) - server0,
    wallMs: performance.now() - t0,
    result,
  };
}

/** chatquake's load generator or the bare loop, in a child process of their own. */
export function runDriver(server: BenchServer, plan: DrivePlan): Promise<SideRun> {
  return measured(plan.side, server, async () => {
    // CHATQUAKE_BENCH_CPU_PROF=<dir>: a V8 CPU profile of each driver process, written there.
    const profDir = process.env.CHATQUAKE_BENCH_CPU_PROF;
    const prof = profDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profDir}`];
    const { stdout } = await runChild(process.execPath, [
      ...prof,
      '--import',
      'tsx',
      // CHATQUAKE_BENCH_DRIVER=<drive.ts of another checkout>: the same side from other code (A/B).
      process.env.CHATQUAKE_BENCH_DRIVER ?? join(here, 'drive.ts'),
      JSON.stringify(plan),
    ]);
    const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
    if (line === undefined) throw new Error(`${plan.side}: no RESULT line in ${stdout.slice(-500)}`);
    return JSON.parse(line.slice('RESULT '.length)) as DriveResult;
  });
}

/**
 * Artillery's `ws` engine on the same plan (constant rate only): one VU per connection, each
 * with its user's token from a payload file, sending its share of the messages in a loop paced
 * by `think`. It times no round trip: a send step ends when the frame is written.
 */
export function runArtillery(server: BenchServer, plan: DrivePlan, workDir: string): Promise<SideRun> {
  const { users, conversations } = planUsers(plan);
  const perConnection = Math.round((plan.endRate * plan.durationMs) / 1000 / plan.connections);
  const thinkMs = Math.max(1, Math.round((plan.connections * 1000) / plan.endRate));
  const payload = join(workDir, `${plan.prefix}-users.csv`);
  writeFileSync(
    payload,
    users
      .map((u, i) => `${u},${benchToken(u, plan.secret)},${(conversations[i >> 1] as { id: string }).id}`)
      .join('\n'),
  );
  // The body as chatquake's: the cmid, a space and padding, bodyBytes long (± the loop count's digits).
  const cmid = '{{ user }}-{{ $loopCount }}';
  const pad = 'x'.repeat(Math.max(0, plan.bodyBytes - `${users[0]}-${perConnection} `.length));
  const script = {
    config: {
      target: plan.wsUrl,
      phases: [{ duration: 1, arrivalCount: plan.connections }],
      payload: { path: payload, fields: ['user', 'token', 'conv'], order: 'sequence' },
      ws: { perMessageDeflate: false },
    },
    scenarios: [
      {
        engine: 'ws',
        flow: [
          { connect: `${plan.wsUrl}?token={{ token }}` },
          {
            loop: [
              { send: `{"type":"send","conv":"{{ conv }}","cmid":"${cmid}","body":"${cmid} ${pad}"}` },
              { think: `${thinkMs}ms` },
            ],
            count: perConnection,
          },
        ],
      },
    ],
  };
  const scriptFile = join(workDir, `${plan.prefix}-artillery.yml`);
  const reportFile = join(workDir, `${plan.prefix}-artillery.json`);
  // JSON is YAML: Artillery reads it as its script.
  writeFileSync(scriptFile, JSON.stringify(script, null, 2));
  return measured('artillery', server, async () => {
    const env = { ...process.env, ARTILLERY_DISABLE_TELEMETRY: 'true', ARTILLERY_TELEMETRY_DEFAULTS: '{}' };
    await runChild(ARTILLERY_BIN, ['run', '--output', reportFile, scriptFile], env);
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as {
      aggregate?: { counters?: Record<string, number> };
    };
    const counters = report.aggregate?.counters ?? {};
    return {
      side: 'artillery',
      sent: counters['websocket.messages_sent'] ?? 0,
      // Artillery neither waits for nor counts acks and deliveries unless a step matches one.
      acked: Number.NaN,
      delivered: Number.NaN,
      loadMs: 0,
      cpuSeconds: Number.NaN,
      windows: [],
      failedVusers: counters['vusers.failed'] ?? 0,
    };
  });
}
