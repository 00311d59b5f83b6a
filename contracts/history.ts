// The history: what a run records and what every checker reads. It is the contract between
// the load generator (which appends events as JSON lines) and the pure checkers. It names
// users, conversations, client message ids and regions, never a server's wire format, so
// any target system can produce it.
//
// Times (`t`, `intendedAt`) are wall-clock milliseconds since the Unix epoch, as floats, taken
// on the harness's own clock (never a server's, which a clock-skew fault may move).
import { z } from 'zod';

const str = z.string().min(1);
const ms = z.number().finite();

/** The run's static facts, written first. */
export const RunStartEvent = z.object({
  type: z.literal('run_start'),
  t: ms,
  runId: str,
  scenario: str,
  seed: z.number().int(),
  regions: z.array(str).min(1),
  /** Replication ack level the target promised for `acked` events ("replicated" or "stored"). */
  ackLevel: z.string().optional(),
});

/** A conversation the workload created; residency lists the only regions allowed to hold it. */
export const ConversationEvent = z.object({
  type: z.literal('conversation'),
  t: ms,
  conv: str,
  members: z.array(str).min(1),
  residency: z.array(str).optional(),
});

/** A virtual user and its home region (first endpoint it connects to). */
export const UserEvent = z.object({
  type: z.literal('user'),
  t: ms,
  user: str,
  region: str,
});

/** The client SDK was asked to send. `intendedAt` is the open-model schedule time. */
export const SendEvent = z.object({
  type: z.literal('send'),
  t: ms,
  intendedAt: ms,
  user: str,
  conv: str,
  cmid: str,
  region: z.string().optional(),
});

/** The system acknowledged a send. */
export const AckEvent = z.object({
  type: z.literal('ack'),
  t: ms,
  user: str,
  conv: str,
  cmid: str,
  seq: z.number().int(),
  epoch: z.number().int().optional(),
  level: z.string().optional(),
  region: z.string().optional(),
});

/** The system said definitely no: the message must never appear. */
export const SendFailedEvent = z.object({
  type: z.literal('send_failed'),
  t: ms,
  user: str,
  conv: str,
  cmid: str,
  reason: z.string(),
});

/** No answer either way before the client gave up: the message may or may not appear. */
export const SendIndeterminateEvent = z.object({
  type: z.literal('send_indeterminate'),
  t: ms,
  user: str,
  conv: str,
  cmid: str,
  reason: z.string(),
});

/** A session of `user` received a message, by live push or by a sync after reconnecting. */
export const DeliverEvent = z.object({
  type: z.literal('deliver'),
  t: ms,
  user: str,
  session: str,
  conv: str,
  cmid: str,
  from: str,
  seq: z.number().int(),
  via: z.enum(['push', 'sync']),
  region: z.string().optional(),
});

export const ConnUpEvent = z.object({
  type: z.literal('conn_up'),
  t: ms,
  user: str,
  session: str,
  region: str,
  node: z.string().optional(),
});

export const ConnDownEvent = z.object({
  type: z.literal('conn_down'),
  t: ms,
  user: str,
  session: str,
  region: str,
  reason: z.string(),
});

/** The client moved to another region's endpoint. */
export const FailoverEvent = z.object({
  type: z.literal('failover'),
  t: ms,
  user: str,
  session: str,
  from: str,
  to: str,
});

/** The system told the client its history could not be continued from where it was. */
export const ResetEvent = z.object({
  type: z.literal('reset'),
  t: ms,
  user: str,
  session: str,
  conv: str,
  seq: z.number().int(),
  reason: z.string(),
});

/** The client asked to catch up after `afterSeq` and the system said it was done at `seq`. */
export const SyncedEvent = z.object({
  type: z.literal('synced'),
  t: ms,
  user: str,
  session: str,
  conv: str,
  afterSeq: z.number().int(),
  seq: z.number().int(),
});

/** The system pushed `seq` to a session after it had pushed the higher `afterSeq` on the same connection. */
export const OutOfOrderEvent = z.object({
  type: z.literal('out_of_order'),
  t: ms,
  user: str,
  session: str,
  conv: str,
  seq: z.number().int(),
  afterSeq: z.number().int(),
});

export const FaultStartEvent = z.object({
  type: z.literal('fault_start'),
  t: ms,
  faultId: str,
  kind: str,
  target: z.string(),
  /** Regions the fault touches, so checkers can tell which users it affected. */
  regions: z.array(str).default([]),
});

export const FaultStopEvent = z.object({
  type: z.literal('fault_stop'),
  t: ms,
  faultId: str,
});

/** Load generation phase marks (load start, load stop, heal, final reads). */
export const PhaseEvent = z.object({
  type: z.literal('phase'),
  t: ms,
  name: z.enum(['load_start', 'load_stop', 'healed', 'converged', 'final_reads']),
});

/** One poll of one region's digest of one conversation, while awaiting convergence. */
export const DigestEvent = z.object({
  type: z.literal('digest'),
  t: ms,
  region: str,
  conv: str,
  count: z.number().int(),
  lastSeq: z.number().int(),
  hash: z.string(),
});

/** A region's final log of a conversation, in seq order, read after convergence. */
export const FinalReadEvent = z.object({
  type: z.literal('final_read'),
  t: ms,
  region: str,
  conv: str,
  ok: z.boolean(),
  error: z.string().optional(),
  messages: z.array(z.object({ seq: z.number().int(), cmid: str, from: str })),
});

/** The generator's own health; `ok: false` marks the run invalid. */
export const HealthEvent = z.object({
  type: z.literal('health'),
  t: ms,
  sendLagP99Ms: z.number(),
  sendLagMaxMs: z.number(),
  eventLoopDelayP99Ms: z.number(),
  ok: z.boolean(),
  reason: z.string().optional(),
});

export const RunEndEvent = z.object({
  type: z.literal('run_end'),
  t: ms,
  reason: z.string().optional(),
});

export const HistoryEvent = z.discriminatedUnion('type', [
  RunStartEvent,
  ConversationEvent,
  UserEvent,
  SendEvent,
  AckEvent,
  SendFailedEvent,
  SendIndeterminateEvent,
  DeliverEvent,
  ConnUpEvent,
  ConnDownEvent,
  FailoverEvent,
  ResetEvent,
  SyncedEvent,
  OutOfOrderEvent,
  FaultStartEvent,
  FaultStopEvent,
  PhaseEvent,
  DigestEvent,
  FinalReadEvent,
  HealthEvent,
  RunEndEvent,
]);

export type HistoryEvent = z.infer<typeof HistoryEvent>;
export type HistoryEventType = HistoryEvent['type'];
export type EventOf<T extends HistoryEventType> = Extract<HistoryEvent, { type: T }>;
