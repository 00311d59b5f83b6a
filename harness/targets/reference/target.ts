// The reference IM server as a MessagingTarget: sessions are client SDK instances, conversations
// and region reads go to the nodes' admin HTTP API. This is the only module that knows both
// load/'s target interface and the reference server's wire and admin formats.
//
// `options.regions` is read on every call, not copied, so a topology that adds a node can append
// its URLs to the region's arrays and later sessions and reads will use them.

import { createHash } from 'node:crypto';
import { z } from 'zod';
import { type ClientEvent, type ClientOptions, createClient } from '../../../client/index.ts';
import { describeIssues } from '../../../contracts/errors.ts';
import type {
  ConnectOptions,
  ConversationSpec,
  MessagingTarget,
  RegionDigest,
  RegionLog,
  SessionEvent,
  TargetSession,
} from '../../../contracts/target.ts';
import { ConversationDigest, ConversationLogEntry, CreateConversationBody } from '../../../contracts/wire.ts';
import { signToken } from '../../../im-server/index.ts';
import { createAdminHttp } from './admin-http.ts';
import { apiBaseOf, createReferenceApi } from './api.ts';

/** The virtual users' tracing (on when OTEL_* asks for it; docs/METRICS.md#traces). */
export { startClientTracing } from '../../../client/index.ts';
export { TargetUnavailableError } from './admin-http.ts';

export interface ReferenceRegion {
  name: string;
  /** ws:// URLs clients connect to (client→node edges, possibly through a fault proxy). */
  endpoints: string[];
  /** http:// base URLs of the region's nodes, for the admin API. */
  adminUrls: string[];
}

export interface ReferenceTargetOptions {
  regions: ReferenceRegion[];
  /** The cluster's token secret; sessions sign their own tokens with it. */
  secret: string;
  adminToken: string;
  /**
   * Options every session's client starts from (user, token, endpoints and conversations are
   * the adapter's). An `onEvent` here sees every client event, including `sent` and `error`,
   * before the session's own listener sees the SessionEvent subset.
   */
  clientDefaults?: Partial<ClientOptions>;
  /** Jitter source for clients that clientDefaults gives none; default Math.random. */
  random?: () => number;
  /** Per admin request; default 3000. */
  requestTimeoutMs?: number;
  /** Token lifetime for sessions; default 24 h, longer than any run. */
  tokenTtlSeconds?: number;
  /** Per HTTP message API request (the `api` capability); default 10000, above a node's send timeout. */
  apiTimeoutMs?: number;
}

/** The SessionEvent a client event stands for, or undefined for the client's own extras. */
export function toSessionEvent(event: ClientEvent): SessionEvent | undefined {
  if (event.type === 'sent' || event.type === 'error') return undefined;
  return event;
}

const DigestBody = ConversationDigest;
/** The reference server's digest hash is sha256 over `cmid\n` per message; this is it for none. */
const EMPTY_LOG_HASH = createHash('sha256').digest('hex');
const LogBody = z.object({
  conv: z.string(),
  region: z.string(),
  node: z.string(),
  messages: z.array(ConversationLogEntry),
});

