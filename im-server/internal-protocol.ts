// Node↔directory and node↔node messages (plain HTTP + JSON). Clients never see these; they are
// validated at each boundary like client frames are.
import { z } from 'zod';
import {
  ClientMessageId,
  ConversationId,
  ErrorCode,
  MessageBody,
  RegionName,
  TraceParent,
  UserId,
} from '../contracts/wire.ts';

export const NodeId = z
  .string()
  .min(3)
  .max(200)
  .regex(/^[a-z0-9][a-z0-9-]*\/[A-Za-z0-9._-]+$/, 'region/node');

/** The control plane's record of a conversation: who may read it, where it may live, who sequences it. */
export const ConvRecord = z.object({
  id: ConversationId,
  members: z.array(UserId),
  residency: z.array(RegionName).nullable(),
  /** The node that sequences it, or null while a new home is being chosen. */
  home: NodeId.nullable(),
  /** Epoch of the current (or, while home is null, the last) home. */
  epoch: z.number().int().min(0),
  version: z.number().int().min(0),
});
export type ConvRecord = z.infer<typeof ConvRecord>;

// ---- directory ----

export const ElectionReport = z.object({
  conv: ConversationId,
  election: z.string(),
  lastSeq: z.number().int().min(0),
  /** Epoch of the newest home whose log this node's log is known to be a prefix of. */
  logEpoch: z.number().int().min(0),
});
export type ElectionReport = z.infer<typeof ElectionReport>;

export const HeartbeatRequest = z.object({
  nodeId: NodeId,
  region: RegionName,
  node: z.string().min(1),
  url: z.string(),
  incarnation: z.string().min(1),
  sinceVersion: z.number().int().min(0),
  reports: z.array(ElectionReport).default([]),
  /**
   * Other regions this node's replication has reached recently. A home that reaches none of a
   * conversation's other regions cannot commit it, so the directory moves it elsewhere.
   * Absent: unknown (treated as reaching everything).
   */
  reachable: z.array(RegionName).optional(),
});
export type HeartbeatRequest = z.infer<typeof HeartbeatRequest>;

export const DirectoryNode = z.object({
  id: NodeId,
  region: RegionName,
  url: z.string(),
  live: z.boolean(),
});
export type DirectoryNode = z.infer<typeof DirectoryNode>;

export const HeartbeatResponse = z.object({
  granted: z.boolean(),
  leaseMs: z.number().int().min(1),
  directoryId: z.string(),
  /** Changes below this version have all been returned. */
  version: z.number().int().min(0),
  more: z.boolean(),
  changes: z.array(ConvRecord),
  reportRequests: z.array(z.object({ conv: ConversationId, election: z.string() })),
  /** Heartbeat again soon: an election this node takes part in is open, or more changes wait. */
  pollSoon: z.boolean(),
  nodes: z.array(DirectoryNode),
});
export type HeartbeatResponse = z.infer<typeof HeartbeatResponse>;

// ---- node ↔ node ----

export const WireEntry = z.object({
  seq: z.number().int().min(1),
  epoch: z.number().int().min(0),
  from: UserId,
  cmid: ClientMessageId,
  body: z.string(),
  serverTime: z.number(),
  /** A traced message's context as the sender last saw it (never stored; docs/METRICS.md#traces). */
  traceparent: TraceParent.optional(),
});
export type WireEntry = z.infer<typeof WireEntry>;

/** [epoch, first seq written under it], ascending: a compact description of a log's epochs. */
export const EpochStarts = z.array(z.tuple([z.number().int().min(0), z.number().int().min(1)]));
export type EpochStarts = z.infer<typeof EpochStarts>;

export const ForwardItem = z.object({
  conv: ConversationId,
  from: UserId,
  cmid: ClientMessageId,
  // Checked again here, like at the client's node: a body stored must read back identical.
  body: MessageBody,
  /** The client's trace context, when the message is traced. */
  traceparent: TraceParent.optional(),
});
export type ForwardItem = z.infer<typeof ForwardItem>;
export const ForwardRequest = z.object({ from: NodeId, items: z.array(ForwardItem).min(1).max(10_000) });

export const ForwardResult = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('ack'),
    seq: z.number().int().min(1),
    epoch: z.number().int().min(0),
    level: z.enum(['stored', 'replicated']),
    serverTime: z.number(),
  }),
  /** Not sequenced here; try the home named (null: unknown, ask the directory). */
  z.object({ status: z.literal('not_home'), home: NodeId.nullable(), epoch: z.number().int().min(0) }),
  /** Sequenced or maybe sequenced, but not yet acknowledgeable; resend the same item. */
  z.object({ status: z.literal('pending') }),
  z.object({ status: z.literal('error'), code: ErrorCode, message: z.string() }),
]);
export type ForwardResult = z.infer<typeof ForwardResult>;
export const ForwardResponse = z.object({ results: z.array(ForwardResult) });

export const ReplicateItem = z.object({
  conv: ConversationId,
  epoch: z.number().int().min(0),
  lastSeq: z.number().int().min(0),
  commit: z.number().int().min(0),
  epochStarts: EpochStarts,
  entries: z.array(WireEntry),
  /** The receiver is outside the residency set: deliver to local sessions, never store. */
  transient: z.boolean().default(false),
  meta: z.object({ members: z.array(UserId), residency: z.array(RegionName).nullable() }).optional(),
});
export type ReplicateItem = z.infer<typeof ReplicateItem>;

export const ReplicateRequest = z.object({
  from: NodeId,
  incarnation: z.string(),
  /** Increases with every request from this incarnation, so a late duplicate is recognised. */
  rid: z.number().int().min(0),
  /** How long the sender's lease is still valid, in ms (0 when it holds none). */
  authorityMs: z.number().min(0),
  items: z.array(ReplicateItem),
});
export type ReplicateRequest = z.infer<typeof ReplicateRequest>;

export const ReplicateItemResult = z.object({
  conv: ConversationId,
  status: z.enum(['ok', 'gap', 'fenced', 'unknown', 'error']),
  /** ok: everything up to here matches the sender's log. gap/unknown: resend after this. */
  matched: z.number().int().min(0),
  epoch: z.number().int().min(0).optional(),
});
export type ReplicateItemResult = z.infer<typeof ReplicateItemResult>;
export const ReplicateResponse = z.object({ incarnation: z.string(), results: z.array(ReplicateItemResult) });

export const InternalSyncRequest = z.object({
  conv: ConversationId,
  afterSeq: z.number().int().min(0),
  user: UserId,
});
export const InternalSyncResponse = z.object({
  status: z.enum(['synced', 'behind', 'reset', 'not_home', 'error']),
  seq: z.number().int().min(0),
  messages: z.array(WireEntry),
  reason: z.string().optional(),
  code: ErrorCode.optional(),
});
export type InternalSyncResponse = z.infer<typeof InternalSyncResponse>;
