// The state an engine's parts share, made explicit: the node's config and collaborators, every
// conversation it knows with its progress (Conv), the replication authorities it has heard from,
// the work the periodic tick goes through, and the group commit's pending batch. engine.ts builds
// one per node; each part (engine/*.ts) takes it as its first argument and keeps nothing else.

import type { Agent } from 'node:http';
import type { Clock } from '../clock.ts';
import type { ConvRecord, EpochStarts, WireEntry } from '../internal-protocol.ts';
import type { Logger } from '../log.ts';
import type { NodeMetrics } from '../metrics.ts';
import type { Storage } from '../storage.ts';
import type { NodeTracing } from '../tracing.ts';
import type { EngineConfig, EngineDeps, EngineWiring } from './types.ts';

export interface Waiter {
  seq: number;
  deadline: number;
  resolve(outcome: 'replicated' | 'lost' | 'timeout'): void;
}

export interface Conv {
  rec: ConvRecord;
  members: Set<string>;
  lastSeq: number;
  /** Epoch of the newest home whose log ours is known to be a prefix of (election rank). */
  logEpoch: number;
  epochStarts: EpochStarts;
  /** Home: what is committed. Follower: the home's commit point as last heard. */
  commitSeq: number;
  deliveredSeq: number;
  /** Entries above deliveredSeq not yet pushed to sessions, in seq order. */
  undelivered: WireEntry[];
  /** The epoch this process is sequencing under, or null when it is not the home. */
  homeEpoch: number | null;
  /** Follower: the home's last seq as it last told us. */
  homeLast: number;
  /** Outside the residency set: highest seq pushed to sessions. */
  transientDelivered: number;
  waiters: Waiter[];
  refreshAt: number;
}

/** The newest replicate request heard from a home, and how long its word counts. */
export interface Authority {
  incarnation: string;
  rid: number;
  until: number;
}

export interface PendingAppend {
  c: Conv;
  entry: WireEntry;
}

/** The group commit: what was sequenced in this turn of the event loop and is not yet written. */
export interface PendingAppends {
  batch: PendingAppend[];
  /** By cmidKey, so a resend within the same turn gets the same entry. */
  keys: Map<string, WireEntry>;
  /** Per conversation, the last seq handed out in this batch. */
  last: Map<Conv, number>;
  committed: Promise<void> | null;
  resolve: (() => void) | null;
}

/** Sequence-span traceparents by `conv\0seq`, in two generations (engine/traces.ts). */
export interface RememberedTraces {
  current: Map<string, string>;
  previous: Map<string, string>;
}

export interface EngineState {
  cfg: EngineConfig;
  myId: string;
  storage: Storage;
  clock: Clock;
  metrics: NodeMetrics;
  log: Logger;
  agent: Agent;
  pushToMembers: EngineDeps['pushToMembers'];
  /** Set by attach() before the node starts; every use happens after that. */
  wiring: EngineWiring;
  convs: Map<string, Conv>;
  authorities: Map<string, Authority>;
  /** Conversations the directory said do not exist, until when (monotonic ms) to believe it. */
  notFound: Map<string, number>;
  waitingConvs: Set<Conv>;
  commitDirty: Set<Conv>;
  appends: PendingAppends;
  closing: boolean;
  /** Null unless OTEL_* turned tracing on: the one check the message path makes. */
  tracing: NodeTracing | null;
  /** Traced entries' sequence-span traceparents by conversation and seq (engine/traces.ts). */
  traceparents: RememberedTraces;
}

export function createState(deps: EngineDeps): EngineState {
  const cfg = deps.config;
  return {
    cfg,
    myId: `${cfg.region}/${cfg.node}`,
    storage: deps.storage,
    clock: deps.clock,
    metrics: deps.metrics,
    log: deps.logger,
    agent: deps.agent,
    pushToMembers: deps.pushToMembers,
    wiring: {} as EngineWiring,
    convs: new Map(),
    authorities: new Map(),
    notFound: new Map(),
    waitingConvs: new Set(),
    commitDirty: new Set(),
    appends: { batch: [], keys: new Map(), last: new Map(), committed: null, resolve: null },
    closing: false,
    tracing: deps.tracing ?? null,
    traceparents: { current: new Map(), previous: new Map() },
  };
}

export const newConv = (rec: ConvRecord): Conv => ({
  rec: { ...rec },
  members: new Set(rec.members),
  lastSeq: 0,
  logEpoch: 0,
  epochStarts: [],
  commitSeq: 0,
  deliveredSeq: 0,
  undelivered: [],
  homeEpoch: null,
  homeLast: 0,
  transientDelivered: 0,
  waiters: [],
  refreshAt: 0,
});

export const mono = (s: EngineState): number => s.clock.monoNow();
