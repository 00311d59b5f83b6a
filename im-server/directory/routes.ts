// The directory's HTTP routes: health and admin state (readable without the peer key), then
// the peer-key-guarded node API (heartbeats, creating and reading conversations).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConversationId } from '../../contracts/wire.ts';
import { decodePathSegment, readJsonBody, sendError, sendJson } from '../http.ts';
import type { HeartbeatResponse } from '../internal-protocol.ts';
import { PEER_HEADER, secretMatches } from '../token.ts';
import type { CreateResult } from './conversations.ts';
import { type DirectoryState, nodeList } from './state.ts';

const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface RoutesDeps {
  /** When set, GET /admin/state requires `Authorization: Bearer` this token. */
  adminToken: string | undefined;
  /** When set, the node API requires this peer key. */
  expectedPeerKey: string | null;
  heartbeat(body: unknown): HeartbeatResponse;
  createConversation(body: unknown): CreateResult;
}

export type DirectoryHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

function healthz(state: DirectoryState): unknown {
  return {
    status: 'ok',
    directoryId: state.directoryId,
    leaseMs: state.leaseMs,
    version: state.version,
    conversations: state.convs.size,
    elections: state.elections.size,
    nodes: nodeList(state),
  };
}

function adminState(state: DirectoryState): unknown {
  return {
    directoryId: state.directoryId,
    version: state.version,
    nodes: nodeList(state),
    conversations: [...state.convs.values()],
    elections: [...state.elections.entries()].map(([conv, e]) => ({
      conv,
      id: e.id,
      reported: [...e.reports.keys()],
    })),
  };
}

export function createDirectoryHandler(state: DirectoryState, deps: RoutesDeps): DirectoryHandler {
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://directory');
    const path = url.pathname;
    if (req.method === 'GET' && path === '/healthz') {
      sendJson(res, 200, healthz(state));
      return;
    }
    if (path === '/admin/state') {
      if (
        deps.adminToken !== undefined &&
        !secretMatches(req.headers.authorization, `Bearer ${deps.adminToken}`)
      ) {
        sendError(res, 401, 'unauthorized');
        return;
      }
      sendJson(res, 200, adminState(state));
      return;
    }
    if (deps.expectedPeerKey !== null && !secretMatches(req.headers[PEER_HEADER], deps.expectedPeerKey)) {
      sendError(res, 401, 'unauthorized');
      return;
    }
    if (req.method === 'POST' && path === '/v1/heartbeat') {
      sendJson(res, 200, deps.heartbeat(await readJsonBody(req, MAX_BODY_BYTES)));
      return;
    }
    if (req.method === 'POST' && path === '/v1/conversations') {
      const result = deps.createConversation(await readJsonBody(req, MAX_BODY_BYTES));
      sendJson(res, result.status, result.body);
      return;
    }
    const match = /^\/v1\/conversations\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && match !== null) {
      const id = ConversationId.safeParse(decodePathSegment(match[1]!));
      const rec = id.success ? state.convs.get(id.data) : undefined;
      if (rec === undefined) sendError(res, 404, 'conversation not found');
      else sendJson(res, 200, rec);
      return;
    }
    sendError(res, 404, 'not found');
  };
}
