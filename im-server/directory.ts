// The directory: the control plane that grants node leases and says which node sequences each
// conversation under which epoch. It never sees message bodies.
//
// Leases are per node and renewed by heartbeats. When a node's lease lapses (or the node comes
// back as a new incarnation), every conversation it homed gets an election: each live node in
// the conversation's allowed regions is asked, in a heartbeat answer, to report how much of the
// log it holds; once all of them have answered (reports are only accepted after the question,
// so they describe the node's state after the old lease ended), the one with the most complete
// log becomes home under epoch+1. See docs/CONSISTENCY.md.
//
// This file wires the parts under directory/ (state, store, elections, heartbeat,
// conversations, routes) and runs the lease timer and the HTTP server.

import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createConversation } from './directory/conversations.ts';
import { createElections } from './directory/elections.ts';
import { heartbeat } from './directory/heartbeat.ts';
import { createDirectoryHandler } from './directory/routes.ts';
import { createDirectoryState, type DirectoryState } from './directory/state.ts';
import { type DirectoryStore, openDirectoryStore } from './directory/store.ts';
import { HttpError, sendError } from './http.ts';
import { errorMessage, type Logger } from './log.ts';
import { peerKey } from './token.ts';

export const DEFAULT_LEASE_MS = 3000;

export interface DirectoryOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Lease length granted to nodes; default 3000 ms. */
  leaseMs?: number;
  /** Directory for directory.db; without it state lives in memory and dies with the process. */
  dataDir?: string;
  /** When set, nodes must present the peer key derived from it. */
  secret?: string;
  /** When set, GET /admin/state requires `Authorization: Bearer` this token. */
  adminToken?: string;
  logger: Logger;
}

export interface DirectoryServer {
  host: string;
  port: number;
  url: string;
  close(): Promise<void>;
}

/** Fills the state from the store: every record, and every known node as possibly still leased. */
function recover(state: DirectoryState, store: DirectoryStore): void {
  for (const rec of store.convs()) {
    state.convs.set(rec.id, rec);
    state.version = Math.max(state.version, rec.version);
  }
  for (const row of store.nodes()) {
    // After a restart, assume every known node may still hold a lease we granted before.
    state.nodes.set(row.id, {
      ...row,
      incarnation: null,
      leaseUntil: state.now() + state.leaseMs + state.graceMs,
      live: true,
      reachable: null,
      sinceVersion: 0,
    });
  }
}

async function listen(server: Server, opts: DirectoryOptions): Promise<number> {
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

export async function startDirectory(opts: DirectoryOptions): Promise<DirectoryServer> {
  const leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
  // The node measures its lease from when it sent the renewal and we from when it arrived, so
  // our deadline is already later than its own; the grace absorbs scheduling jitter on top.
  const graceMs = Math.max(100, Math.round(leaseMs * 0.1));
  const log = opts.logger;
  const state = createDirectoryState(randomBytes(6).toString('hex'), leaseMs, graceMs);
  const store = openDirectoryStore(opts.dataDir);
  recover(state, store);
  const elections = createElections(state, { log, saveConv: store.saveConv });

  // Conversations left without a home by a previous run of the directory need an election.
  for (const rec of state.convs.values()) if (rec.home === null) elections.start(rec, 'recovered');

  const tick = setInterval(elections.tick, Math.max(20, Math.min(100, Math.floor(leaseMs / 20))));
  tick.unref();

  const handle = createDirectoryHandler(state, {
    adminToken: opts.adminToken,
    expectedPeerKey: opts.secret === undefined ? null : peerKey(opts.secret),
    heartbeat: (body) => heartbeat(state, { log, elections, saveNode: store.saveNode }, body),
    createConversation: (body) => createConversation(state, { log, elections }, body),
  });
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof HttpError) sendError(res, error.status, error.message);
      else {
        log.error('request failed', { error: errorMessage(error) });
        sendError(res, 500, 'internal error');
      }
    });
  });
  const port = await listen(server, opts);
  log.info('directory started', { port, leaseMs, persistent: opts.dataDir !== undefined });

  return {
    host: opts.host,
    port,
    url: `http://${opts.host}:${port}`,
    close: async () => {
      clearInterval(tick);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      store.close();
    },
  };
}
