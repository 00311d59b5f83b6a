// The reference server's HTTP message API as the target's `api` capability: a send is
// `POST /api/conversations/:id/messages`, a history read pages `GET ...?afterSeq=` until the
// node says there is no more. Requests go to one region's client edges (the same fault proxies
// the WebSocket sessions dial, so a cut region is cut for the API too), first node first.
import { describeIssues } from '../../../contracts/errors.ts';
import type { ApiHistory, ApiMessage, ApiSendOutcome, MessagingApi } from '../../../contracts/target.ts';
import { ApiAck, ApiErrorBody, ApiHistoryPage, MAX_HISTORY_PAGE } from '../../../contracts/wire.ts';
import { signToken } from '../../../im-server/index.ts';

export interface ReferenceApiOptions {
  /** The http:// base URLs of a region's client edges, read on every call. */
  baseUrls(region: string): string[];
  secret: string;
  tokenTtlSeconds: number;
  /** Bound on each HTTP request, ms. */
  requestTimeoutMs: number;
  /** Page size asked for; default MAX_HISTORY_PAGE. */
  pageSize?: number;
  /** Pages one history read may take before it stops (reported `behind`); default 100. */
  maxPages?: number;
}

/** `ws://host:port/ws` → `http://host:port`: the API lives on the same port as the WebSocket. */
export function apiBaseOf(wsUrl: string): string {
  return wsUrl.replace(/^ws(s?):/, 'http$1:').replace(/\/ws$/, '');
}

/** Definite refusals: the node looked at the send and said no; nothing was stored. */
const DEFINITE = new Set([400, 403, 404, 413]);

export function createReferenceApi(options: ReferenceApiOptions): MessagingApi {
  const pageSize = options.pageSize ?? MAX_HISTORY_PAGE;
  const maxPages = options.maxPages ?? 100;
  // Tokens are signed once per user and reused until a quarter of their lifetime is left.
  const tokens = new Map<string, { token: string; renewAt: number }>();
  const tokenOf = (user: string): string => {
    const now = Date.now();
    const held = tokens.get(user);
    if (held !== undefined && held.renewAt > now) return held.token;
    const token = signToken({ user, secret: options.secret, ttlSeconds: options.tokenTtlSeconds });
    tokens.set(user, { token, renewAt: now + options.tokenTtlSeconds * 750 });
    return token;
  };

  async function request(
    region: string,
    user: string,
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: unknown }> {
    const base = options.baseUrls(region)[0];
    if (base === undefined) throw new Error(`region ${region}: no client endpoint`);
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${tokenOf(user)}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(options.requestTimeoutMs),
    });
    const text = await response.text();
    let parsed: unknown = null;
    try {
      parsed = text.length > 0 ? JSON.parse(text) : null;
    } catch {
      throw new Error(`${base}${path}: HTTP ${response.status}, not JSON`);
    }
    return { status: response.status, body: parsed };
  }

  const errorOf = (body: unknown, status: number): string => {
    const parsed = ApiErrorBody.safeParse(body);
    return parsed.success ? parsed.data.error : `HTTP ${status}`;
  };

  return {
    async send({ user, region, conv, cmid, body }): Promise<ApiSendOutcome> {
      const path = `/api/conversations/${encodeURIComponent(conv)}/messages`;
      const answer = await request(region, user, 'POST', path, { cmid, body });
      if (answer.status === 200) {
        const ack = ApiAck.safeParse(answer.body);
        if (!ack.success) throw new Error(`ack of ${cmid}: ${describeIssues(ack.error)}`);
        const { seq, epoch, level } = ack.data;
        return { outcome: 'acked', region, seq, epoch, level };
      }
      const reason = errorOf(answer.body, answer.status);
      if (DEFINITE.has(answer.status)) return { outcome: 'failed', region, reason };
      return { outcome: 'retry', region, reason: `HTTP ${answer.status}: ${reason}` };
    },

    async history({ user, region, conv, afterSeq }): Promise<ApiHistory> {
      const messages: ApiMessage[] = [];
      let after = afterSeq;
      for (let page = 0; page < maxPages; page++) {
        const path = `/api/conversations/${encodeURIComponent(conv)}/messages?afterSeq=${after}&limit=${pageSize}`;
        const answer = await request(region, user, 'GET', path);
        if (answer.status !== 200)
          throw new Error(`history of ${conv}: ${errorOf(answer.body, answer.status)}`);
        const parsed = ApiHistoryPage.safeParse(answer.body);
        if (!parsed.success) throw new Error(`history of ${conv}: ${describeIssues(parsed.error)}`);
        const p = parsed.data;
        for (const m of p.messages) messages.push({ seq: m.seq, cmid: m.cmid, from: m.from });
        const last = p.messages.at(-1);
        if (!p.more || last === undefined) {
          return {
            region,
            status: p.status,
            seq: p.seq,
            messages,
            ...(p.reason === undefined ? {} : { reason: p.reason }),
          };
        }
        after = last.seq;
      }
      return { region, status: 'behind', seq: after, messages, reason: `stopped after ${maxPages} pages` };
    },
  };
}
