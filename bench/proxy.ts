// What the fault proxy costs against what a user could put in its place. Four paths to the same
// echo and blast servers, in one run: direct; a bare Node pipe (a child process doing
// net.createServer + socket.pipe both ways, so it pays the same process hop as the proxy); the
// proxy with no toxic; the proxy with a noop toxic each way (the toxic pipeline doing nothing).
// The proxy runs as a child process, as the harness runs it, pinned to the same core as the
// pipe. Latency: the paths take turns message by message, so a busy neighbour slows them alike.
// Rate and bulk: every path once per round in a rotated order; medians over rounds, ratios to
// the pipe per round. Rows: round-trip p50/p99 and what the path adds to direct, 64-byte round
// trips per second over 16 connections, bulk MB/s one way and the middle process's CPU per GB.
// Bounded: every phase stops at a count or a time limit; a full run takes about 45 s, --quick
// about 7 s. PROXY_BENCH_PROFILE=<dir> writes both children's CPU profiles there.
//
//   npx tsx bench/proxy.ts [--quick] [--strict]
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { cpus } from 'node:os';
import { benchArgs, finish, type Goal, goal, type Row } from './support/bench.ts';
import { processCpuSeconds } from './support/proc.ts';

const args = benchArgs();
const size = args.quick
  ? { rounds: 1, warmup: 50, roundTrips: 300, rateMs: 200, bulkBytes: 8 * 1024 * 1024 }
  : { rounds: 9, warmup: 200, roundTrips: 1500, rateMs: 400, bulkBytes: 128 * 1024 * 1024 };
const ROUND_TRIP_LIMIT_MS = 3000;
const CONCURRENT_CONNECTIONS = 16;
const BULK_LIMIT_MS = 4000;
const MESSAGE = Buffer.alloc(64, 'm');
const BLAST_CHUNK = Buffer.alloc(64 * 1024, 'b');
const START_LIMIT_MS = 10_000;

type PathName = 'direct' | 'bare pipe' | 'proxy, no toxic' | 'proxy, noop toxics';
const PATHS: readonly PathName[] = ['direct', 'bare pipe', 'proxy, no toxic', 'proxy, noop toxics'];

interface Ports {
  echo: number;
  blast: number;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function dial(port: number): Promise<Socket> {
  const socket = connect({ port, host: '127.0.0.1', noDelay: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return socket;
}

function quantile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** One 64-byte round trip at a time on an echo connection; resolves with its time in ms. */
async function pinger(port: number): Promise<{ ping(): Promise<number>; close(): void }> {
  const socket = await dial(port);
  let pending = 0;
  let wake: () => void = () => {};
  socket.on('data', (chunk: Buffer) => {
    pending -= chunk.length;
    if (pending <= 0) wake();
  });
  return {
    async ping() {
      const start = performance.now();
      pending = MESSAGE.length;
      const done = new Promise<void>((resolve) => {
        wake = resolve;
      });
      socket.write(MESSAGE);
      await done;
      return performance.now() - start;
    },
    close: () => socket.destroy(),
  };
}

/**
 * Round trips on one connection per path, taking turns message by message, so every path's
 * samples come from the same moments and a busy neighbour slows them all alike.
 */
async function roundTrips(ports: Record<PathName, Ports>, into: Map<PathName, number[]>): Promise<void> {
  const pingers = await Promise.all(PATHS.map((path) => pinger(ports[path].echo)));
  try {
    for (let i = 0; i < size.warmup; i++) for (const p of pingers) await p.ping();
    const deadline = performance.now() + ROUND_TRIP_LIMIT_MS;
    for (let i = 0; i < size.roundTrips && performance.now() < deadline; i++) {
      for (let k = 0; k < PATHS.length; k++) {
        const at = (i + k) % PATHS.length;
        into.get(PATHS[at] as PathName)?.push(await (pingers[at] as { ping(): Promise<number> }).ping());
      }
    }
  } finally {
    for (const p of pingers) p.close();
  }
}

/** Round trips per second summed over concurrent ping-pong connections. */
async function messageRate(port: number): Promise<number> {
  const sockets = await Promise.all(Array.from({ length: CONCURRENT_CONNECTIONS }, () => dial(port)));
  let completed = 0;
  let running = true;
  const start = performance.now();
  await Promise.all(
    sockets.map(
      (socket) =>
        new Promise<void>((resolve) => {
          let pending = MESSAGE.length;
          socket.on('data', (chunk: Buffer) => {
            pending -= chunk.length;
            if (pending > 0) return;
            completed++;
            if (!running || performance.now() - start > size.rateMs) {
              running = false;
              resolve();
              return;
            }
            pending = MESSAGE.length;
            socket.write(MESSAGE);
          });
          socket.write(MESSAGE);
        }),
    ),
  );
  const elapsed = performance.now() - start;
  for (const socket of sockets) socket.destroy();
  return (completed / elapsed) * 1000;
}

/**
 * MB/s of a one-way transfer from the blast server, which sends size.bulkBytes and closes. A
 * transfer that ends short of that before the time limit lost data: the benchmark fails.
 */
async function throughput(port: number, path: string): Promise<number> {
  const socket = await dial(port);
  let received = 0;
  let timedOut = false;
  const start = performance.now();
  await new Promise<void>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (performance.now() - start > BULK_LIMIT_MS) {
        timedOut = true;
        resolve();
      }
    });
    socket.on('close', () => resolve());
    socket.on('error', () => {});
  });
  const elapsed = performance.now() - start;
  socket.destroy();
  if (!timedOut && received !== size.bulkBytes) {
    throw new Error(`${path}: bulk transfer ended after ${received} of ${size.bulkBytes} bytes`);
  }
  return received / 1e6 / (elapsed / 1000);
}

