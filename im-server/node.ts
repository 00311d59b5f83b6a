// One node of the reference IM server, wired together: storage, the control plane (directory
// client or static), the engine, replication, forwarding, client sessions and the HTTP server.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { AckLevel, BugName } from '../contracts/wire.ts';
import type { Clock } from './clock.ts';
import { createControlPlane, type PeerInfo } from './control-plane.ts';
import { createEngine } from './engine.ts';
import { createForwarder } from './forwarding.ts';
import { createAgent } from './http.ts';
import type { Logger } from './log.ts';
import { createMetrics } from './metrics.ts';
import { createNodeHttpHandler } from './node-http.ts';
import { createShipper } from './replication.ts';
import { createSessions } from './sessions.ts';
import { openStorage } from './storage.ts';
import { peerKey } from './token.ts';

export interface NodeConfig {
  region: string;
  node: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  dataDir: string;
  secret: string;
  adminToken: string;
  directoryUrl: string | null;
  peers: PeerInfo[];
  ack: AckLevel;
  /** W: other regions that must hold a message before a `replicated` ack. */
  replicas: number;
  leaseMs: number;
  bugs: ReadonlySet<BugName>;
  maxFrameBytes: number;
  maxBodyBytes: number;
  fsync: boolean;
  clock: Clock;
  logger: Logger;
}

export interface RunningNode {
  host: string;
  port: number;
  close(): Promise<void>;
}