export function createReferenceTarget(options: ReferenceTargetOptions): MessagingTarget {
  const requestTimeoutMs = options.requestTimeoutMs ?? 3000;
  const tokenTtlSeconds = options.tokenTtlSeconds ?? 86_400;
  if (options.regions.length === 0) throw new RangeError('regions: at least one region is required');
  const sessionCounts = new Map<string, number>();
  const { firstAnswer, errorText } = createAdminHttp({ adminToken: options.adminToken, requestTimeoutMs });

  function region(name: string): ReferenceRegion {
    const found = options.regions.find((r) => r.name === name);
    if (found === undefined) {
      throw new RangeError(`region "${name}" is not one of ${options.regions.map((r) => r.name).join(', ')}`);
    }
    return found;
  }

  function sameSpec(a: CreateConversationBody, b: unknown): boolean {
    const parsed = CreateConversationBody.safeParse(b);
    if (!parsed.success) return false;
    const sorted = (xs: string[] | undefined) => (xs === undefined ? undefined : [...xs].sort().join(','));
    return (
      parsed.data.id === a.id &&
      sorted(parsed.data.members) === sorted(a.members) &&
      sorted(parsed.data.residency) === sorted(a.residency)
    );
  }

  function endpointsFor(home: string): { region: string; url: string }[] {
    const homeRegion = region(home);
    const ordered = [homeRegion, ...options.regions.filter((r) => r.name !== home)];
    return ordered.flatMap((r) => r.endpoints.map((url) => ({ region: r.name, url })));
  }

  const api = createReferenceApi({
    baseUrls: (name) => region(name).endpoints.map(apiBaseOf),
    secret: options.secret,
    tokenTtlSeconds,
    requestTimeoutMs: options.apiTimeoutMs ?? 10_000,
  });

  return {
    name: 'reference',
    api,

    regions() {
      return options.regions.map((r) => r.name);
    },

    async createConversation(spec: ConversationSpec) {
      const checked = CreateConversationBody.safeParse({
        id: spec.id,
        members: spec.members,
        ...(spec.residency === undefined ? {} : { residency: spec.residency }),
      });
      if (!checked.success) throw new RangeError(`conversation ${spec.id}: ${describeIssues(checked.error)}`);
      const body = checked.data;
      // A resident conversation is created where it may live; otherwise anywhere, in region order.
      const allowed = body.residency;
      const regions =
        allowed === undefined
          ? options.regions
          : [
              ...options.regions.filter((r) => allowed.includes(r.name)),
              ...options.regions.filter((r) => !allowed.includes(r.name)),
            ];
      const answer = await firstAnswer(
        regions.flatMap((r) => r.adminUrls),
        'POST',
        '/admin/conversations',
        body,
      );
      if (answer.status === 200 || answer.status === 201) return;
      if (answer.status === 409) {
        // An earlier attempt that timed out may have created it; only an identical spec is ours.
        const existing =
          typeof answer.body === 'object' && answer.body !== null && 'conversation' in answer.body
            ? answer.body.conversation
            : answer.body;
        if (sameSpec(body, existing)) return;
        throw new Error(`conversation ${spec.id} already exists with another spec: ${errorText(answer)}`);
      }
      throw new Error(`conversation ${spec.id}: HTTP ${answer.status} ${errorText(answer)}`);
    },

    connect(connectOptions: ConnectOptions): TargetSession {
      const { user, onEvent } = connectOptions;
      const n = (sessionCounts.get(user) ?? 0) + 1;
      sessionCounts.set(user, n);
      const defaults = options.clientDefaults ?? {};
      const tap = defaults.onEvent;
      const client = createClient({
        ...defaults,
        ...(defaults.random === undefined && options.random !== undefined ? { random: options.random } : {}),
        user,
        // A function, so every reconnect signs a fresh token.
        token: () => signToken({ user, secret: options.secret, ttlSeconds: tokenTtlSeconds }),
        endpoints: endpointsFor(connectOptions.region),
        conversations: connectOptions.conversations,
        onEvent: (event) => {
          tap?.(event);
          const sessionEvent = toSessionEvent(event);
          if (sessionEvent !== undefined) onEvent(sessionEvent);
        },
      });
      client.start();
      return {
        id: `${user}#${n}`,
        send: (conv, cmid, body) => client.send(conv, cmid, body),
        close: () => client.close(),
      };
    },

    async digest(regionName: string, conv: string): Promise<RegionDigest> {
      const path = `/admin/conversations/${encodeURIComponent(conv)}/digest`;
      const answer = await firstAnswer(region(regionName).adminUrls, 'GET', path);
      // No such conversation: the region holds nothing, digested as the server digests an empty log.
      if (answer.status === 404)
        return { region: regionName, conv, count: 0, lastSeq: 0, hash: EMPTY_LOG_HASH };
      if (answer.status !== 200)
        throw new Error(`digest ${regionName}/${conv}: HTTP ${answer.status} ${errorText(answer)}`);
      const parsed = DigestBody.safeParse(answer.body);
      if (!parsed.success) throw new Error(`digest ${regionName}/${conv}: ${describeIssues(parsed.error)}`);
      const d = parsed.data;
      return { region: regionName, conv, count: d.count, lastSeq: d.lastSeq, hash: d.hash };
    },

    async readLog(regionName: string, conv: string): Promise<RegionLog> {
      const path = `/admin/conversations/${encodeURIComponent(conv)}/log`;
      const answer = await firstAnswer(region(regionName).adminUrls, 'GET', path);
      if (answer.status === 404) return { region: regionName, conv, messages: [] };
      if (answer.status !== 200)
        throw new Error(`log ${regionName}/${conv}: HTTP ${answer.status} ${errorText(answer)}`);
      const parsed = LogBody.safeParse(answer.body);
      if (!parsed.success) throw new Error(`log ${regionName}/${conv}: ${describeIssues(parsed.error)}`);
      return {
        region: regionName,
        conv,
        messages: parsed.data.messages.map((m) => ({ seq: m.seq, cmid: m.cmid, from: m.from })),
      };
    },
  };
}
