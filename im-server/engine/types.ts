// The engine's public shapes: what a node passes in (config, dependencies, the parts wired in
// after it) and what it gets back. They live apart from engine.ts so that the engine's parts
// (engine/*.ts) can name them without importing the module that composes them; engine.ts
// re-exports every one, so the rest of the server keeps importing them from there.

import type { Agent } from 'node:http';
import type {
  AckLevel,
  BugName,
  ConversationDigest,
  ConversationLogEntry,
  ErrorCode,
} from '../../contracts/wire.ts';
import type { Clock } from '../clock.ts';
import type { ControlPlane } from '../control-plane.ts';
import type { Forwarder } from '../forwarding.ts';
import type {
  ConvRecord,
  ForwardItem,
  ForwardResult,
  InternalSyncResponse,
  ReplicateItemResult,
  ReplicateRequest,
  WireEntry,
} from '../internal-protocol.ts';
import type { Logger } from '../log.ts';
import type { NodeMetrics } from '../metrics.ts';
import type { Shipper, ShipSource } from '../replication.ts';
import type { Storage } from '../storage.ts';
import type { NodeTracing } from '../tracing.ts';

export interface EngineConfig {
  region: string;
  node: string;
  incarnation: string;
  ack: AckLevel;
  replicas: number;
  bugs: ReadonlySet<BugName>;
  peerKey: string;
  timings: EngineTimings;
}

/** All derived from the lease (see docs/PROTOCOL.md, Timing defaults). */
export interface EngineTimings {
  peerTimeoutMs: number;
  forwardHoldMs: number;
  syncWaitMs: number;
}

export interface EngineDeps {
  config: EngineConfig;
  storage: Storage;
  clock: Clock;
  metrics: NodeMetrics;
  logger: Logger;
  agent: Agent;
  /** Sends a text frame to every local session of these users; returns how many got it. */
  /** Sends `text` to the members' sessions; `onSent` (traced messages only) hears each recipient. */
  pushToMembers(members: ReadonlySet<string>, text: string, onSent?: (user: string) => void): number;
  /** The node's tracing, or null/absent when off. */
  tracing?: NodeTracing | null;
}

/** Parts created after the engine because they call back into it. */
export interface EngineWiring {
  controlPlane: ControlPlane;
  shipper: Shipper;
  forwarder: Forwarder;
}

export type SendOutcome =
  | { kind: 'ack'; seq: number; epoch: number; level: AckLevel; serverTime: number }
  | { kind: 'error'; code: ErrorCode; message: string }
  | { kind: 'not_home'; home: string | null; epoch: number }
  | { kind: 'pending' };

export type SyncOutcome = InternalSyncResponse;

export interface ConversationView {
  details: Record<string, unknown>;
  digest(): ConversationDigest;
  log(): ConversationLogEntry[];
}

export interface Engine {
  attach(wiring: EngineWiring): void;
  /** A control-plane record arrived (created, moved, election opened). */
  onRecord(rec: ConvRecord): void;
  knownRecord(conv: string): ConvRecord | undefined;
  /** What this node holds of a conversation, for an election. */
  report(conv: string): { lastSeq: number; logEpoch: number };
  /** A client's send, taken to an ack or a definite answer wherever the home is. */
  clientSend(item: ForwardItem, deadline: number): Promise<SendOutcome>;
  /** A client's sync: the answer to send (messages, then synced/behind/reset), or an error. */
  /** Committed messages after `afterSeq`; with `limit`, at most that many are read. */
  clientSync(user: string, conv: string, afterSeq: number, limit?: number): Promise<SyncOutcome>;
  /** A batch forwarded by another node. */
  forwarded(items: ForwardItem[]): Promise<ForwardResult[]>;
  replicate(request: ReplicateRequest): { incarnation: string; results: ReplicateItemResult[] };
  internalSync(conv: string, afterSeq: number, user: string): Promise<SyncOutcome>;
  /** For the admin API: the conversation as this node holds it. */
  conversation(id: string): Promise<ConversationView | 'not_found' | 'unavailable'>;
  shipSource(conv: string): ShipSource | undefined;
  /** Entries to ship from memory, when it holds all of (afterSeq, upToSeq]; else undefined. */
  recentEntries(conv: string, afterSeq: number, upToSeq: number): WireEntry[] | undefined;
  /** Entries read for shipping, traced ones given their trace context back. */
  withTraceparents(conv: string, entries: WireEntry[]): WireEntry[];
  commitMatters(src: ShipSource, region: string): boolean;
  onProgress(conv: string): void;
  onFenced(conv: string, epoch: number): void;
  stats(): { conversations: number; homed: number; maxEpoch: number };
  /** Loads the database; in static mode also takes up the homes it holds. */
  load(staticHomes: boolean): void;
  /** Periodic upkeep: ack deadlines, commit points to disk. */
  tick(): void;
  /** Writes what is pending; no further work is started. */
  close(): void;
}
