// Toxiproxy's HTTP API over the collection: routes, bodies and answers only. Requests run one
// at a time, once their body has arrived, so two PATCHes never interleave a rebind. The routes live one resource per file
// under api/; this file turns an HTTP request into a route call and its reply into an answer.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { createSerializer, readBody, send, sendError, sendPlain } from './api/http.ts';
import { proxyRoutes } from './api/proxy-routes.ts';
import { type ApiEvent, matchRoute, pathSegments, type Route, type RouteContext } from './api/route.ts';
import { serverRoutes } from './api/server-routes.ts';
import { toxicRoutes } from './api/toxic-routes.ts';
import type { Collection } from './collection.ts';
import { ApiError } from './errors.ts';
import type { Metrics } from './metrics.ts';

export type { ApiEvent } from './api/route.ts';
export { API_VERSION } from './api/server-routes.ts';

const noop = (): void => {};

export interface ApiOptions {
  collection: Collection;
  metrics: Metrics;
  /** Told about every change made through the API. */
  log?: (event: ApiEvent) => void;
}

export function createApi(options: ApiOptions): (request: IncomingMessage, response: ServerResponse) => void {
  const context: RouteContext = {
    collection: options.collection,
    metrics: options.metrics,
    log: options.log ?? (() => {}),
  };
  const routes: Route[] = [...proxyRoutes(context), ...toxicRoutes(context), ...serverRoutes(context)];
  // One request at a time: proxies bind and unbind asynchronously.
  const serialized = createSerializer();

  return (request, response) => {
    const userAgent = request.headers['user-agent'] ?? '';
    if (userAgent.startsWith('Mozilla/')) {
      sendPlain(response, 403, 'User agent not allowed\n');
      return;
    }
    const segments = pathSegments(request.url ?? '/');
    if (typeof segments === 'string') {
      sendError(response, 400, `bad request path: ${segments}`);
      return;
    }
    const found = matchRoute(routes, segments);
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
    // The whole body arrives (or fails) before the request joins the queue, so a client that
    // sends half a body holds only its own socket, never the requests behind it.
    let body: Promise<unknown> | undefined;
    const bodyOnce = (): Promise<unknown> => {
      body ??= readBody(request);
      return body;
    };
    const arrived = method === 'POST' || method === 'PATCH' ? bodyOnce().then(noop, noop) : Promise.resolve();
    arrived
      .then(() => serialized(() => handler({ params: found.params, method, body: bodyOnce })))
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
