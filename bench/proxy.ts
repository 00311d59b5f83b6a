// What the fault proxy costs: round-trip latency (p50/p99), small-message rate over concurrent
// connections, and bulk throughput, each measured direct to an echo/blast server and through
// the proxy (no toxic, then a noop toxic that forces the toxic pipeline), in one run, with
// ratios against the direct baseline. The proxy runs as a child process, as the harness runs
// it. Bounded: every phase stops at a count or a time limit; the whole run stays under 30 s.
//
//   npx tsx bench/proxy.ts
import { spawn } from 'node:child_process';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { createHistogram, percentile, record } from '../lib/histogram.ts';

const ROUND_TRIPS = 3000;
const ROUND_TRIP_LIMIT_MS = 4000;
const CONCURRENT_CONNECTIONS = 16;
const CONCURRENT_MS = 2500;
const BULK_BYTES = 128 * 1024 * 1024;
const BULK_LIMIT_MS = 5000;
const MESSAGE = Buffer.alloc(64, 'm');

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

/** Sends MESSAGE and waits for its echo, `count` times or until the time limit. */
async function roundTrips(port: number): Promise<{ p50: number; p99: number; count: number }> {
  const socket = await dial(port);
  const histogram = createHistogram();
  let pending = 0;
  let wake: () => void = () => {};
  socket.on('data', (chunk: Buffer) => {
    pending -= chunk.length;
    if (pending <= 0) wake();
  });
  const one = async (): Promise<number> => {
    const start = performance.now();
    pending = MESSAGE.length;
    const done = new Promise<void>((resolve) => {
      wake = resolve;
    });
    socket.write(MESSAGE);
    await done;
    return performance.now() - start;
  };
  for (let i = 0; i < 200; i++) await one();
  const deadline = performance.now() + ROUND_TRIP_LIMIT_MS;
  for (let i = 0; i < ROUND_TRIPS && performance.now() < deadline; i++) record(histogram, await one());
  socket.destroy();
  return { p50: percentile(histogram, 50), p99: percentile(histogram, 99), count: histogram.count };
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
            if (!running || performance.now() - start > CONCURRENT_MS) {
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

/** MB/s of a one-way bulk transfer from the blast server to the client. */
async function throughput(port: number): Promise<number> {
  const socket = await dial(port);
  let received = 0;
  const start = performance.now();
  await new Promise<void>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received >= BULK_BYTES || performance.now() - start > BULK_LIMIT_MS) resolve();
    });
    socket.on('close', () => resolve());
  });
  const elapsed = performance.now() - start;
  socket.destroy();
  return received / 1e6 / (elapsed / 1000);
}

async function startProxyProcess(): Promise<{ url: string; stop: () => Promise<void> }> {
  const bin = new URL('../bin/chatquake.js', import.meta.url).pathname;
  const child = spawn(process.execPath, [bin, 'proxy', '--port', '0', '--seed', '1'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const newline = buffered.indexOf('\n');
      if (newline >= 0) resolve(String((JSON.parse(buffered.slice(0, newline)) as { url: string }).url));
    });
    child.once('exit', (code) => reject(new Error(`proxy exited with ${code}`)));
  });
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
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

async function proxyPort(url: string, name: string, upstreamPort: number): Promise<number> {
  const proxy = (await call(url, 'POST', '/proxies', {
    name,
    upstream: `127.0.0.1:${upstreamPort}`,
    listen: '127.0.0.1:0',
  })) as { listen: string };
  return Number(proxy.listen.slice(proxy.listen.lastIndexOf(':') + 1));
}

interface Row {
  path: string;
  p50: number;
  p99: number;
  rate: number;
  mbps: number;
}

async function measure(path: string, echoPort: number, blastPort: number): Promise<Row> {
  const latency = await roundTrips(echoPort);
  const rate = await messageRate(echoPort);
  const mbps = await throughput(blastPort);
  return { path, p50: latency.p50, p99: latency.p99, rate, mbps };
}

async function main(): Promise<void> {
  const echo = createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  const chunk = Buffer.alloc(64 * 1024, 'b');
  const blast = createServer((socket) => {
    socket.on('error', () => {});
    let sent = 0;
    const pump = (): void => {
      while (sent < BULK_BYTES && !socket.destroyed) {
        sent += chunk.length;
        if (!socket.write(chunk)) {
          socket.once('drain', pump);
          return;
        }
      }
      socket.end();
    };
    pump();
  });
  const echoPort = await listen(echo);
  const blastPort = await listen(blast);
  const proxy = await startProxyProcess();
  try {
    const rows: Row[] = [];
    rows.push(await measure('direct', echoPort, blastPort));
    const echoProxied = await proxyPort(proxy.url, 'echo', echoPort);
    const blastProxied = await proxyPort(proxy.url, 'blast', blastPort);
    rows.push(await measure('proxy, no toxic', echoProxied, blastProxied));
    for (const name of ['echo', 'blast']) {
      await call(proxy.url, 'POST', `/proxies/${name}/toxics`, { type: 'noop', stream: 'upstream' });
      await call(proxy.url, 'POST', `/proxies/${name}/toxics`, { type: 'noop', stream: 'downstream' });
    }
    rows.push(await measure('proxy, noop toxics', echoProxied, blastProxied));

    const base = rows[0] as Row;
    const fmt = (n: number, digits = 3) => n.toFixed(digits).padStart(9);
    console.log(
      'path                  p50 ms    p99 ms   rt/s (x16)   MB/s    | p50 x  p99 x  rate x  MB/s x',
    );
    for (const row of rows) {
      console.log(
        `${row.path.padEnd(20)} ${fmt(row.p50)} ${fmt(row.p99)} ${fmt(row.rate, 0)} ${fmt(row.mbps, 0)}    |` +
          ` ${(row.p50 / base.p50).toFixed(2).padStart(5)} ${(row.p99 / base.p99).toFixed(2).padStart(6)}` +
          ` ${(row.rate / base.rate).toFixed(2).padStart(7)} ${(row.mbps / base.mbps).toFixed(2).padStart(7)}`,
      );
    }
    const result = {
      bench: 'proxy',
      rows,
      ratios: rows.slice(1).map((row) => ({
        path: row.path,
        p50: row.p50 / base.p50,
        p99: row.p99 / base.p99,
        addedP50Ms: row.p50 - base.p50,
        rate: row.rate / base.rate,
        throughput: row.mbps / base.mbps,
      })),
    };
    console.log(JSON.stringify(result));
  } finally {
    await proxy.stop();
    echo.close();
    blast.close();
  }
}

await main();
