// What every route of the Toxiproxy API shares: the request a handler gets, the reply it gives,
// what it may use (the collection, the metrics, the change log), body validation and path
// matching. The routes themselves live one resource per file next to this one.
import type { z } from 'zod';
import { describeIssues } from '../../contracts/errors.ts';
import type { Collection } from '../collection.ts';
import { badRequestBody } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import type { TcpProxy } from '../proxy.ts';
import { withoutNulls } from '../schemas.ts';

export interface ApiEvent {
  event: string;
  [field: string]: unknown;
}

export interface Reply {
  status: number;
  body?: unknown;
  /** Sent as is instead of JSON. */
  text?: string;
  contentType?: string;
}

export interface Request {
  params: Record<string, string>;
  method: string;
  body(): Promise<unknown>;
}

export type Handler = (request: Request) => Promise<Reply>;

export interface Route {
  path: string[];
  methods: Record<string, Handler>;
}

/** What the routes work on; `log` is told about every change made through the API. */
export interface RouteContext {
  collection: Collection;
  metrics: Metrics;
  log: (event: ApiEvent) => void;
}

export function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(withoutNulls(value));
  if (!result.success) throw badRequestBody(describeIssues(result.error));
  return result.data;
}

export function proxyJson(proxy: TcpProxy) {
  return proxy.view();
}

/**
 * The decoded segments of a request target, or why it has none. The path is split before it is
 * decoded and never normalised, so a proxy named "..", "." or "a/b" is reached by its encoded
 * name ("%2E%2E", "%2E", "a%2Fb") instead of being resolved away as a URL parser would.
 */
export function pathSegments(target: string): string[] | string {
  // An absolute-form target ("http://host/proxies") carries the path after its authority.
  const authority = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(target);
  let path = authority === null ? target : target.slice(authority[0].length) || '/';
  const end = path.search(/[?#]/);
  if (end >= 0) path = path.slice(0, end);
  if (!path.startsWith('/')) return `${JSON.stringify(path.slice(0, 80))} is not an absolute path`;
  try {
    return path.split('/').slice(1).map(decodeURIComponent);
  } catch {
    return 'not valid percent-encoded UTF-8';
  }
}

/** The first route whose path fits the segments, with the values of its `:name` segments. */
export function matchRoute(
  routes: readonly Route[],
  segments: string[],
): { route: Route; params: Record<string, string> } | undefined {
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
}
