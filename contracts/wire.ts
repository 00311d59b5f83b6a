// The reference server's wire protocol: JSON text frames over one WebSocket per session.
// These schemas are the single source of truth for the server (validating what clients send)
// and the client SDK (validating what servers send). docs/PROTOCOL.md describes them in prose.
import { z } from 'zod';
import { RegionName } from './target.ts';

export { RegionName };

/** Largest WebSocket frame a node accepts; a bigger one closes the socket with 1009. */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024;
/** Largest message body (UTF-8 bytes); a bigger one is refused with `too_large`. */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024;

/** Client sessions a node holds at once; past it an upgrade is refused with HTTP 503. */
export const DEFAULT_MAX_CONNECTIONS = 10_000;
export const MAX_MAX_CONNECTIONS = 1_000_000;
/** Frames a session may send per second (a burst of as many); past it: `rate_limited`. */
export const DEFAULT_MAX_FRAME_RATE = 1000;
export const MAX_MAX_FRAME_RATE = 1_000_000;
/**
 * Bytes a node may have written to one session that its client has not yet shown it read (by
 * answering a ping sent after them), wherever they wait: in the node, the kernel or the wire.
 * Past it the session is closed as a slow consumer (1013).
 */
export const DEFAULT_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
export const MIN_MAX_BUFFERED_BYTES = 64 * 1024;
export const MAX_MAX_BUFFERED_BYTES = 1024 * 1024 * 1024;
/** The same, summed over all of a node's sessions. */
export const DEFAULT_MAX_BUFFERED_TOTAL_BYTES = 256 * 1024 * 1024;
export const MAX_MAX_BUFFERED_TOTAL_BYTES = 64 * 1024 * 1024 * 1024;

/** WebSocket close codes the server uses besides the standard ones. */
export const CloseCode = {
  /** Token missing, malformed, badly signed or expired. */
  unauthorized: 4401,
  /** The node is shutting down or was fenced; reconnect elsewhere. */
  goingAway: 1001,
  /** Frame larger than the maximum. */
  tooBig: 1009,
  /** A slow consumer: the client left too much unread (read faster, reconnect and sync). */
  slowConsumer: 1013,
} as const;

const id = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._:@-]+$/, 'letters, digits and . _ : @ - only');

export const ConversationId = id;
export const UserId = id;
export const ClientMessageId = id;
export const AckLevel = z.enum(['stored', 'replicated']);
export type AckLevel = z.infer<typeof AckLevel>;

// ---- client → server ----

/** A UTF-16 code unit of a surrogate pair standing alone (the `u` flag keeps pairs whole). */
const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * A message body: any well-formed Unicode text. A lone UTF-16 surrogate (only expressible as a
 * JSON escape such as `\ud800`) has no UTF-8 encoding, so storage would turn it into U+FFFD and
 * the body read back would differ from the one acked: it is refused before the ack instead.
 */
export const MessageBody = z.string().superRefine((body, ctx) => {
  const found = LONE_SURROGATE.exec(body);
  if (found !== null) {
    ctx.addIssue({
      code: 'custom',
      message: `lone UTF-16 surrogate \\u${found[0].charCodeAt(0).toString(16)} at index ${found.index}; a body must be well-formed Unicode`,
    });
  }
});

/**
 * A W3C trace context (`traceparent`, version 00) a traced message carries from the client's
 * send through the nodes that sequence, replicate and deliver it (docs/METRICS.md#traces). Optional
 * everywhere: frames and requests without it are as valid as before.
 */
export const TraceParent = z
  .string()
  // The length stated and no lookahead in the pattern, so fuzzers can generate from the schema.
  .min(55)
  .max(55)
  .regex(/^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/, 'a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>)')
  .refine(
    (tp) => !tp.startsWith('00-00000000000000000000000000000000-') && !tp.includes('-0000000000000000-'),
    'all-zero trace or span id',
  );

export const SendFrame = z.object({
  type: z.literal('send'),
  conv: ConversationId,
  cmid: ClientMessageId,
  body: MessageBody,
  traceparent: TraceParent.optional(),
});

export const SyncFrame = z.object({
  type: z.literal('sync'),
  conv: ConversationId,
  afterSeq: z.number().int().min(0),
});

export const ClientFrame = z.discriminatedUnion('type', [SendFrame, SyncFrame]);
export type SendFrame = z.infer<typeof SendFrame>;
export type SyncFrame = z.infer<typeof SyncFrame>;
export type ClientFrame = z.infer<typeof ClientFrame>;
export const CLIENT_FRAME_TYPES = ['send', 'sync'] as const;

// ---- server → client ----

export const WelcomeFrame = z.object({
  type: z.literal('welcome'),
  user: UserId,
  region: z.string(),
  node: z.string(),
  serverTime: z.number(),
});

export const AckFrame = z.object({
  type: z.literal('ack'),
  conv: ConversationId,
  cmid: ClientMessageId,
  epoch: z.number().int().min(0),
  seq: z.number().int().min(1),
  level: AckLevel,
  serverTime: z.number(),
});

export const MsgFrame = z.object({
  type: z.literal('msg'),
  conv: ConversationId,
  epoch: z.number().int().min(0),
  seq: z.number().int().min(1),
  from: UserId,
  cmid: ClientMessageId,
  body: z.string(),
  serverTime: z.number(),
});

export const SyncedFrame = z.object({
  type: z.literal('synced'),
  conv: ConversationId,
  /** The highest seq this node holds for the conversation, after the frames just sent. */
  seq: z.number().int().min(0),
});

