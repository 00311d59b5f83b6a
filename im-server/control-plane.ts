// A node's view of the control plane: its lease, which node homes each conversation, and where
// the other nodes are. Two implementations: the directory client (leases, failover) and a static
// one for a standalone node or a fixed set of peers without a directory (epoch 1 forever, no
// failover).

import { randomBytes } from 'node:crypto';
import type { Agent } from 'node:http';
import { describeIssues } from '../contracts/errors.ts';
import type { CreateConversationBody } from '../contracts/wire.ts';
import { requestJson } from './http.ts';
import { ConvRecord, type ElectionReport, HeartbeatResponse } from './internal-protocol.ts';
import { errorMessage, type Logger } from './log.ts';
import { preferenceOrder } from './placement.ts';
import { PEER_HEADER } from './token.ts';

export interface PeerInfo {
  id: string;
  region: string;
  url: string;
}

export interface ControlPlane {
  readonly mode: 'directory' | 'static';
  start(): void;
  stop(): void;
  /** True while this node may sequence conversations assigned to it. */
  leaseValid(): boolean;
  /** Ms of lease left (0 when none). */
  leaseRemainingMs(): number;
  /** The source of truth's record, null when it does not know the conversation; throws when unreachable. */
  fetch(conv: string): Promise<ConvRecord | null>;
  create(body: CreateConversationBody): Promise<{ status: number; body: unknown }>;
  /** Every other node known, with the URL to reach it (--peers wins over the directory's list). */
  peers(): PeerInfo[];
  /** Every region known to exist (own, peers', directory's). */
  regions(): string[];
  /** The directory has sent every record (false until the first complete heartbeat). */
  caughtUp(): boolean;
  /** Regions other than ours where the directory last reported a live node (empty without one). */
  liveRegions(): string[];
}

export interface ControlPlaneHooks {
  /** A record arrived (created, home changed, election opened). */
  onRecord(record: ConvRecord): void;
  /** What this node holds of a conversation, for an election. */
  report(conv: string): { lastSeq: number; logEpoch: number };
  /** All records this node knows (static mode answers from here). */
  known(conv: string): ConvRecord | undefined;
  /** Other regions this node currently reaches (see HeartbeatRequest.reachable). */
  reachable(): string[];
}

export interface ControlPlaneOptions {
  nodeId: string;
  region: string;
  node: string;
  /** Our own address, registered with the directory for peers that have no --peers entry for us. */
  advertisedUrl(): string;
  directoryUrl: string | null;
  peers: PeerInfo[];
  leaseMs: number;
  peerKey: string;
  agent: Agent;
  logger: Logger;
  monoNow(): number;
  wallNow(): number;
  hooks: ControlPlaneHooks;
}

export function createControlPlane(opts: ControlPlaneOptions): ControlPlane {
  return opts.directoryUrl === null ? createStatic(opts) : createDirectoryClient(opts, opts.directoryUrl);
}

