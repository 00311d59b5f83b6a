// A stand-in for `chatquake up`'s HTTP side, for the page's browser test: serves console/dist
// and the console API from scripted data on a free loopback port, pushes each new state to the
// event stream, and records every request (method, path, headers that matter, body) so a test
// can say exactly what the page sent.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import type { ConsoleCatalogue, ConsoleState } from '../../contracts/console.ts';

export interface Recorded {
  method: string;
  /** Path and query, as sent. */
  url: string;
  authorization: string | undefined;
  contentType: string | undefined;
  /** The raw body ('' when none). */
  body: string;
}

export interface Scripted {
  status: number;
  body: unknown;
}

export interface Stub {
  url: string;
  requests: Recorded[];
  /** Requests to /api, in order. */
  api(): Recorded[];
  /** The next state: served by /api/state and pushed to every open event stream. */
  setState(state: ConsoleState): void;
  /** The answer to the next request matching `METHOD /path` (then back to the default). */
  answerNext(route: string, answer: Scripted): void;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
};

export interface StubOptions {
  dist: string;
  state: ConsoleState;
  catalogue: ConsoleCatalogue;
  /** When set, every /api request needs `Authorization: Bearer <token>` (events: ?token=). */
  token?: string;
  /** False: /api/events answers 503, as a proxy that does not pass event streams would. */
  events?: boolean;
}

function defaultAnswer(method: string, path: string): Scripted {
  if (method === 'POST' && path === '/api/faults') {
    return {
      status: 201,
      body: { id: 'outage-1', kind: 'regionOutage', target: 'region eu-west', regions: ['eu-west'] },
    };
  }
  if (method === 'DELETE' && path === '/api/faults') return { status: 200, body: { healed: ['pause-ap'] } };
  if (method === 'DELETE' && path.startsWith('/api/faults/')) {
    return { status: 200, body: { id: decodeURIComponent(path.slice('/api/faults/'.length)) } };
  }
  if (method === 'POST' && path === '/api/stop') return { status: 202, body: {} };
  return { status: 404, body: { error: `no route ${method} ${path}` } };
}

export async function startStub(options: StubOptions): Promise<Stub> {
  let state = options.state;
  const requests: Recorded[] = [];
  const scripted = new Map<string, Scripted>();
  const streams = new Set<ServerResponse>();

  const json = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const push = (res: ServerResponse): void => {
    res.write(`event: state\ndata: ${JSON.stringify(state)}\n\n`);
  };
  const authorized = (req: IncomingMessage, query: URLSearchParams): boolean => {
    if (options.token === undefined) return true;
    return req.headers.authorization === `Bearer ${options.token}` || query.get('token') === options.token;
  };

  const serveApi = (
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    query: URLSearchParams,
  ): void => {
    const method = req.method ?? 'GET';
    if (!authorized(req, query)) {
      json(res, 401, { error: 'a token is needed' });
    } else if (method === 'GET' && path === '/api/state') {
      json(res, 200, state);
    } else if (method === 'GET' && path === '/api/catalogue') {
      json(res, 200, options.catalogue);
    } else if (method === 'GET' && path === '/api/events' && options.events === false) {
      json(res, 503, { error: 'no event streams here' });
    } else if (method === 'GET' && path === '/api/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      streams.add(res);
      res.on('close', () => streams.delete(res));
      push(res);
    } else answer(res, method, path);
  };

  const answer = (res: ServerResponse, method: string, path: string): void => {
    const route = `${method} ${path}`;
    const scriptedAnswer = scripted.get(route) ?? defaultAnswer(method, path);
    scripted.delete(route);
    json(res, scriptedAnswer.status, scriptedAnswer.body);
  };

  const serveFile = (res: ServerResponse, path: string): void => {
    const file = normalize(join(options.dist, path === '/' ? 'index.html' : path));
    if (!file.startsWith(options.dist)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = readFileSync(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://stub');
      requests.push({
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        body: Buffer.concat(chunks).toString('utf8'),
      });
      if (url.pathname.startsWith('/api/')) serveApi(req, res, url.pathname, url.searchParams);
      else serveFile(res, url.pathname);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    api: () => requests.filter((r) => r.url.startsWith('/api/')),
    setState(next) {
      state = next;
      for (const res of streams) push(res);
    },
    answerNext(route, answer) {
      scripted.set(route, answer);
    },
    async close() {
      for (const res of streams) res.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