function startServers(): { echo: Server; blast: Server } {
  const echo = createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  const blast = createServer((socket) => {
    socket.on('error', () => {});
    let sent = 0;
    const pump = (): void => {
      while (sent < size.bulkBytes && !socket.destroyed) {
        sent += BLAST_CHUNK.length;
        if (!socket.write(BLAST_CHUNK)) {
          socket.once('drain', pump);
          return;
        }
      }
      socket.end();
    };
    pump();
  });
  return { echo, blast };
}

/** A child process's first stdout line, parsed as JSON; rejects if it exits or stays silent. */
function firstLine(child: ChildProcess, what: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start in time`)), START_LIMIT_MS);
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const newline = buffered.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      resolve(JSON.parse(buffered.slice(0, newline)));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}`));
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/**
 * The bare pipe: what `socket.pipe` costs with nothing else, in its own process. One listener per
 * upstream port given; prints their ports as a JSON array.
 */
const BARE_PIPE = `
const net = require('node:net');
const upstreams = process.argv.slice(1).map(Number);
const servers = upstreams.map((port) => net.createServer({ noDelay: true }, (client) => {
  const upstream = net.connect({ port, host: '127.0.0.1', noDelay: true });
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
  client.pipe(upstream);
  upstream.pipe(client);
}));
let ready = 0;
for (const server of servers) server.listen(0, '127.0.0.1', () => {
  if (++ready === servers.length) console.log(JSON.stringify(servers.map((s) => s.address().port)));
});
process.on('SIGTERM', () => process.exit(0));
`;

/**
 * Where the scheduler puts a process decides a round trip's wake-ups (same core or another one),
 * and it can stay put for a whole run: the bare pipe's and the proxy's figures would differ by
 * where each landed. With taskset (Linux) and 2+ cores, this process takes the first core and
 * both middle processes the last, so both pay the same. Returns the prefix for a child's command.
 */
function pinning(): { prefix: string[]; note: string } {
  const last = cpus().length - 1;
  const own =
    last >= 1 ? spawnSync('taskset', ['-p', '-c', '0', String(process.pid)], { stdio: 'ignore' }) : undefined;
  if (own === undefined || own.status !== 0)
    return { prefix: [], note: 'processes not pinned (no taskset, or 1 core)' };
  return {
    prefix: ['taskset', '-c', String(last)],
    note: `bench process pinned to cpu 0, bare pipe and proxy to cpu ${last}`,
  };
}