export async function startNode(cfg: NodeConfig): Promise<RunningNode> {
  const myId = `${cfg.region}/${cfg.node}`;
  const incarnation = randomBytes(8).toString('hex');
  const log = cfg.logger;
  const clock = cfg.clock;
  const key = peerKey(cfg.secret);
  // Timing, all derived from the lease so `--lease-ms` scales the whole failure detector.
  const peerTimeoutMs = Math.min(5000, Math.max(1000, cfg.leaseMs));
  const keepaliveMs = Math.max(50, Math.floor(cfg.leaseMs / 4));
  const sendTimeoutMs = Math.max(5000, 2 * cfg.leaseMs + 1000);

  mkdirSync(cfg.dataDir, { recursive: true });
  const storage = openStorage(join(cfg.dataDir, 'node.db'), { fsync: cfg.fsync });
  const agent = createAgent(16);
  let advertisedUrl = '';

  const metrics = createMetrics(
    { region: cfg.region, node: cfg.node },
    {
      leaseValid: () => controlPlane.leaseValid(),
      clockOffsetMs: () => clock.offsetMs(),
      homedConversations: () => engine.stats().homed,
      replicationLag: () => shipper.lag(),
    },
  );

  const engine = createEngine({
    config: {
      region: cfg.region,
      node: cfg.node,
      incarnation,
      ack: cfg.ack,
      replicas: cfg.replicas,
      bugs: cfg.bugs,
      peerKey: key,
      timings: {
        peerTimeoutMs,
        // A home holds a forwarded batch's answer this long waiting for replication; the
        // forwarder resends what is still pending. Half the request timeout leaves room for a slow link.
        forwardHoldMs: Math.floor(peerTimeoutMs / 2),
        syncWaitMs: Math.min(1000, Math.floor(cfg.leaseMs / 2)),
      },
    },
    storage,
    clock,
    metrics,
    logger: log,
    agent,
    pushToMembers: (members, text) => sessions.pushToMembers(members, text),
  });

  const controlPlane = createControlPlane({
    nodeId: myId,
    region: cfg.region,
    node: cfg.node,
    advertisedUrl: () => advertisedUrl,
    directoryUrl: cfg.directoryUrl,
    peers: cfg.peers,
    leaseMs: cfg.leaseMs,
    peerKey: key,
    agent,
    logger: log,
    monoNow: () => clock.monoNow(),
    wallNow: () => clock.wallNow(),
    hooks: {
      onRecord: (rec) => engine.onRecord(rec),
      report: (conv) => engine.report(conv),
      known: (conv) => engine.knownRecord(conv),
      reachable: () => shipper.reachableRegions(cfg.leaseMs).filter((r) => r !== cfg.region),
    },
  });

  const shipper = createShipper({
    myId,
    incarnation,
    peerKey: key,
    agent,
    logger: log,
    metrics,
    timeoutMs: peerTimeoutMs,
    keepaliveMs,
    peers: () => controlPlane.peers(),
    source: (conv) => engine.shipSource(conv),
    readEntries: (conv, afterSeq, upToSeq) => storage.range(conv, afterSeq, upToSeq),
    commitMatters: (src, region) => engine.commitMatters(src, region),
    // Without a directory there is no lease; followers trust a home they heard from recently.
    authorityMs: () => (controlPlane.mode === 'static' ? cfg.leaseMs : controlPlane.leaseRemainingMs()),
    onProgress: (conv) => engine.onProgress(conv),
    onFenced: (conv, epoch) => engine.onFenced(conv, epoch),
  });

  const forwarder = createForwarder({ myId, peerKey: key, agent, logger: log, timeoutMs: peerTimeoutMs });
  engine.attach({ controlPlane, shipper, forwarder });

  const sessions = createSessions({
    region: cfg.region,
    node: cfg.node,
    secret: cfg.secret,
    maxFrameBytes: cfg.maxFrameBytes,
    maxBodyBytes: cfg.maxBodyBytes,
    sendTimeoutMs,
    clock,
    metrics,
    logger: log,
    engine,
  });

  const healthz = (): Record<string, unknown> => {
    const stats = engine.stats();
    return {
      status: 'ok',
      region: cfg.region,
      node: cfg.node,
      nodeId: myId,
      incarnation,
      mode: controlPlane.mode,
      ack: cfg.ack,
      replicas: cfg.replicas,
      bugs: [...cfg.bugs],
      serverTime: clock.wallNow(),
      clockOffsetMs: clock.offsetMs(),
      lease: {
        valid: controlPlane.leaseValid(),
        remainingMs: Math.round(Math.min(controlPlane.leaseRemainingMs(), 1e12)),
        leaseMs: cfg.leaseMs,
      },
      directory:
        cfg.directoryUrl === null ? null : { url: cfg.directoryUrl, caughtUp: controlPlane.caughtUp() },
      epochs: { homedConversations: stats.homed, maxEpoch: stats.maxEpoch },
      conversations: stats.conversations,
      sessions: sessions.count(),
      peers: controlPlane.peers().map((p) => p.id),
    };
  };

  const server: Server = createServer(
    createNodeHttpHandler({
      region: cfg.region,
      node: cfg.node,
      adminToken: cfg.adminToken,
      peerKey: key,
      engine,
      controlPlane,
      clock,
      metrics,
      logger: log,
      healthz,
    }),
  );
  server.keepAliveTimeout = 30_000;
  server.headersTimeout = 20_000;
  server.on('upgrade', (req, socket, head) => sessions.upgrade(req, socket, head));

  engine.load(controlPlane.mode === 'static');
  const upkeep = setInterval(() => engine.tick(), 50);

  // A node that reaches none of the other live regions can commit nothing that needs them and
  // forward nothing: better its clients reconnect to a region that can (see docs/PROTOCOL.md).
  let isolated = false;
  const isolation = setInterval(
    () => {
      const others = controlPlane.liveRegions();
      const reached = new Set(shipper.reachableRegions(cfg.leaseMs));
      isolated = others.length > 0 && others.every((r) => !reached.has(r));
      sessions.setUnavailable(
        isolated ? 'this node is cut off from every other region; reconnect elsewhere' : null,
      );
    },
    Math.max(50, Math.floor(cfg.leaseMs / 4)),
  );

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.port, cfg.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  advertisedUrl = `http://${cfg.host}:${port}`;
  controlPlane.start();
  log.info('node started', {
    port,
    mode: controlPlane.mode,
    ack: cfg.ack,
    replicas: cfg.replicas,
    leaseMs: cfg.leaseMs,
    conversations: engine.stats().conversations,
    bugs: [...cfg.bugs],
  });

  let closing: Promise<void> | null = null;
  return {
    host: cfg.host,
    port,
    close() {
      closing ??= (async () => {
        clearInterval(upkeep);
        clearInterval(isolation);
        engine.close();
        controlPlane.stop();
        shipper.stop();
        forwarder.stop();
        await sessions.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        engine.close();
        agent.destroy();
        storage.close();
        log.info('node stopped');
      })();
      return closing;
    },
  };
}
