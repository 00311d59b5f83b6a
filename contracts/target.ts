// The system under test, as the harness and the load generator see it. The reference server is
// the first implementation (harness/targets/reference.ts); an XMPP target comes next. Nothing
// here names a wire format: a target turns these calls into its own protocol.

import { z } from 'zod';

/** A region's name, as topologies, faults and histories use it. */
export const RegionName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and - only');

/** Everything a session reports, in the order it happened. Times are harness wall-clock ms. */
export type SessionEvent =
  | { type: 'connected'; t: number; region: string; node?: string }
  | { type: 'disconnected'; t: number; region: string; reason: string }
  | { type: 'failover'; t: number; from: string; to: string }
  | { type: 'acked'; t: number; conv: string; cmid: string; seq: number; epoch?: number; level?: string }
  | { type: 'send_failed'; t: number; conv: string; cmid: string; reason: string }
  | { type: 'send_indeterminate'; t: number; conv: string; cmid: string; reason: string }
  | {
      type: 'delivered';
      t: number;
      conv: string;
      cmid: string;
      from: string;
      seq: number;
      via: 'push' | 'sync';
    }
  | { type: 'synced'; t: number; conv: string; afterSeq: number; seq: number }
  | { type: 'reset'; t: number; conv: string; seq: number; reason: string }
  /**
   * The system pushed `seq` on one connection after it had already pushed the higher `afterSeq`
   * there. A client may reorder before delivering, so this is the only trace of a system that
   * applies or pushes out of order.
   */
  | { type: 'out_of_order'; t: number; conv: string; seq: number; afterSeq: number };

export interface ConversationSpec {
  id: string;
  members: string[];
  /** Regions allowed to store the conversation; absent means anywhere. */
  residency?: string[];
}

export interface ConnectOptions {
  user: string;
  /** The user's home region; the target orders its endpoints home first. */
  region: string;
  /** Conversations the user belongs to, so the session can catch up on them after reconnecting. */
  conversations: string[];
  onEvent: (event: SessionEvent) => void;
}

export interface TargetSession {
  /** An id unique within the run, so a user's successive sessions are told apart. */
  readonly id: string;
  /**
   * Sends with a client-chosen id. The outcome arrives as an acked, send_failed or
   * send_indeterminate event; a target resends with the same cmid until one of those.
   */
  send(conv: string, cmid: string, body: string): void;
  /** Gives up on unacked sends (reported as send_indeterminate) and closes. */
  close(): Promise<void>;
}

export interface RegionDigest {
  region: string;
  conv: string;
  count: number;
  lastSeq: number;
  hash: string;
}

export interface RegionLog {
  region: string;
  conv: string;
  messages: { seq: number; cmid: string; from: string }[];
}

/** One message as a history read returns it. */
export interface ApiMessage {
  seq: number;
  cmid: string;
  from: string;
}

/** The answer to an API send, from the region that gave it. */
export type ApiSendOutcome =
  | { outcome: 'acked'; region: string; seq: number; epoch?: number; level?: string }
  /** The system said definitely no: the message must never appear. */
  | { outcome: 'failed'; region: string; reason: string }
  /** The region answered that it cannot take it now: resend the same cmid (here or elsewhere). */
  | { outcome: 'retry'; region: string; reason: string };

/**
 * The answer to a history read: every committed message after `afterSeq` the region gave
 * (all pages), then how the read ended, as a sync would: `synced` (that is everything up to
 * `seq`), `behind` (all the region can vouch for) or `reset` (`afterSeq` is not in the log).
 */
export interface ApiHistory {
  region: string;
  status: 'synced' | 'behind' | 'reset';
  seq: number;
  messages: ApiMessage[];
  reason?: string;
}

/**
 * A request/response door next to the sessions (an HTTP API, say): sends and history reads in IM
 * terms, one region at a time. Each call goes to one region and rejects when that region gives
 * no answer (unreachable, timed out); the load generator chooses where to go next.
 */
export interface MessagingApi {
  send(request: {
    user: string;
    region: string;
    conv: string;
    cmid: string;
    body: string;
  }): Promise<ApiSendOutcome>;
  history(request: { user: string; region: string; conv: string; afterSeq: number }): Promise<ApiHistory>;
}

/** What load/ needs from a target: users, conversations and what each region holds. */
export interface MessagingTarget {
  readonly name: string;
  regions(): string[];
  /**
   * Every user and its home region, before any conversation is created: a target whose accounts
   * live on one server (XMPP) registers them here. Optional; the reference server needs none.
   */
  addUsers?(users: readonly { user: string; region: string }[]): Promise<void>;
  createConversation(spec: ConversationSpec): Promise<void>;
  connect(options: ConnectOptions): TargetSession;
  /** One region's summary of a conversation, for awaiting convergence. */
  digest(region: string, conv: string): Promise<RegionDigest>;
  /** One region's full log of a conversation, for the final reads. */
  readLog(region: string, conv: string): Promise<RegionLog>;
  /**
   * Sends and history reads without a session, for the `api` workload (load/api-storm.ts).
   * Optional: a target without one refuses a workload that asks for it.
   */
  readonly api?: MessagingApi;
}

/** What the harness adds: the system's lifecycle and the region-level cuts faults need. */
export interface SystemUnderTest extends MessagingTarget {
  start(): Promise<void>;
  stop(): Promise<void>;
  stopRegion(region: string): Promise<void>;
  startRegion(region: string): Promise<void>;
  /** Cuts a region off from clients and peers while its processes keep running. */
  cutRegion(region: string): Promise<void>;
  healRegion(region: string): Promise<void>;
}
