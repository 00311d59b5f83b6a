// Toxiproxy's HTTP API over the collection: routes, bodies and answers only. Requests run one
// at a time, so two PATCHes never interleave a rebind.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { describeIssues } from '../contracts/errors.ts';
import type { Collection } from './collection.ts';
import { ApiError, badRequestBody } from './errors.ts';
import type { Metrics } from './metrics.ts';
import { toxicView } from './model.ts';
import type { TcpProxy } from './proxy.ts';
import {
  newToxicSchema,
  populateBodySchema,
  proxyBodySchema,
  proxyChangeSchema,
  toxicChangeSchema,
  withoutNulls,
} from './schemas.ts';

/** The Toxiproxy release whose API this follows; "+chatquake" marks the implementation. */
export const API_VERSION = '2.12.0+chatquake.0.1.0';

const MAX_BODY_BYTES = 1024 * 1024;

export interface ApiEvent {
  event: string;
  [field: string]: unknown;
}

export interface ApiOptions {
  collection: Collection;
  metrics: Metrics;
  /** Told about every change made through the API. */
  log?: (event: ApiEvent) => void;
}

interface Reply {
  status: number;
  body?: unknown;
  /** Sent as is instead of JSON. */
  text?: string;
  contentType?: string;
}

interface Request {
  params: Record<string, string>;
  method: string;
  body(): Promise<unknown>;
}

type Handler = (request: Request) => Promise<Reply>;

interface Route {
  path: string[];
  methods: Record<string, Handler>;
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(withoutNulls(value));
  if (!result.success) throw badRequestBody(describeIssues(result.error));
  return result.data;
}

function proxyJson(proxy: TcpProxy) {
  return proxy.view();
}