function spawnNode(
  prefix: readonly string[],
  args: readonly string[],
  stderr: 'inherit' | 'ignore',
): ChildProcess {
  const [command, ...rest] = [...prefix, process.execPath, ...args];
  return spawn(command as string, rest, { stdio: ['ignore', 'pipe', stderr] });
}

async function startBarePipe(upstream: Ports, prefix: string[], nodeArgs: string[]) {
  const args = [...nodeArgs, '-e', BARE_PIPE, String(upstream.echo), String(upstream.blast)];
  const child = spawnNode(prefix, args, 'inherit');
  const [echo, blast] = (await firstLine(child, 'bare pipe')) as [number, number];
  return { child, ports: { echo, blast } };
}

async function startProxyProcess(prefix: string[], nodeArgs: string[]) {
  const bin = new URL('../bin/chatquake.js', import.meta.url).pathname;
  const child = spawnNode(prefix, [...nodeArgs, bin, 'proxy', '--port', '0', '--seed', '1'], 'ignore');
  const { url } = (await firstLine(child, 'proxy')) as { url: string };
  return { child, url };
}

async function call(url: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${url}${path}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  const text = await response.text();
  return text === '' ? undefined : JSON.parse(text);
}

async function proxyTo(url: string, name: string, upstreamPort: number, noop: boolean): Promise<number> {
  const proxy = (await call(url, 'POST', '/proxies', {
    name,
    upstream: `127.0.0.1:${upstreamPort}`,
    listen: '127.0.0.1:0',
  })) as { listen: string };
  if (noop) {
    for (const stream of ['upstream', 'downstream']) {
      await call(url, 'POST', `/proxies/${name}/toxics`, { type: 'noop', stream });
    }
  }
  return Number(proxy.listen.slice(proxy.listen.lastIndexOf(':') + 1));
}

/** One round's rate and bulk figures for one path. */
interface Sample {
  rate: number;
  mbps: number;
  /** CPU seconds the middle process spent per GB of the bulk transfer (0 for direct). */
  cpuPerGb: number;
}

interface Measured {
  latency: Map<PathName, number[]>;
  rounds: Map<PathName, Sample>[];
}

async function measureRound(
  ports: Record<PathName, Ports>,
  hop: Partial<Record<PathName, number>>,
  round: number,
) {
  const out = new Map<PathName, Sample>();
  for (let i = 0; i < PATHS.length; i++) {
    const path = PATHS[(i + round) % PATHS.length] as PathName;
    const rate = await messageRate(ports[path].echo);
    const pid = hop[path];
    const before = pid === undefined ? 0 : processCpuSeconds(pid);
    const mbps = await throughput(ports[path].blast, path);
    const cpu = pid === undefined ? 0 : processCpuSeconds(pid) - before;
    out.set(path, { rate, mbps, cpuPerGb: cpu / (size.bulkBytes / 1e9) });
  }
  return out;
}

function report(measured: Measured): Row[] {
  const pooled = (path: PathName, p: number) =>
    quantile(Float64Array.from(measured.latency.get(path) ?? []).sort(), p);
  const perRound = (path: PathName, key: keyof Sample) =>
    median(measured.rounds.map((r) => r.get(path)?.[key] ?? 0));
  const toPipe = (path: PathName, key: keyof Sample) =>
    median(measured.rounds.map((r) => (r.get(path)?.[key] ?? 0) / (r.get('bare pipe')?.[key] ?? 1)));
  const directP50 = pooled('direct', 50);
  const directP99 = pooled('direct', 99);
  const pipeAdded = pooled('bare pipe', 50) - directP50;
  return PATHS.map((path) => {
    const added = pooled(path, 50) - directP50;
    const hop = path !== 'direct';
    return {
      path,
      'p50 ms': pooled(path, 50),
      'p99 ms': pooled(path, 99),
      '+p50 ms': added,
      '+p99 ms': pooled(path, 99) - directP99,
      'rt/s x16': perRound(path, 'rate'),
      'MB/s': perRound(path, 'mbps'),
      'hop cpu s/GB': hop ? perRound(path, 'cpuPerGb') : '',
      '+p50 / pipe': hop ? added / pipeAdded : '',
      'rt/s / pipe': hop ? toPipe(path, 'rate') : '',
      'MB/s / pipe': hop ? toPipe(path, 'mbps') : '',
      'cpu/GB / pipe': hop ? toPipe(path, 'cpuPerGb') : '',
    };
  });
}