function createDirectoryClient(opts: ControlPlaneOptions, directoryUrl: string): ControlPlane {
  const base = directoryUrl.replace(/\/+$/, '');
  const incarnation = randomBytes(8).toString('hex');
  const heartbeatEveryMs = Math.max(50, Math.floor(opts.leaseMs / 4));
  // Renewals go out every L/4 measured from when the last one was sent, so a directory link
  // with a round trip below L/2 keeps the lease alive however slow it is.
  const timeoutMs = Math.max(250, Math.floor(opts.leaseMs / 2));
  const headers = { [PEER_HEADER]: opts.peerKey };
  const log = opts.logger;
  let leaseUntilMono = 0;
  let leaseUntilWall = 0;
  let sinceVersion = 0;
  let caughtUp = false;
  let directoryId: string | null = null;
  let directoryNodes: (PeerInfo & { live: boolean })[] = [];
  let pendingReports: { conv: string; election: string }[] = [];
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  let failures = 0;

  const leaseRemainingMs = (): number =>
    Math.max(0, Math.min(leaseUntilMono - opts.monoNow(), leaseUntilWall - opts.wallNow()));

  const schedule = (delayMs: number): void => {
    if (stopped) return;
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      void beat();
    }, delayMs);
  };

  const beat = async (): Promise<void> => {
    const sentMono = opts.monoNow();
    const sentWall = opts.wallNow();
    const reports: ElectionReport[] = pendingReports.map((r) => ({ ...r, ...opts.hooks.report(r.conv) }));
    let next = heartbeatEveryMs;
    const sinceSent = (): number => opts.monoNow() - sentMono;
    try {
      const res = await requestJson(`${base}/v1/heartbeat`, {
        body: {
          nodeId: opts.nodeId,
          region: opts.region,
          node: opts.node,
          url: opts.advertisedUrl(),
          incarnation,
          sinceVersion,
          reports,
          reachable: opts.hooks.reachable(),
        },
        timeoutMs,
        headers,
        agent: opts.agent,
      });
      if (res.status !== 200) throw new Error(`directory answered ${res.status}`);
      const parsed = HeartbeatResponse.safeParse(res.body);
      if (!parsed.success) throw new Error(`bad heartbeat answer: ${describeIssues(parsed.error)}`);
      const hb = parsed.data;
      if (directoryId !== null && directoryId !== hb.directoryId) {
        log.warn('directory restarted', { directoryId: hb.directoryId });
      }
      directoryId = hb.directoryId;
      for (const rec of hb.changes) opts.hooks.onRecord(rec);
      sinceVersion = hb.version;
      directoryNodes = hb.nodes.filter((n) => n.id !== opts.nodeId);
      // Reports we just sent are done; new questions are answered on the next beat.
      pendingReports = hb.reportRequests;
      if (!hb.more) caughtUp = true;
      // The lease runs from when we sent the renewal, so it ends no later than the directory's view.
      // It only counts once every record is in: a page still to come may move our conversations.
      if (hb.granted && !hb.more) {
        const wasValid = leaseRemainingMs() > 0;
        leaseUntilMono = sentMono + hb.leaseMs;
        leaseUntilWall = sentWall + hb.leaseMs;
        if (!wasValid) log.info('lease acquired', { leaseMs: hb.leaseMs });
      }
      if (failures > 0) log.info('directory reachable again', { after: failures });
      failures = 0;
      next = Math.max(0, heartbeatEveryMs - sinceSent());
      if (hb.pollSoon || pendingReports.length > 0) next = 30;
    } catch (error) {
      failures += 1;
      if (failures === 1 || failures % 20 === 0) {
        log.warn('heartbeat failed', { error: errorMessage(error), failures });
      }
      next = Math.min(heartbeatEveryMs, 100 * failures);
    }
    schedule(next);
  };

  return {
    mode: 'directory',
    start() {
      schedule(0);
    },
    stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
    },
    leaseValid: () => leaseRemainingMs() > 0,
    leaseRemainingMs,
    async fetch(conv) {
      const res = await requestJson(`${base}/v1/conversations/${encodeURIComponent(conv)}`, {
        method: 'GET',
        timeoutMs,
        headers,
        agent: opts.agent,
      });
      if (res.status === 404) return null;
      if (res.status !== 200) throw new Error(`directory answered ${res.status}`);
      const parsed = ConvRecord.safeParse(res.body);
      if (!parsed.success) throw new Error(`bad conversation record: ${describeIssues(parsed.error)}`);
      return parsed.data;
    },
    async create(body) {
      const res = await requestJson(`${base}/v1/conversations`, {
        body,
        timeoutMs: Math.max(timeoutMs, 2000),
        headers,
        agent: opts.agent,
      });
      if (res.status === 201) {
        const parsed = ConvRecord.safeParse(res.body);
        if (parsed.success) opts.hooks.onRecord(parsed.data);
      }
      return { status: res.status, body: res.body };
    },
    peers() {
      const configured = new Map(opts.peers.map((p) => [p.id, p]));
      for (const n of directoryNodes) if (!configured.has(n.id)) configured.set(n.id, n);
      return [...configured.values()];
    },
    regions() {
      return [
        ...new Set([opts.region, ...opts.peers.map((p) => p.region), ...directoryNodes.map((n) => n.region)]),
      ].sort();
    },
    caughtUp: () => caughtUp,
    liveRegions: () => [
      ...new Set(directoryNodes.filter((n) => n.live && n.region !== opts.region).map((n) => n.region)),
    ],
  };
}

/** No directory: homes are fixed by rendezvous over the configured nodes, epoch 1, no failover. */
function createStatic(opts: ControlPlaneOptions): ControlPlane {
  const all = [{ id: opts.nodeId, region: opts.region }, ...opts.peers];
  const regions = [...new Set(all.map((n) => n.region))].sort();
  const log = opts.logger;
  const sameSet = (a: readonly string[] | null, b: readonly string[] | null): boolean =>
    a === null || b === null ? a === b : a.length === b.length && a.every((x) => b.includes(x));

  const announce = (rec: ConvRecord, peer: PeerInfo, attempt: number): void => {
    requestJson(`${peer.url}/internal/conversations`, {
      body: rec,
      timeoutMs: 2000,
      headers: { [PEER_HEADER]: opts.peerKey },
      agent: opts.agent,
    }).then(
      (res) => {
        if (res.status >= 500) throw new Error(`status ${res.status}`);
      },
      (error: unknown) => {
        if (attempt % 10 === 0)
          log.warn('announcing conversation failed', { peer: peer.id, error: errorMessage(error) });
        setTimeout(
          () => announce(rec, peer, attempt + 1),
          Math.min(5000, 200 * 2 ** Math.min(attempt, 5)),
        ).unref();
      },
    );
  };

  return {
    mode: 'static',
    start() {},
    stop() {},
    leaseValid: () => true,
    leaseRemainingMs: () => Number.MAX_SAFE_INTEGER,
    fetch: async (conv) => opts.hooks.known(conv) ?? null,
    async create(body) {
      const members = [...new Set(body.members)];
      const residency = body.residency === undefined ? null : [...new Set(body.residency)].sort();
      const existing = opts.hooks.known(body.id);
      if (existing !== undefined) {
        if (
          sameSet([...existing.members].sort(), [...members].sort()) &&
          sameSet(existing.residency, residency)
        ) {
          return { status: 201, body: existing };
        }
        return {
          status: 409,
          body: {
            error: `conversation ${body.id} already exists with other members or residency`,
            status: 409,
          },
        };
      }
      const allowed = residency ?? regions;
      const home = preferenceOrder(body.id, allowed, all)[0] ?? null;
      const rec: ConvRecord = {
        id: body.id,
        members,
        residency,
        home,
        epoch: home === null ? 0 : 1,
        version: 1,
      };
      opts.hooks.onRecord(rec);
      for (const peer of opts.peers) announce(rec, peer, 0);
      return { status: 201, body: rec };
    },
    peers: () => opts.peers,
    regions: () => regions,
    caughtUp: () => true,
    liveRegions: () => [],
  };
}