export const BehindFrame = z.object({
  type: z.literal('behind'),
  conv: ConversationId,
  /** What this node has applied; the client asked for more than it can vouch for. */
  seq: z.number().int().min(0),
  reason: z.string().optional(),
});

export const ResetFrame = z.object({
  type: z.literal('reset'),
  conv: ConversationId,
  /** The seq the client should continue from (it must drop local state after it). */
  seq: z.number().int().min(0),
  reason: z.string(),
});

export const ErrorCode = z.enum([
  'bad_frame',
  'unknown_type',
  'invalid_field',
  'too_large',
  'not_found',
  'forbidden',
  'unavailable',
  /** The session sends frames faster than the node's rate limit: nothing happened; resend later. */
  'rate_limited',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorFrame = z.object({
  type: z.literal('error'),
  code: ErrorCode,
  message: z.string(),
  cmid: z.string().optional(),
  conv: z.string().optional(),
});

export const ServerFrame = z.discriminatedUnion('type', [
  WelcomeFrame,
  AckFrame,
  MsgFrame,
  SyncedFrame,
  BehindFrame,
  ResetFrame,
  ErrorFrame,
]);
export type WelcomeFrame = z.infer<typeof WelcomeFrame>;
export type AckFrame = z.infer<typeof AckFrame>;
export type MsgFrame = z.infer<typeof MsgFrame>;
export type SyncedFrame = z.infer<typeof SyncedFrame>;
export type BehindFrame = z.infer<typeof BehindFrame>;
export type ResetFrame = z.infer<typeof ResetFrame>;
export type ErrorFrame = z.infer<typeof ErrorFrame>;
export type ServerFrame = z.infer<typeof ServerFrame>;

// ---- admin HTTP API (Authorization: Bearer ADMIN_TOKEN) ----

export const CreateConversationBody = z.object({
  id: ConversationId,
  members: z.array(UserId).min(1).max(10_000),
  residency: z.array(RegionName).min(1).optional(),
});
export type CreateConversationBody = z.infer<typeof CreateConversationBody>;

export const ConversationDigest = z.object({
  conv: ConversationId,
  region: z.string(),
  node: z.string(),
  /** Messages held. */
  count: z.number().int().min(0),
  lastSeq: z.number().int().min(0),
  epoch: z.number().int().min(0),
  /** sha256 over the cmids in seq order, hex; equal hashes mean equal logs. */
  hash: z.string(),
});
export type ConversationDigest = z.infer<typeof ConversationDigest>;

export const ConversationLogEntry = z.object({
  seq: z.number().int().min(1),
  epoch: z.number().int().min(0),
  from: UserId,
  cmid: ClientMessageId,
  serverTime: z.number(),
});
export type ConversationLogEntry = z.infer<typeof ConversationLogEntry>;

export const ClockOffsetBody = z.object({
  offsetMs: z.number().finite().min(-86_400_000).max(86_400_000),
});
export type ClockOffsetBody = z.infer<typeof ClockOffsetBody>;

/** Bug knobs: each breaks one promise on purpose so the checkers can prove they catch it. */
export const BugName = z.enum(['ack-early', 'no-dedup', 'reorder-apply', 'drop-sync', 'no-fencing']);
export type BugName = z.infer<typeof BugName>;

// ---- client HTTP message API (Authorization: Bearer <user token>; im-server/api-http.ts) ----

/** Messages one history page holds when the request gives no `limit`. */
export const DEFAULT_HISTORY_PAGE = 100;
/** The largest `limit` a history request may ask for. */
export const MAX_HISTORY_PAGE = 1000;

/** `POST /api/conversations/:id/messages`: a send, with the same client-chosen id as a WebSocket send. */
export const ApiSendBody = z.strictObject({
  cmid: ClientMessageId,
  body: MessageBody,
  traceparent: TraceParent.optional(),
});
export type ApiSendBody = z.infer<typeof ApiSendBody>;

/** The answer to an API send: the ack a WebSocket send would get, without the frame type. */
export const ApiAck = AckFrame.omit({ type: true });
export type ApiAck = z.infer<typeof ApiAck>;

/** `GET /api/conversations/:id/messages?afterSeq=&limit=`: the query, as strings coerced. */
export const ApiHistoryQuery = z.strictObject({
  afterSeq: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(MAX_HISTORY_PAGE).default(DEFAULT_HISTORY_PAGE),
});
export type ApiHistoryQuery = z.infer<typeof ApiHistoryQuery>;

/**
 * One page of history: committed messages after `afterSeq`, in seq order, at most `limit`.
 * `status` is what a WebSocket sync would end with (synced, behind or reset) and `seq` its seq;
 * `more` says the page was cut at `limit`: ask again after the last message's seq.
 */
export const ApiHistoryPage = z.object({
  conv: ConversationId,
  region: z.string(),
  node: z.string(),
  status: z.enum(['synced', 'behind', 'reset']),
  seq: z.number().int().min(0),
  more: z.boolean(),
  reason: z.string().optional(),
  messages: z.array(MsgFrame.omit({ type: true, conv: true })),
});
export type ApiHistoryPage = z.infer<typeof ApiHistoryPage>;

/** An API error body: the HTTP status, the protocol's error code and a message naming the field. */
export const ApiErrorBody = z.object({
  error: z.string(),
  status: z.number().int(),
  code: ErrorCode.optional(),
});
export type ApiErrorBody = z.infer<typeof ApiErrorBody>;
