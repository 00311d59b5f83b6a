// The directory: the control plane that grants node leases and says which node sequences each
// conversation under which epoch. It never sees message bodies.
//
// Leases are per node and renewed by heartbeats. When a node's lease lapses (or the node comes
// back as a new incarnation), every conversation it homed gets an election: each live node in
// the conversation's allowed regions is asked, in a heartbeat answer, to report how much of the
// log it holds; once all of them have answered (reports are only accepted after the question,
// so they describe the node's state after the old lease ended), the one with the most complete
// log becomes home under epoch+1. See docs/CONSISTENCY.md.

import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describeIssues } from '../contracts/errors.ts';
import { ConversationId, CreateConversationBody } from '../contracts/wire.ts';
import { decodePathSegment, HttpError, readJsonBody, sendError, sendJson } from './http.ts';
import {
  type ConvRecord,
  type DirectoryNode,
  HeartbeatRequest,
  type HeartbeatResponse,
} from './internal-protocol.ts';
import { errorMessage, type Logger } from './log.ts';
import { preferenceOrder } from './placement.ts';
import { PEER_HEADER, peerKey } from './token.ts';

export const DEFAULT_LEASE_MS = 3000;
/** Most conversation records returned by one heartbeat; the node asks again at once for more. */
const MAX_CHANGES_PER_HEARTBEAT = 2000;

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

interface NodeState {
  id: string;
  region: string;
  url: string;
  incarnation: string | null;
  /** Monotonic ms after which the node's lease is over (grace included). */
  leaseUntil: number;
  live: boolean;
  /** Other regions the node's replication reaches; null: unknown, taken as all. */
  reachable: Set<string> | null;
  /** The change version the node has applied, from its last heartbeat. */
  sinceVersion: number;
}

interface Election {
  id: string;
  startedAt: number;
  reports: Map<string, { lastSeq: number; logEpoch: number }>;
  /**
   * A home moved away while its lease still runs: it is no candidate, and no successor is named
   * until it has applied `fenceVersion` (so it has stopped sequencing) or its lease has lapsed.
   */
  excluded?: { node: string; fenceVersion: number };
}

function sameSet(a: readonly string[] | null, b: readonly string[] | null): boolean {
  if (a === null || b === null) return a === b;
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}

