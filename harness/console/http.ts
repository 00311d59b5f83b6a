// The console's HTTP server: the page (console/dist, built by Vite and shipped in the package),
// the live state as JSON and as server-sent events, and the controls. Guarded as a control
// plane must be: with a token, every /api request must carry it (a bearer header, or ?token=
// for the event stream, which browsers cannot give headers); without one it is served on
// loopback only and answers only requests addressed to a loopback name (no DNS rebinding). A
// control request must be JSON and come from the page's own origin, so a page elsewhere
// cannot post a form to it. Closing it ends every event stream and drops every connection.
import { createHash, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { ConsoleCatalogue, ConsoleError, ConsoleState } from '../../contracts/console.ts';
import { type ConsoleControls, ControlError } from './controls.ts';

export interface ConsoleServerOptions {
  host: string;
  port: number;
  /** Required on a non-loopback host (checked by the caller's flags). */
  token?: string;
  /** The built page's folder (console/dist). */
  assets: string;
  state(): ConsoleState;
  catalogue(): ConsoleCatalogue;
  controls: ConsoleControls;
  /** The run's report.html once the session is judged; undefined before. */
  report?(): string | undefined;
}

export interface ConsoleServer {
  /** The page's address, with ?token= when a token is set. */
  readonly url: string;
  readonly port: number;
  /** Sends the state (default: as of now) to every open event stream. */
  broadcast(state?: ConsoleState): void;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024;
const HEARTBEAT_MS = 15_000;
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};
const HEADERS = {
  'content-security-policy':
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export const isLoopback = (host: string): boolean =>
  host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** The token the request carries: the bearer header, or ?token= (event streams). */
function tokenOf(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice('Bearer '.length).trim();
  return url.searchParams.get('token') ?? undefined;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { ...HEADERS, 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
}
const refuse = (res: ServerResponse, status: number, error: string, field?: string): void =>
  send(res, status, (field === undefined ? { error } : { error, field }) satisfies ConsoleError);

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new ControlError(413, `the body is over ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ControlError(400, `the body is not JSON: ${(error as Error).message}`);
  }
}

/** Why this request may not go on, as [status, message]; undefined when it may. */
function guard(req: IncomingMessage, url: URL, options: ConsoleServerOptions): [number, string] | undefined {
  const hostName = (req.headers.host ?? '').replace(/:\d+$/, '');
  if (options.token === undefined && !isLoopback(hostName))
    return [
      403,
      `this console answers loopback names only (got host "${hostName}"); serve it with --token to reach it from elsewhere`,
    ];
  if (!url.pathname.startsWith('/api/')) return undefined;
  if (options.token !== undefined) {
    const given = tokenOf(req, url);
    if (given === undefined || !timingSafeEqual(digest(given), digest(options.token)))
      return [401, 'a valid token is required: open the page with ?token=… or send Authorization: Bearer …'];
  }
  if (req.method === 'GET' || req.method === 'HEAD') return undefined;
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${req.headers.host}`)
    return [403, `a control request must come from the console's own page (origin ${origin})`];
  if (!(req.headers['content-type'] ?? '').startsWith('application/json'))
    return [415, 'a control request must be sent as application/json'];
  return undefined;
}

/** decodeURIComponent, or undefined for a malformed %-sequence. */
function decoded(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** The file under `root` a page path names; undefined outside it, missing or malformed. */
function assetPath(root: string, pathname: string): string | undefined {
  const path = decoded(pathname);
  if (path === undefined) return undefined;
  const relative = path === '/' ? 'index.html' : path.replace(/^\/+/, '');
  const full = normalize(join(root, relative));
  if (full !== root && !full.startsWith(root + sep)) return undefined;
  try {
    return statSync(full).isFile() ? full : undefined;
  } catch {
    return undefined;
  }
}

export async function startConsoleServer(options: ConsoleServerOptions): Promise<ConsoleServer> {
  const streams = new Set<ServerResponse>();
  const root = resolve(options.assets);
  const event = (state = options.state()): string => `event: state\ndata: ${JSON.stringify(state)}\n\n`;

  const api = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (method === 'GET' && path === '/api/state') return send(res, 200, options.state());
    if (method === 'GET' && path === '/api/catalogue') return send(res, 200, options.catalogue());
    if (method === 'GET' && path === '/api/events') {
      res.writeHead(200, { ...HEADERS, 'content-type': 'text/event-stream', connection: 'keep-alive' });
      res.write(event());
      streams.add(res);
      req.on('close', () => streams.delete(res));
      return;
    }
    if (method === 'GET' && path === '/api/report') {
      const file = options.report?.();
      if (file === undefined || !existsSync(file))
        return refuse(res, 404, 'the report is written when the session has been judged');
      // The report carries its own Content-Security-Policy (inline scripts, no network).
      const { 'content-security-policy': _own, ...headers } = HEADERS;
      res.writeHead(200, { ...headers, 'content-type': TYPES['.html'] as string });
      return void res.end(readFileSync(file));
    }
    if (method === 'POST' && path === '/api/faults')
      return send(res, 201, await options.controls.inject(await readJson(req)));
    if (method === 'DELETE' && path === '/api/faults')
      return send(res, 200, { healed: await options.controls.healAll() });
    if (method === 'DELETE' && path.startsWith('/api/faults/')) {
      const id = decoded(path.slice('/api/faults/'.length));
      if (id === undefined) throw new ControlError(400, 'the fault id in the path is not valid %-encoding');
      await options.controls.heal(id);
      return send(res, 200, { id });
    }
    if (method === 'POST' && path === '/api/stop') {
      options.controls.stop();
      return send(res, 202, { phase: 'stopping' });
    }
    refuse(res, 404, `no ${method} ${path}: see docs/CONSOLE.md for the API`);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://console');
    const refused = guard(req, url, options);
    if (refused !== undefined) return refuse(res, refused[0], refused[1]);
    if (url.pathname.startsWith('/api/')) return api(req, res, url);
    const file = req.method === 'GET' || req.method === 'HEAD' ? assetPath(root, url.pathname) : undefined;
    if (file === undefined) return refuse(res, 404, `not found: ${url.pathname}`);
    res.writeHead(200, { ...HEADERS, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(req.method === 'HEAD' ? undefined : readFileSync(file));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return void res.end();
      if (error instanceof ControlError) return refuse(res, error.status, error.message, error.field);
      refuse(res, 500, error instanceof Error ? error.message : String(error));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const heartbeat = setInterval(() => {
    for (const res of streams) res.write(': keep-alive\n\n');
  }, HEARTBEAT_MS).unref();
  const port = (server.address() as AddressInfo).port;
  const shownHost = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  const base = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}/`;
  let closing: Promise<void> | undefined;
  return {
    url: options.token === undefined ? base : `${base}?token=${encodeURIComponent(options.token)}`,
    port,
    broadcast(state) {
      if (streams.size === 0) return;
      const text = event(state);
      for (const res of streams) res.write(text);
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        clearInterval(heartbeat);
        for (const res of streams) res.end();
        streams.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