export function createApi(options: ApiOptions): (request: IncomingMessage, response: ServerResponse) => void {
  const { collection, metrics } = options;
  const log = options.log ?? (() => {});

  const proxyUpdate: Handler = async (request) => {
    const name = request.params.proxy as string;
    collection.get(name);
    const change = parse(proxyChangeSchema, await request.body());
    const proxy = await collection.update(name, change);
    log({ event: 'proxy_updated', proxy: name, listen: proxy.listen, enabled: proxy.enabled });
    return { status: 200, body: proxyJson(proxy) };
  };

  const toxicUpdate: Handler = async (request) => {
    const proxy = collection.get(request.params.proxy as string);
    const name = request.params.toxic as string;
    proxy.toxics.get(name);
    const change = parse(toxicChangeSchema, await request.body());
    const toxic = proxy.toxics.update(name, change);
    log({ event: 'toxic_updated', proxy: proxy.name, toxic: toxic.name, toxicity: toxic.toxicity });
    return { status: 200, body: toxicView(toxic) };
  };

  const routes: Route[] = [
    {
      path: ['reset'],
      methods: {
        POST: async () => {
          await collection.reset();
          log({ event: 'reset' });
          return { status: 204 };
        },
      },
    },
    {
      path: ['proxies'],
      methods: {
        GET: async () => ({
          status: 200,
          body: Object.fromEntries(collection.list().map((p) => [p.name, proxyJson(p)])),
        }),
        POST: async (request) => {
          const input = parse(proxyBodySchema, await request.body());
          const proxy = await collection.create(input);
          log({ event: 'proxy_created', proxy: proxy.name, listen: proxy.listen, upstream: proxy.upstream });
          return { status: 201, body: proxyJson(proxy) };
        },
      },
    },
    {
      path: ['populate'],
      methods: {
        // Populate answers errors in its own shape, {error, status, proxies}, as JSON.
        POST: async (request) => {
          try {
            const inputs = parse(populateBodySchema, await request.body());
            const result = await collection.populate(inputs);
            const proxies = result.proxies.map(proxyJson);
            log({ event: 'populated', proxies: proxies.map((p) => p.name) });
            if (result.error === undefined) return { status: 201, body: { proxies } };
            const { message, status } = result.error;
            return { status, body: { error: message, status, proxies } };
          } catch (error) {
            if (!(error instanceof ApiError)) throw error;
            return {
              status: error.status,
              body: { error: error.message, status: error.status, proxies: null },
            };
          }
        },
      },
    },
    {
      path: ['proxies', ':proxy'],
      methods: {
        GET: async (request) => ({
          status: 200,
          body: proxyJson(collection.get(request.params.proxy as string)),
        }),
        POST: proxyUpdate,
        PATCH: proxyUpdate,
        DELETE: async (request) => {
          await collection.remove(request.params.proxy as string);
          log({ event: 'proxy_deleted', proxy: request.params.proxy });
          return { status: 204 };
        },
      },
    },
    {
      path: ['proxies', ':proxy', 'toxics'],
      methods: {
        GET: async (request) => ({
          status: 200,
          body: collection
            .get(request.params.proxy as string)
            .toxics.list()
            .map(toxicView),
        }),
        POST: async (request) => {
          const proxy = collection.get(request.params.proxy as string);
          const input = parse(newToxicSchema, await request.body());
          const toxic = proxy.toxics.add(input);
          log({
            event: 'toxic_added',
            proxy: proxy.name,
            toxic: toxic.name,
            type: toxic.type,
            stream: toxic.stream,
            toxicity: toxic.toxicity,
            attributes: toxic.attributes,
          });
          return { status: 200, body: toxicView(toxic) };
        },
      },
    },
    {
      path: ['proxies', ':proxy', 'toxics', ':toxic'],
      methods: {
        GET: async (request) => ({
          status: 200,
          body: toxicView(
            collection.get(request.params.proxy as string).toxics.get(request.params.toxic as string),
          ),
        }),
        POST: toxicUpdate,
        PATCH: toxicUpdate,
        DELETE: async (request) => {
          const proxy = collection.get(request.params.proxy as string);
          proxy.toxics.remove(request.params.toxic as string);
          log({ event: 'toxic_removed', proxy: proxy.name, toxic: request.params.toxic });
          return { status: 204 };
        },
      },
    },
    {
      path: ['version'],
      methods: {
        GET: async () => ({
          status: 200,
          text: `${JSON.stringify({ version: API_VERSION })}\n`,
          contentType: 'application/json;charset=utf-8',
        }),
      },
    },
    {
      path: ['metrics'],
      methods: {
        GET: async () => ({
          status: 200,
          text: metrics.render(collection.list().map((p) => p.view())),
          contentType: 'text/plain; version=0.0.4; charset=utf-8',
        }),
      },
    },
  ];

  const match = (segments: string[]): { route: Route; params: Record<string, string> } | undefined => {
    for (const route of routes) {
      if (route.path.length !== segments.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < route.path.length && ok; i++) {
        const want = route.path[i] as string;
        const got = segments[i] as string;
        if (want.startsWith(':')) params[want.slice(1)] = got;
        else ok = want === got;
      }
      if (ok) return { route, params };
    }
    return undefined;
  };

  // One request at a time: proxies bind and unbind asynchronously.
  let queue: Promise<unknown> = Promise.resolve();
  const serialized = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work);
    queue = run.catch(() => {});
    return run;
  };

  const send = (response: ServerResponse, reply: Reply): void => {
    if (reply.status === 204) {
      response.writeHead(204).end();
      return;
    }
    const text = reply.text ?? JSON.stringify(reply.body);
    response.writeHead(reply.status, {
      'Content-Type': reply.contentType ?? 'application/json',
      'Content-Length': Buffer.byteLength(text),
    });
    response.end(text);
  };

  // Go's http.Error: a JSON text in a text/plain answer, with a trailing newline.
  const sendError = (response: ServerResponse, status: number, message: string): void => {
    const text = `${JSON.stringify({ error: message, status })}\n`;
    response.writeHead(status, {
      'Content-Type': 'text/plain; charset=utf-8',
      'X-Content-Type-Options': 'nosniff',
      'Content-Length': Buffer.byteLength(text),
    });
    response.end(text);
  };

  const sendPlain = (response: ServerResponse, status: number, text: string): void => {
    response.writeHead(status, {
      'Content-Type': 'text/plain; charset=utf-8',
      'X-Content-Type-Options': 'nosniff',
      'Content-Length': Buffer.byteLength(text),
    });
    response.end(text);
  };

  const readBody = (request: IncomingMessage): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      request.on('data', (chunk: Buffer) => {
        size += chunk.length;
        // Past the limit, keep reading into the void so the 400 can still be answered.
        if (size > MAX_BODY_BYTES) reject(badRequestBody(`larger than ${MAX_BODY_BYTES} bytes`));
        else chunks.push(chunk);
      });
      request.on('error', (error) => reject(badRequestBody(error.message)));
      request.on('end', () => {
        if (size > MAX_BODY_BYTES) return;
        const text = Buffer.concat(chunks).toString('utf8');
        if (text.trim() === '') {
          reject(badRequestBody('EOF'));
          return;
        }
        try {
          resolve(JSON.parse(text));
        } catch (error) {
          reject(badRequestBody((error as Error).message));
        }
      });
    });

  return (request, response) => {
    const userAgent = request.headers['user-agent'] ?? '';
    if (userAgent.startsWith('Mozilla/')) {
      sendPlain(response, 403, 'User agent not allowed\n');
      return;
    }
    let segments: string[];
    try {
      const { pathname } = new URL(request.url ?? '/', 'http://proxy');
      segments = pathname.split('/').slice(1).map(decodeURIComponent);
    } catch {
      sendPlain(response, 400, '400 Bad Request\n');
      return;
    }
    const found = match(segments);
    if (found === undefined) {
      sendPlain(response, 404, '404 page not found\n');
      return;
    }
    const method = request.method ?? 'GET';
    const handler = found.route.methods[method];
    if (handler === undefined) {
      response.writeHead(405, { Allow: Object.keys(found.route.methods).join(', ') }).end();
      return;
    }
    // Read the body before queueing, so a slow client does not hold up other requests.
    let body: Promise<unknown> | undefined;
    const bodyOnce = (): Promise<unknown> => {
      body ??= readBody(request);
      return body;
    };
    if (method === 'POST' || method === 'PATCH') bodyOnce().catch(() => {});
    serialized(() => handler({ params: found.params, method, body: bodyOnce }))
      .then((reply) => send(response, reply))
      .catch((error: unknown) => {
        if (response.headersSent) return;
        if (error instanceof ApiError) sendError(response, error.status, error.message);
        else sendError(response, 500, error instanceof Error ? error.message : String(error));
      })
      // The client may be gone; an answer that cannot be written is not the server's problem.
      .catch(() => {});
  };
}
