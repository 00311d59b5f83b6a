// Small TCP peers and an API helper for the fault proxy's integration tests. Everything listens
// on 127.0.0.1 port 0 and is closed by the test that opened it.
import { request as httpRequest } from 'node:http';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';

export interface TcpServer {
  port: number;
  address: string;
  /** Server-side sockets, in accept order. */
  sockets: Socket[];
  close(): Promise<void>;
}

async function listen(server: Server, host = '127.0.0.1'): Promise<TcpServer> {
  const sockets: Socket[] = [];
  server.on('connection', (socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    address: `${host}:${port}`,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Writes back whatever it reads; ends when the client ends. */
export function echoServer(): Promise<TcpServer> {
  return listen(createServer((socket) => socket.pipe(socket)));
}

/** Sends `bytes` bytes (byte i is i mod 251) to every client as fast as it can, then ends. */
export function blastServer(bytes: number): Promise<TcpServer> {
  return listen(
    createServer((socket) => {
      socket.end(pattern(bytes));
    }),
  );
}

export function pattern(bytes: number): Buffer {
  const data = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) data[i] = i % 251;
  return data;
}

export interface Client {
  socket: Socket;
  /** Every 'data' event, in order. */
  reads: Buffer[];
  received(): Buffer;
  /** Resolves when the socket closes, with the error code if it closed on an error. */
  closed: Promise<{ at: number; error: string | undefined; ended: boolean }>;
  /** Resolves once at least `bytes` bytes arrived; rejects if the socket closes first or on timeout. */
  waitFor(bytes: number, timeoutMs?: number): Promise<Buffer>;
}

export async function dial(port: number, host = '127.0.0.1'): Promise<Client> {
  const socket = connect({ port, host, noDelay: true });
  const reads: Buffer[] = [];
  let total = 0;
  let ended = false;
  const waiters: (() => void)[] = [];
  socket.on('data', (chunk: Buffer) => {
    reads.push(chunk);
    total += chunk.length;
    for (const wake of waiters.splice(0)) wake();
  });
  socket.on('end', () => {
    ended = true;
  });
  const closed = new Promise<{ at: number; error: string | undefined; ended: boolean }>((resolve) => {
    let error: string | undefined;
    socket.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message;
    });
    socket.on('close', () => {
      resolve({ at: performance.now(), error, ended });
      for (const wake of waiters.splice(0)) wake();
    });
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const received = () => Buffer.concat(reads);
  return {
    socket,
    reads,
    received,
    closed,
    waitFor(bytes, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const deadline = setTimeout(
          () => reject(new Error(`timed out with ${total}/${bytes} bytes`)),
          timeoutMs,
        );
        const check = () => {
          if (total >= bytes) {
            clearTimeout(deadline);
            resolve(received());
          } else if (socket.destroyed) {
            clearTimeout(deadline);
            reject(new Error(`closed with ${total}/${bytes} bytes`));
          } else waiters.push(check);
        };
        check();
      });
    },
  };
}

/** Resolves with the error code of a connection attempt, or 'connected'. */
export function tryConnect(port: number, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

export interface ApiAnswer {
  status: number;
  contentType: string | null;
  text: string;
  json: unknown;
}

/** One raw HTTP call to the proxy API; the body is sent as JSON unless it is a string. */
export async function api(base: string, method: string, path: string, body?: unknown): Promise<ApiAnswer> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { 'user-agent': 'chatquake-test' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, contentType: response.headers.get('content-type'), text, json };
}

export function portOf(listen: string): number {
  return Number(listen.slice(listen.lastIndexOf(':') + 1));
}

export { sleep } from '../../lib/async.ts';

/** The promise's value, or a rejection naming `what` after `ms`, so a broken toxic fails fast. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** When the client's socket closed, failing after `ms` (default 3 s). */
export function closedWithin(client: Client, ms = 3000) {
  return within(client.closed, ms, 'connection close');
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** Round trip of `message` through an open echo connection, in ms. */
export async function roundTrip(client: Client, message = 'ping'): Promise<number> {
  const before = client.received().length;
  const start = performance.now();
  client.socket.write(message);
  await client.waitFor(before + Buffer.byteLength(message));
  return performance.now() - start;
}

/** Median of `count` round trips: one stall on a loaded box does not decide a check. */
export async function typicalRoundTrip(client: Client, count = 3): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) times.push(await roundTrip(client));
  return median(times);
}

/**
 * One HTTP call with the path sent exactly as given: fetch would resolve "%2E%2E" and refuse
 * malformed escapes before they reach the server.
 */
export function rawApi(base: string, method: string, path: string, body?: string): Promise<ApiAnswer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      { host: url.hostname, port: url.port, method, path, headers: { 'user-agent': 'chatquake-test' } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text === '' ? undefined : JSON.parse(text);
          } catch {
            json = undefined;
          }
          const contentType = response.headers['content-type'] ?? null;
          resolve({ status: response.statusCode ?? 0, contentType, text, json });
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
