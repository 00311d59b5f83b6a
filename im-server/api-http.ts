// The client HTTP message API: `POST /api/conversations/:id/messages` sends a message and
// `GET /api/conversations/:id/messages?afterSeq=&limit=` reads a page of history. It exists so
// that clients without a WebSocket (bots, back-ends, a web page's first load) can use the
// server, and so that load tests can storm it (history fetches after a failover are a classic
// IM overload). Same user token as the WebSocket (Authorization: Bearer), same engine calls as
// WebSocket sends and syncs: one cmid is one message whichever door it came through.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describeIssues } from '../contracts/errors.ts';
import {
  type ApiAck,
  type ApiErrorBody,
  type ApiHistoryPage,
  ApiHistoryQuery,
  ApiSendBody,
  ConversationId,
  type ErrorCode,
} from '../contracts/wire.ts';
import type { Clock } from './clock.ts';
import type { Engine } from './engine.ts';
import { decodePathSegment, readJsonBody, sendJson } from './http.ts';
import type { NodeMetrics } from './metrics.ts';
import { SECRET_ENV } from './secrets-env.ts';
import { verifyToken } from './token.ts';

/** What the API needs that the node's HTTP handler does not already get. */
export interface ApiHttpConfig {
  /** The cluster secret user tokens are signed with; without one the API answers 503. */
  secret: string;
  /** How long a send may take before it is answered 503 (resend with the same cmid); default 5000. */
  sendTimeoutMs: number;
  /** Largest message body in UTF-8 bytes; default DEFAULT_MAX_BODY_BYTES (16 KiB). */
  maxBodyBytes: number;
}

export interface ApiHttpOptions {
  region: string;
  node: string;
  engine: Engine;
  clock: Clock;
  metrics: NodeMetrics;
  /** What the node passes; absent fields get the defaults of `resolveApiConfig`. */
  api?: Partial<ApiHttpConfig>;
}

/**
 * The one place the API's defaults are merged in. A node passes its own secret (from --secret
 * or CHATQUAKE_SECRET); the environment fallback serves a handler built without one (tests).
 */
export function resolveApiConfig(given: Partial<ApiHttpConfig> = {}, env = process.env): ApiHttpConfig {
  return {
    secret: given.secret ?? env[SECRET_ENV.secret] ?? '',
    sendTimeoutMs: given.sendTimeoutMs ?? 5000,
    maxBodyBytes: given.maxBodyBytes ?? 16 * 1024,
  };
}

const PATH = /^\/api\/conversations\/([^/]+)\/messages$/;

/** HTTP status for each protocol error code. */
const STATUS_OF: Record<ErrorCode, number> = {
  bad_frame: 400,
  unknown_type: 400,
  invalid_field: 400,
  too_large: 413,
  not_found: 404,
  forbidden: 403,
  unavailable: 503,
  rate_limited: 429,
};

function apiError(res: ServerResponse, status: number, error: string, code?: ErrorCode): void {
  const body: ApiErrorBody = { error, status, ...(code === undefined ? {} : { code }) };
  if (status === 503) res.setHeader('retry-after', '1');
  sendJson(res, status, body);
}

function tokenOf(req: IncomingMessage): string | null {
  const header = req.headers.authorization;
  return header?.startsWith('Bearer ') === true ? header.slice(7) : null;
}

