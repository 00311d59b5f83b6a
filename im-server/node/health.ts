// What a node says about itself at GET /healthz: identity, mode and ack settings, lease,
// directory catch-up, epochs, conversations, sessions and peers.
import type { NodeConfig, NodeIdentity } from './config.ts';
import type { NodeParts } from './parts.ts';

export function nodeHealth(
  cfg: NodeConfig,
  id: NodeIdentity,
  parts: Pick<NodeParts, 'engine' | 'controlPlane' | 'sessions'>,
): Record<string, unknown> {
  const { engine, controlPlane, sessions } = parts;
  const { clock } = cfg;
  const stats = engine.stats();
  return {
    status: 'ok',
    region: cfg.region,
    node: cfg.node,
    nodeId: id.myId,
    incarnation: id.incarnation,
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
}