export async function startDirectory(opts: DirectoryOptions): Promise<DirectoryServer> {
  const leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
  // The node measures its lease from when it sent the renewal and we from when it arrived, so
  // our deadline is already later than its own; the grace absorbs scheduling jitter on top.
  const graceMs = Math.max(100, Math.round(leaseMs * 0.1));
  const log = opts.logger;
  const directoryId = randomBytes(6).toString('hex');
  const now = (): number => performance.now();
  const expectedPeerKey = opts.secret === undefined ? null : peerKey(opts.secret);

  if (opts.dataDir !== undefined) mkdirSync(opts.dataDir, { recursive: true });
  const db = new Database(opts.dataDir === undefined ? ':memory:' : join(opts.dataDir, 'directory.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`
    CREATE TABLE IF NOT EXISTS conversations (
      id TEXT PRIMARY KEY, members TEXT NOT NULL, residency TEXT, home TEXT,
      epoch INTEGER NOT NULL, version INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS nodes (id TEXT PRIMARY KEY, region TEXT NOT NULL, url TEXT NOT NULL);
  `);
  const saveConv = db.prepare(`
    INSERT INTO conversations (id, members, residency, home, epoch, version)
    VALUES (@id, @members, @residency, @home, @epoch, @version)
    ON CONFLICT (id) DO UPDATE SET home = excluded.home, epoch = excluded.epoch, version = excluded.version`);
  const saveNode = db.prepare(
    'INSERT INTO nodes (id, region, url) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET region = excluded.region, url = excluded.url',
  );

  const convs = new Map<string, ConvRecord>();
  const nodes = new Map<string, NodeState>();
  const elections = new Map<string, Election>();
  let version = 0;
  let electionCounter = 0;

  for (const row of db
    .prepare<
      [],
      {
        id: string;
        members: string;
        residency: string | null;
        home: string | null;
        epoch: number;
        version: number;
      }
    >('SELECT * FROM conversations')
    .all()) {
    convs.set(row.id, {
      id: row.id,
      members: JSON.parse(row.members) as string[],
      residency: row.residency === null ? null : (JSON.parse(row.residency) as string[]),
      home: row.home,
      epoch: row.epoch,
      version: row.version,
    });
    version = Math.max(version, row.version);
  }
  for (const row of db
    .prepare<[], { id: string; region: string; url: string }>('SELECT * FROM nodes')
    .all()) {
    // After a restart, assume every known node may still hold a lease we granted before.
    nodes.set(row.id, {
      ...row,
      incarnation: null,
      leaseUntil: now() + leaseMs + graceMs,
      live: true,
      reachable: null,
      sinceVersion: 0,
    });
  }

  const persist = (rec: ConvRecord): void => {
    saveConv.run({
      id: rec.id,
      members: JSON.stringify(rec.members),
      residency: rec.residency === null ? null : JSON.stringify(rec.residency),
      home: rec.home,
      epoch: rec.epoch,
      version: rec.version,
    });
  };
  const bump = (rec: ConvRecord): void => {
    version += 1;
    rec.version = version;
    persist(rec);
  };

  const knownRegions = (): string[] => [...new Set([...nodes.values()].map((n) => n.region))].sort();
  const allowedRegions = (rec: ConvRecord): string[] => rec.residency ?? knownRegions();
  const candidatesOf = (rec: ConvRecord): NodeState[] => {
    const allowed = new Set(allowedRegions(rec));
    return [...nodes.values()].filter((n) => n.live && allowed.has(n.region));
  };

  const startElection = (rec: ConvRecord, reason: string, exclude?: string): void => {
    if (rec.home !== null) {
      log.info('home lost, electing', { conv: rec.id, oldHome: rec.home, epoch: rec.epoch, reason });
      rec.home = null;
      bump(rec);
    }
    electionCounter += 1;
    elections.set(rec.id, {
      id: `${directoryId}-${electionCounter}`,
      startedAt: now(),
      reports: new Map(),
      ...(exclude === undefined ? {} : { excluded: { node: exclude, fenceVersion: rec.version } }),
    });
    tryDecide(rec.id);
  };

  /**
   * True when `node` reaches none of the conversation's other regions that have a live node, so
   * as home it could commit nothing (W >= 1) and as candidate it would be no better.
   */
  const cutOff = (node: NodeState, rec: ConvRecord): boolean => {
    if (node.reachable === null) return false;
    const others = new Set(
      [...nodes.values()]
        .filter((n) => n.live && n.id !== node.id && n.region !== node.region)
        .map((n) => n.region)
        .filter((r) => allowedRegions(rec).includes(r)),
    );
    if (others.size === 0) return false;
    return [...others].every((r) => !node.reachable!.has(r));
  };

  /** Moves conversations away from live homes that cannot replicate, when someone else can. */
  const moveFromCutOffHomes = (): void => {
    const isolated = [...nodes.values()].filter((n) => n.live && n.reachable !== null);
    if (isolated.length === 0) return;
    for (const rec of convs.values()) {
      if (rec.home === null || elections.has(rec.id)) continue;
      const home = nodes.get(rec.home);
      if (home === undefined || !home.live || !cutOff(home, rec)) continue;
      const better = candidatesOf(rec).some((c) => c.id !== home.id && !cutOff(c, rec));
      if (better) startElection(rec, 'home cannot reach any other region', home.id);
    }
  };

  const tryDecide = (convId: string): void => {
    const election = elections.get(convId);
    const rec = convs.get(convId);
    if (election === undefined || rec === undefined) return;
    const excluded = election.excluded;
    if (excluded !== undefined) {
      const old = nodes.get(excluded.node);
      if (old?.live && old.sinceVersion < excluded.fenceVersion) return;
    }
    const candidates = candidatesOf(rec).filter((c) => c.id !== excluded?.node);
    if (candidates.length === 0) return;
    if (candidates.some((c) => !election.reports.has(c.id))) return;
    const order = preferenceOrder(convId, allowedRegions(rec), [...nodes.values()]);
    const rank = (id: string): number => {
      const i = order.indexOf(id);
      return i < 0 ? order.length : i;
    };
    let winner: NodeState | undefined;
    let best = { logEpoch: -1, lastSeq: -1 };
    for (const c of candidates) {
      const r = election.reports.get(c.id)!;
      const better =
        r.logEpoch > best.logEpoch ||
        (r.logEpoch === best.logEpoch && r.lastSeq > best.lastSeq) ||
        (r.logEpoch === best.logEpoch &&
          r.lastSeq === best.lastSeq &&
          winner !== undefined &&
          rank(c.id) < rank(winner.id));
      if (winner === undefined || better) {
        winner = c;
        best = r;
      }
    }
    if (winner === undefined) return;
    elections.delete(convId);
    rec.home = winner.id;
    rec.epoch += 1;
    bump(rec);
    log.info('home elected', {
      conv: convId,
      home: winner.id,
      epoch: rec.epoch,
      lastSeq: best.lastSeq,
      logEpoch: best.logEpoch,
      tookMs: Math.round(now() - election.startedAt),
    });
  };

  const lapse = (node: NodeState, reason: string): void => {
    node.live = false;
    log.warn('node lease lapsed', { node: node.id, reason });
    for (const rec of convs.values()) if (rec.home === node.id) startElection(rec, reason);
    // Elections waiting on this node's report can now finish without it.
    for (const convId of elections.keys()) tryDecide(convId);
  };

  // Conversations left without a home by a previous run of the directory need an election.
  for (const rec of convs.values()) if (rec.home === null) startElection(rec, 'recovered');

  const tick = setInterval(
    () => {
      const t = now();
      for (const node of nodes.values()) if (node.live && t > node.leaseUntil) lapse(node, 'lease expired');
      moveFromCutOffHomes();
    },
    Math.max(20, Math.min(100, Math.floor(leaseMs / 20))),
  );
  tick.unref();

  const nodeList = (): DirectoryNode[] =>
    [...nodes.values()].map((n) => ({ id: n.id, region: n.region, url: n.url, live: n.live }));

  const heartbeat = (body: unknown): HeartbeatResponse => {
    const parsed = HeartbeatRequest.safeParse(body);
    if (!parsed.success) throw new HttpError(400, describeIssues(parsed.error));
    const hb = parsed.data;
    if (hb.nodeId !== `${hb.region}/${hb.node}`) throw new HttpError(400, 'nodeId: must be region/node');
    const t = now();
    let node = nodes.get(hb.nodeId);
    if (node === undefined) {
      node = {
        id: hb.nodeId,
        region: hb.region,
        url: hb.url,
        incarnation: hb.incarnation,
        leaseUntil: 0,
        live: false,
        reachable: null,
        sinceVersion: 0,
      };
      nodes.set(node.id, node);
      saveNode.run(node.id, node.region, node.url);
      log.info('node registered', { node: node.id, url: node.url });
    } else if (node.url !== hb.url || node.region !== hb.region) {
      node.url = hb.url;
      node.region = hb.region;
      saveNode.run(node.id, node.region, node.url);
    }
    const restarted = node.incarnation !== null && node.incarnation !== hb.incarnation;
    node.incarnation = hb.incarnation;
    node.leaseUntil = t + leaseMs + graceMs;
    node.sinceVersion = hb.sinceVersion;
    node.reachable = hb.reachable === undefined ? null : new Set(hb.reachable);
    if (!node.live) {
      node.live = true;
      log.info('node live', { node: node.id });
    }
    if (restarted) {
      // The new process may not know everything the old one did: choose the home again.
      log.warn('node restarted', { node: node.id });
      for (const rec of convs.values()) if (rec.home === node.id) startElection(rec, 'home restarted');
    }
    for (const report of hb.reports) {
      const election = elections.get(report.conv);
      if (election === undefined || election.id !== report.election) continue;
      election.reports.set(node.id, { lastSeq: report.lastSeq, logEpoch: report.logEpoch });
      tryDecide(report.conv);
    }
    // A node that is new to an election becomes a candidate, so re-check open ones.
    for (const convId of [...elections.keys()]) tryDecide(convId);

    const reportRequests: { conv: string; election: string }[] = [];
    let waiting = false;
    for (const [convId, election] of elections) {
      const rec = convs.get(convId);
      if (rec === undefined || !allowedRegions(rec).includes(node.region)) continue;
      waiting = true;
      if (!election.reports.has(node.id)) reportRequests.push({ conv: convId, election: election.id });
    }
    const pending = [...convs.values()].filter((rec) => rec.version > hb.sinceVersion);
    pending.sort((a, b) => a.version - b.version);
    const more = pending.length > MAX_CHANGES_PER_HEARTBEAT;
    const changes = pending.slice(0, MAX_CHANGES_PER_HEARTBEAT).map((rec) => ({ ...rec }));
    return {
      granted: true,
      leaseMs,
      directoryId,
      version: more ? changes[changes.length - 1]!.version : Math.max(version, hb.sinceVersion),
      more,
      changes,
      reportRequests,
      pollSoon: more || waiting,
      nodes: nodeList(),
    };
  };

  const createConversation = (body: unknown): { status: number; body: unknown } => {
    const parsed = CreateConversationBody.safeParse(body);
    if (!parsed.success) return { status: 400, body: { error: describeIssues(parsed.error), status: 400 } };
    const members = [...new Set(parsed.data.members)];
    const residency = parsed.data.residency === undefined ? null : [...new Set(parsed.data.residency)].sort();
    const existing = convs.get(parsed.data.id);
    if (existing !== undefined) {
      if (sameSet(existing.members, members) && sameSet(existing.residency, residency)) {
        return { status: 201, body: existing };
      }
      return {
        status: 409,
        body: {
          error: `conversation ${parsed.data.id} already exists with other members or residency`,
          status: 409,
        },
      };
    }
    const rec: ConvRecord = { id: parsed.data.id, members, residency, home: null, epoch: 0, version: 0 };
    convs.set(rec.id, rec);
    const order = preferenceOrder(rec.id, allowedRegions(rec), [...nodes.values()]);
    const first = order.map((id) => nodes.get(id)).find((n) => n?.live === true);
    if (first !== undefined) {
      rec.home = first.id;
      rec.epoch = 1;
      bump(rec);
    } else {
      bump(rec);
      startElection(rec, 'no live node in the allowed regions');
    }
    log.info('conversation created', { conv: rec.id, home: rec.home, members: members.length, residency });
    return { status: 201, body: rec };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://directory');
    const path = url.pathname;
    if (req.method === 'GET' && path === '/healthz') {
      sendJson(res, 200, {
        status: 'ok',
        directoryId,
        leaseMs,
        version,
        conversations: convs.size,
        elections: elections.size,
        nodes: nodeList(),
      });
      return;
    }
    if (path === '/admin/state') {
      if (opts.adminToken !== undefined && req.headers.authorization !== `Bearer ${opts.adminToken}`) {
        sendError(res, 401, 'unauthorized');
        return;
      }
      sendJson(res, 200, {
        directoryId,
        version,
        nodes: nodeList(),
        conversations: [...convs.values()],
        elections: [...elections.entries()].map(([conv, e]) => ({
          conv,
          id: e.id,
          reported: [...e.reports.keys()],
        })),
      });
      return;
    }
    if (expectedPeerKey !== null && req.headers[PEER_HEADER] !== expectedPeerKey) {
      sendError(res, 401, 'unauthorized');
      return;
    }
    if (req.method === 'POST' && path === '/v1/heartbeat') {
      sendJson(res, 200, heartbeat(await readJsonBody(req, 4 * 1024 * 1024)));
      return;
    }
    if (req.method === 'POST' && path === '/v1/conversations') {
      const result = createConversation(await readJsonBody(req, 4 * 1024 * 1024));
      sendJson(res, result.status, result.body);
      return;
    }
    const match = /^\/v1\/conversations\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && match !== null) {
      const id = ConversationId.safeParse(decodePathSegment(match[1]!));
      const rec = id.success ? convs.get(id.data) : undefined;
      if (rec === undefined) sendError(res, 404, 'conversation not found');
      else sendJson(res, 200, rec);
      return;
    }
    sendError(res, 404, 'not found');
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof HttpError) sendError(res, error.status, error.message);
      else {
        log.error('request failed', { error: errorMessage(error) });
        sendError(res, 500, 'internal error');
      }
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
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
      db.close();
    },
  };
}
