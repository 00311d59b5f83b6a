// Checking what a node sends, fast where it matters: `ack` and `msg` are nearly every frame a
// loaded client receives, and running the zod schema on each cost a load generator more than
// anything else it does per frame (bench/loadgen.ts). For those two types a hand-written check
// tests exactly what contracts/wire.ts's schema tests; anything it does not pass, and every other
// type, goes through the schema, so a frame is accepted or refused as before and a refusal
// names the field the same way. The schema stays the single source of truth; test/client/
// server-frame.test.ts holds the two to the same verdicts.
//
// The same for what the client checks before a send: ids and body, with the schemas' messages.
import { describeIssues } from '../contracts/errors.ts';
import {
  type AckFrame,
  ClientMessageId,
  ConversationId,
  MessageBody,
  type MsgFrame,
  ServerFrame,
} from '../contracts/wire.ts';

/** contracts/wire.ts's `id`: 1 to 128 of these characters. */
const ID = /^[A-Za-z0-9._:@-]{1,128}$/;
/** A UTF-16 code unit of a surrogate pair standing alone, as MessageBody refuses. */
const LONE_SURROGATE = /\p{Surrogate}/u;

const isId = (x: unknown): x is string => typeof x === 'string' && ID.test(x);
const isInt = (x: unknown, min: number): x is number => Number.isSafeInteger(x) && (x as number) >= min;

type Json = Record<string, unknown>;

function fastAck(o: Json): AckFrame | undefined {
  if (
    isId(o.conv) &&
    isId(o.cmid) &&
    isInt(o.epoch, 0) &&
    isInt(o.seq, 1) &&
    (o.level === 'stored' || o.level === 'replicated') &&
    typeof o.serverTime === 'number'
  ) {
    return {
      type: 'ack',
      conv: o.conv,
      cmid: o.cmid,
      epoch: o.epoch,
      seq: o.seq,
      level: o.level,
      serverTime: o.serverTime,
    };
  }
  return undefined;
}

function fastMsg(o: Json): MsgFrame | undefined {
  if (
    isId(o.conv) &&
    isInt(o.epoch, 0) &&
    isInt(o.seq, 1) &&
    isId(o.from) &&
    isId(o.cmid) &&
    typeof o.body === 'string' &&
    typeof o.serverTime === 'number'
  ) {
    return {
      type: 'msg',
      conv: o.conv,
      epoch: o.epoch,
      seq: o.seq,
      from: o.from,
      cmid: o.cmid,
      body: o.body,
      serverTime: o.serverTime,
    };
  }
  return undefined;
}

/** The frame, or why it is not one (as the schema words it). */
export function parseServerFrame(json: unknown): { frame: ServerFrame } | { problem: string } {
  if (typeof json === 'object' && json !== null) {
    const o = json as Json;
    const fast = o.type === 'msg' ? fastMsg(o) : o.type === 'ack' ? fastAck(o) : undefined;
    if (fast !== undefined) return { frame: fast };
  }
  const parsed = ServerFrame.safeParse(json);
  if (!parsed.success) return { problem: describeIssues(parsed.error) };
  return { frame: parsed.data };
}

/** Why a send's conversation, cmid or body would be refused, as the schemas word it; undefined when fine. */
export function sendFieldProblem(conv: string, cmid: string, body: string): string | undefined {
  if (typeof conv !== 'string' || !ID.test(conv)) {
    const check = ConversationId.safeParse(conv);
    if (!check.success) return `conv: ${check.error.issues[0]?.message}`;
  }
  if (typeof cmid !== 'string' || !ID.test(cmid)) {
    const check = ClientMessageId.safeParse(cmid);
    if (!check.success) return `cmid: ${check.error.issues[0]?.message}`;
  }
  if (typeof body !== 'string' || LONE_SURROGATE.test(body)) {
    const check = MessageBody.safeParse(body);
    if (!check.success) return `body: ${check.error.issues[0]?.message}`;
  }
  return undefined;
}
