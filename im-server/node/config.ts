// A node's configuration, on its own so that node.ts and the parts it wires (node/) can all
// read it without importing each other.
import type { AckLevel, BugName } from '../../contracts/wire.ts';
import type { Clock } from '../clock.ts';
import type { PeerInfo } from '../control-plane.ts';
import type { Logger } from '../log.ts';

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

/** Who this node process is: its id, this run's incarnation and the peer key it presents. */
export interface NodeIdentity {
  myId: string;
  incarnation: string;
  key: string;
}

/** Timing, all derived from the lease so `--lease-ms` scales the whole failure detector. */
export interface NodeTimings {
  peerTimeoutMs: number;
  keepaliveMs: number;
  sendTimeoutMs: number;
}

export function nodeTimings(leaseMs: number): NodeTimings {
  return {
    peerTimeoutMs: Math.min(5000, Math.max(1000, leaseMs)),
    keepaliveMs: Math.max(50, Math.floor(leaseMs / 4)),
    sendTimeoutMs: Math.max(5000, 2 * leaseMs + 1000),
  };
}