/** A handler for `/api/*` paths; resolves once the answer is written. */
export function createApiHttpHandler(
  opts: ApiHttpOptions,
): (req: IncomingMessage, res: ServerResponse, path: string, url: URL) => Promise<void> {
  const cfg = resolveApiConfig(opts.api);
  const { engine, clock, metrics } = opts;

  const send = async (res: ServerResponse, req: IncomingMessage, user: string, conv: string) => {
    const raw = await readJsonBody(req, cfg.maxBodyBytes * 6 + 4096);
    const parsed = ApiSendBody.safeParse(raw);
    if (!parsed.success) {
      apiError(res, 400, describeIssues(parsed.error), 'invalid_field');
      return;
    }
    const { cmid, body, traceparent } = parsed.data;
    const bytes = Buffer.byteLength(body, 'utf8');
    if (bytes > cfg.maxBodyBytes) {
      apiError(res, 413, `body: ${bytes} bytes is over the limit of ${cfg.maxBodyBytes}`, 'too_large');
      return;
    }
    const started = performance.now();
    const outcome = await engine.clientSend(
      { conv, from: user, cmid, body, ...(traceparent === undefined ? {} : { traceparent }) },
      clock.monoNow() + cfg.sendTimeoutMs,
    );
    if (outcome.kind === 'ack') {
      metrics.acks.inc({ level: outcome.level });
      metrics.ackLatency.observe({ level: outcome.level }, (performance.now() - started) / 1000);
      const ack: ApiAck = {
        conv,
        cmid,
        epoch: outcome.epoch,
        seq: outcome.seq,
        level: outcome.level,
        serverTime: outcome.serverTime,
      };
      sendJson(res, 200, ack);
    } else if (outcome.kind === 'error') {
      metrics.errors.inc({ code: outcome.code });
      apiError(res, STATUS_OF[outcome.code], outcome.message, outcome.code);
    } else {
      metrics.errors.inc({ code: 'unavailable' });
      const why = 'the conversation’s home is unavailable; resend with the same cmid';
      apiError(res, 503, why, 'unavailable');
    }
  };

  const history = async (res: ServerResponse, url: URL, user: string, conv: string) => {
    const query = ApiHistoryQuery.safeParse(Object.fromEntries(url.searchParams));
    if (!query.success) {
      apiError(res, 400, describeIssues(query.error), 'invalid_field');
      return;
    }
    const { afterSeq, limit } = query.data;
    // One more than the page, to know whether the page was cut.
    const outcome = await engine.clientSync(user, conv, afterSeq, limit + 1);
    metrics.syncs.inc({ result: outcome.status });
    if (outcome.status === 'error' || outcome.status === 'not_home') {
      const code = outcome.code ?? 'unavailable';
      apiError(res, STATUS_OF[code], outcome.reason ?? 'history read failed', code);
      return;
    }
    const more = outcome.messages.length > limit;
    const page = more ? outcome.messages.slice(0, limit) : outcome.messages;
    if (page.length > 0) metrics.delivered.inc({ via: 'sync' }, page.length);
    const answer: ApiHistoryPage = {
      conv,
      region: opts.region,
      node: opts.node,
      status: outcome.status,
      seq: outcome.seq,
      more,
      ...(outcome.reason === undefined ? {} : { reason: outcome.reason }),
      messages: page.map((e) => ({
        epoch: e.epoch,
        seq: e.seq,
        from: e.from,
        cmid: e.cmid,
        body: e.body,
        serverTime: e.serverTime,
      })),
    };
    sendJson(res, 200, answer);
  };

  return async (req, res, path, url) => {
    const match = PATH.exec(path);
    if (match === null) {
      apiError(res, 404, 'not found: the API is /api/conversations/:id/messages');
      return;
    }
    if (req.method !== 'POST' && req.method !== 'GET') {
      res.setHeader('allow', 'GET, POST');
      apiError(res, 405, 'method not allowed: GET reads history, POST sends');
      return;
    }
    if (cfg.secret.length === 0) {
      apiError(res, 503, 'the message API is off: this node was given no token secret', 'unavailable');
      return;
    }
    const token = tokenOf(req);
    // Checked on the node's own clock, skew included, as the WebSocket upgrade does.
    const verified = token === null ? null : verifyToken(token, cfg.secret, clock.wallNow());
    if (verified === null) {
      res.setHeader('www-authenticate', 'Bearer');
      apiError(
        res,
        401,
        token === null ? 'missing token: send Authorization: Bearer <token>' : 'invalid or expired token',
      );
      return;
    }
    const id = ConversationId.safeParse(decodePathSegment(match[1] as string));
    if (!id.success) {
      apiError(res, 400, `id: ${describeIssues(id.error)}`, 'invalid_field');
      return;
    }
    if (req.method === 'POST') await send(res, req, verified.user, id.data);
    else await history(res, url, verified.user, id.data);
  };
}
