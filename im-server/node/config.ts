// A node's configuration, on its own so that node.ts and the parts it wires (node/) can all
// read it without importing each other.
import { z } from 'zod';
import {
  type AckLevel,
  type BugName,
  DEFAULT_MAX_BUFFERED_BYTES,
  DEFAULT_MAX_BUFFERED_TOTAL_BYTES,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_FRAME_RATE,
  MAX_MAX_BUFFERED_BYTES,
  MAX_MAX_BUFFERED_TOTAL_BYTES,
  MAX_MAX_CONNECTIONS,
  MAX_MAX_FRAME_RATE,
  MIN_MAX_BUFFERED_BYTES,
} from '../../contracts/wire.ts';
import type { Clock } from '../clock.ts';
import type { PeerInfo } from '../control-plane.ts';
import type { Logger } from '../log.ts';
import type { SessionLimits } from '../sessions.ts';
import type { NodeTracing } from '../tracing.ts';

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
  /** What the node allows each client and all of them; defaults in `resolveSessionLimits`. */
  limits?: Partial<SessionLimits>;
  clock: Clock;
  logger: Logger;
  /** Tracing when the OTEL_* environment turned it on (im-server/tracing.ts); absent: off. */
  tracing?: NodeTracing | null;
}

/**
 * The server flags for the client limits, with their defaults and upper bounds, as zod fields
 * so that `chatquake server` validates them like its other flags (docs/PROTOCOL.md, "Limits").
 */
export const LimitFlags = z.object({
  'max-connections': z.coerce.number().int().min(1).max(MAX_MAX_CONNECTIONS).default(DEFAULT_MAX_CONNECTIONS),
  'max-frame-rate': z.coerce.number().int().min(1).max(MAX_MAX_FRAME_RATE).default(DEFAULT_MAX_FRAME_RATE),
  'max-buffered-bytes': z.coerce
    .number()
    .int()
    .min(MIN_MAX_BUFFERED_BYTES)
    .max(MAX_MAX_BUFFERED_BYTES)
    .default(DEFAULT_MAX_BUFFERED_BYTES),
  'max-buffered-total-bytes': z.coerce
    .number()
    .int()
    .min(MIN_MAX_BUFFERED_BYTES)
    .max(MAX_MAX_BUFFERED_TOTAL_BYTES)
    .default(DEFAULT_MAX_BUFFERED_TOTAL_BYTES),
});
export type LimitFlags = z.infer<typeof LimitFlags>;

/** The flags' values as the node's limits. */
export function limitsFromFlags(flags: LimitFlags): SessionLimits {
  return {
    maxConnections: flags['max-connections'],
    maxFrameRate: flags['max-frame-rate'],
    maxBufferedBytes: flags['max-buffered-bytes'],
    maxBufferedTotalBytes: flags['max-buffered-total-bytes'],
  };
}

/** The one place the limits' defaults are merged in. */
export function resolveSessionLimits(given: Partial<SessionLimits> = {}): SessionLimits {
  return { ...limitsFromFlags(LimitFlags.parse({})), ...given };
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
