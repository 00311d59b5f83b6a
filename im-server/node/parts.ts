// The parts of a node built and wired to each other: metrics, engine, control plane,
// replication, forwarding and client sessions. They call one another through late-bound
// closures, so they are built together here, in the order each needs the others.
import type { Agent } from 'node:http';
import { type ControlPlane, createControlPlane } from '../control-plane.ts';
import { createEngine, type Engine } from '../engine.ts';
import { createForwarder, type Forwarder } from '../forwarding.ts';
import { createMetrics, type NodeMetrics } from '../metrics.ts';
import { createShipper, type Shipper } from '../replication.ts';
import { createSessions, type Sessions } from '../sessions.ts';
import type { Storage } from '../storage.ts';
import { type NodeConfig, type NodeIdentity, type NodeTimings, resolveSessionLimits } from './config.ts';

export interface NodeParts {
  metrics: NodeMetrics;
  engine: Engine;
  controlPlane: ControlPlane;
  shipper: Shipper;
  forwarder: Forwarder;
  sessions: Sessions;
}

export interface PartsInput {
  cfg: NodeConfig;
  id: NodeIdentity;
  timings: NodeTimings;
  storage: Storage;
  agent: Agent;
  /** The node's own URL, known once its server listens. */
  advertisedUrl(): string;
}

export function createNodeParts(input: PartsInput): NodeParts {
  const { cfg, id, timings, storage, agent } = input;
  const { myId, incarnation, key } = id;
  const { clock, logger: log } = cfg;
  const { peerTimeoutMs } = timings;

  const metrics = createMetrics(
    { region: cfg.region, node: cfg.node },
    {
      leaseValid: () => controlPlane.leaseValid(),
      clockOffsetMs: () => clock.offsetMs(),
      homedConversations: () => engine.stats().homed,
      replicationLag: () => shipper.lag(),
      unreadBytes: () => sessions.unreadBytes(),
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
    pushToMembers: (members, text, onSent) => sessions.pushToMembers(members, text, onSent),
    tracing: cfg.tracing ?? null,
  });

  const controlPlane = createControlPlane({
    nodeId: myId,
    region: cfg.region,
    node: cfg.node,
    advertisedUrl: input.advertisedUrl,
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
    keepaliveMs: timings.keepaliveMs,
    peers: () => controlPlane.peers(),
    source: (conv) => engine.shipSource(conv),
    readEntries: (conv, afterSeq, upToSeq) =>
      engine.withTraceparents(
        conv,
        engine.recentEntries(conv, afterSeq, upToSeq) ?? storage.range(conv, afterSeq, upToSeq),
      ),
    wallNow: () => clock.wallNow(),
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
    limits: resolveSessionLimits(cfg.limits),
    sendTimeoutMs: timings.sendTimeoutMs,
    clock,
    metrics,
    logger: log,
    engine,
  });

  return { metrics, engine, controlPlane, shipper, forwarder, sessions };
}
