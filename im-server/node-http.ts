// A node's HTTP surface besides the WebSocket upgrade: /healthz and /metrics (public), /admin/*
// (bearer admin token), /internal/* (peers, with the key derived from the cluster secret) and
// /api/* (clients, with their user token; api-http.ts).

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { describeIssues } from '../contracts/errors.ts';
import { ClockOffsetBody, ConversationId, CreateConversationBody } from '../contracts/wire.ts';
import { sleep } from '../lib/async.ts';
import { type ApiHttpConfig, createApiHttpHandler } from './api-http.ts';
import type { Clock } from './clock.ts';
import type { ControlPlane } from './control-plane.ts';
import type { Engine } from './engine.ts';
import { decodePathSegment, HttpError, readJsonBody, sendError, sendJson } from './http.ts';
import { ConvRecord, ForwardRequest, InternalSyncRequest, ReplicateRequest } from './internal-protocol.ts';
import { errorMessage, type Logger } from './log.ts';
import type { NodeMetrics } from './metrics.ts';
import { PEER_HEADER, secretMatches } from './token.ts';

export interface NodeHttpOptions {
  region: string;
  node: string;
  adminToken: string;
  peerKey: string;
  engine: Engine;
  controlPlane: ControlPlane;
  clock: Clock;
  metrics: NodeMetrics;
  logger: Logger;
  healthz(): Record<string, unknown>;
  /** The client message API's settings (api-http.ts); absent ones get its defaults. */
  api?: Partial<ApiHttpConfig>;
}

const MiB = 1024 * 1024;

/** How long a create waits for a node that has not yet heard the directory's region list. */
const CATCH_UP_WAIT_MS = 2000;

/**
 * Refuses a residency naming a region no node of the cluster is in: such a conversation would
 * have no home and every send to it would fail after the send timeout. Regions come from
 * `--peers` and the directory (which remembers every node that ever registered).
 */
async function checkResidency(controlPlane: ControlPlane, residency: readonly string[] | undefined) {
  if (residency === undefined) return;
  const deadline = performance.now() + CATCH_UP_WAIT_MS;
  while (!controlPlane.caughtUp() && performance.now() < deadline) await sleep(20);
  const known = controlPlane.regions();
  const at = residency.findIndex((region) => !known.includes(region));
  if (at >= 0) {
    throw new HttpError(
      400,
      `residency[${at}]: unknown region "${residency[at]}" (regions of this cluster: ${known.join(', ')})`,
    );
  }
}

async function requireJson<T>(req: IncomingMessage, schema: z.ZodType<T>, limit: number): Promise<T> {
  const body = await readJsonBody(req, limit);
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new HttpError(400, describeIssues(parsed.error));
  return parsed.data;
}

export function createNodeHttpHandler(
  opts: NodeHttpOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  const { engine, clock } = opts;
  const log = opts.logger;
  const api = createApiHttpHandler(opts);

  const admin = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    if (!secretMatches(req.headers.authorization, `Bearer ${opts.adminToken}`)) {
      sendError(res, 401, 'unauthorized: send Authorization: Bearer ADMIN_TOKEN');
      return;
    }
    if (path === '/admin/conversations' && req.method === 'POST') {
      const body = await requireJson(req, CreateConversationBody, 8 * MiB);
      await checkResidency(opts.controlPlane, body.residency);
      let result: { status: number; body: unknown };
      try {
        result = await opts.controlPlane.create(body);
      } catch (error) {
        sendError(res, 503, `directory unreachable: ${errorMessage(error)}`);
        return;
      }
      const rec = result.status === 201 ? ConvRecord.safeParse(result.body) : null;
      if (rec?.success) {
        engine.onRecord(rec.data);
        const { id, members, residency, home, epoch } = rec.data;
        sendJson(res, 201, { id, members, residency, home, epoch });
        return;
      }
      sendJson(res, result.status, result.body);
      return;
    }
    if (path === '/admin/clock') {
      if (req.method === 'POST') {
        const body = await requireJson(req, ClockOffsetBody, 64 * 1024);
        clock.setOffsetMs(body.offsetMs);
        log.warn('clock offset set', { offsetMs: body.offsetMs });
      } else if (req.method !== 'GET') {
        sendError(res, 405, 'method not allowed');
        return;
      }
      sendJson(res, 200, { offsetMs: clock.offsetMs(), serverTime: clock.wallNow() });
      return;
    }
    const match = /^\/admin\/conversations\/([^/]+)(\/digest|\/log)?$/.exec(path);
    if (match !== null && req.method === 'GET') {
      const id = ConversationId.safeParse(decodePathSegment(match[1]!));
      if (!id.success) {
        sendError(res, 400, `id: ${describeIssues(id.error)}`);
        return;
      }
      const view = await engine.conversation(id.data);
      if (view === 'unavailable') sendError(res, 503, 'directory unreachable');
      else if (view === 'not_found') sendError(res, 404, `conversation ${id.data} not found`);
      else if (match[2] === '/digest') sendJson(res, 200, view.digest());
      else if (match[2] === '/log') {
        sendJson(res, 200, { conv: id.data, region: opts.region, node: opts.node, messages: view.log() });
      } else sendJson(res, 200, view.details);
      return;
    }
    sendError(res, 404, 'not found');
  };

  const internal = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    if (!secretMatches(req.headers[PEER_HEADER], opts.peerKey)) {
      sendError(res, 401, 'unauthorized');
      return;
    }
    if (req.method !== 'POST') {
      sendError(res, 405, 'method not allowed');
      return;
    }
    if (path === '/internal/replicate') {
      sendJson(res, 200, engine.replicate(await requireJson(req, ReplicateRequest, 64 * MiB)));
    } else if (path === '/internal/send') {
      const body = await requireJson(req, ForwardRequest, 64 * MiB);
      sendJson(res, 200, { results: await engine.forwarded(body.items) });
    } else if (path === '/internal/sync') {
      const body = await requireJson(req, InternalSyncRequest, 64 * 1024);
      sendJson(res, 200, await engine.internalSync(body.conv, body.afterSeq, body.user));
    } else if (path === '/internal/conversations') {
      const rec = await requireJson(req, ConvRecord, 8 * MiB);
      if (engine.knownRecord(rec.id) === undefined) engine.onRecord(rec);
      sendJson(res, 200, { ok: true });
    } else {
      sendError(res, 404, 'not found');
    }
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://node');
    const path = url.pathname;
    if (path === '/healthz' && req.method === 'GET') {
      sendJson(res, 200, opts.healthz());
    } else if (path === '/metrics' && req.method === 'GET') {
      const text = await opts.metrics.registry.metrics();
      res.writeHead(200, { 'content-type': opts.metrics.registry.contentType });
      res.end(text);
    } else if (path.startsWith('/admin/')) {
      await admin(req, res, path);
    } else if (path.startsWith('/internal/')) {
      await internal(req, res, path);
    } else if (path.startsWith('/api/')) {
      await api(req, res, path, url);
    } else {
      sendError(res, 404, 'not found');
    }
  };

  return (req, res) => {
    route(req, res).catch((error: unknown) => {
      if (error instanceof HttpError) sendError(res, error.status, error.message);
      else {
        log.error('request failed', { path: req.url, error: errorMessage(error) });
        sendError(res, 500, 'internal error');
      }
    });
  };
}