function goals(rows: readonly Row[]): Goal[] {
  const row = (path: PathName) => rows.find((r) => r.path === path) as Row;
  const out: Goal[] = [];
  for (const [path, slack] of [
    ['proxy, no toxic', 0.1],
    ['proxy, noop toxics', 0.25],
  ] as const) {
    const r = row(path);
    out.push(goal(`${path}: added p50 latency / bare pipe`, Number(r['+p50 / pipe']), '<=', 1 + slack, 'x'));
    out.push(goal(`${path}: bulk MB/s / bare pipe`, Number(r['MB/s / pipe']), '>=', 1 - slack, 'x'));
  }
  return out;
}

/** With PROXY_BENCH_PROFILE=<dir>, the proxy and bare pipe children write V8 CPU profiles there on exit. */
const profileArgs = (): string[] => {
  const dir = process.env.PROXY_BENCH_PROFILE;
  return dir === undefined || dir === '' ? [] : ['--cpu-prof', `--cpu-prof-dir=${dir}`];
};

async function main(): Promise<void> {
  const { echo, blast } = startServers();
  const direct: Ports = { echo: await listen(echo), blast: await listen(blast) };
  const children: ChildProcess[] = [];
  const measured: Measured = { latency: new Map(PATHS.map((p) => [p, []])), rounds: [] };
  let failure: string | undefined;
  const pinned = pinning();
  try {
    const pipe = await startBarePipe(direct, pinned.prefix, profileArgs());
    children.push(pipe.child);
    const proxy = await startProxyProcess(pinned.prefix, profileArgs());
    children.push(proxy.child);
    const ports: Record<PathName, Ports> = {
      direct,
      'bare pipe': pipe.ports,
      'proxy, no toxic': {
        echo: await proxyTo(proxy.url, 'echo', direct.echo, false),
        blast: await proxyTo(proxy.url, 'blast', direct.blast, false),
      },
      'proxy, noop toxics': {
        echo: await proxyTo(proxy.url, 'echo_noop', direct.echo, true),
        blast: await proxyTo(proxy.url, 'blast_noop', direct.blast, true),
      },
    };
    const hop: Partial<Record<PathName, number>> = {};
    if (pipe.child.pid !== undefined) hop['bare pipe'] = pipe.child.pid;
    if (proxy.child.pid !== undefined) {
      hop['proxy, no toxic'] = proxy.child.pid;
      hop['proxy, noop toxics'] = proxy.child.pid;
    }
    for (let round = 0; round < size.rounds; round++) {
      await roundTrips(ports, measured.latency);
      measured.rounds.push(await measureRound(ports, hop, round));
    }
  } catch (error) {
    failure = (error as Error).message;
  } finally {
    await Promise.all(children.map(stopChild));
    echo.close();
    blast.close();
  }
  const complete = failure === undefined && measured.rounds.length === size.rounds;
  const rows = complete ? report(measured) : [];
  finish(
    {
      name: 'proxy',
      rows,
      goals: complete ? goals(rows) : [],
      notes: [
        `${size.rounds} rounds; latency: ${size.roundTrips} round trips of 64 B per path per round, the paths taking turns message by message, percentiles over all rounds; rate (${CONCURRENT_CONNECTIONS} ping-pong connections, ${size.rateMs} ms) and bulk (${size.bulkBytes / 2 ** 20} MiB one way) per path per round in a rotated order, medians over rounds; "/ pipe": median of the per-round ratios`,
        '+p50/+p99: what the path adds to the direct round trip; hop cpu s/GB: CPU the middle process spent per GB of bulk',
        'client, echo and blast servers share the bench process, and every process shares the cores with whatever else runs',
        pinned.note,
      ],
      data: { rounds: measured.rounds.map((r) => Object.fromEntries(r)) },
      failure,
    },
    args,
  );
}

await main();
