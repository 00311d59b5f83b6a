// Client tokens: `base64url(payload).base64url(hmac)`, where payload is `{"u":user,"exp":unixSeconds}`
// and the MAC is HMAC-SHA256 over the encoded payload with the cluster's shared secret. Small,
// stateless and checkable by every node without a round trip.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { UserId } from '../contracts/wire.ts';

/** Default token lifetime: one hour. */
export const DEFAULT_TOKEN_TTL_SECONDS = 3600;

const Payload = z.object({ u: UserId, exp: z.number().int() });

function mac(encodedPayload: string, secret: string): Buffer {
  return createHmac('sha256', secret).update(encodedPayload).digest();
}

export interface SignTokenOptions {
  user: string;
  secret: string;
  /** Lifetime in seconds; default 3600. */
  ttlSeconds?: number;
  /** Current time in ms since the epoch; default Date.now(). */
  now?: number;
}

export function signToken(opts: SignTokenOptions): string {
  const user = UserId.parse(opts.user);
  if (opts.secret.length === 0) throw new Error('secret: must not be empty');
  const now = opts.now ?? Date.now();
  const exp = Math.floor(now / 1000) + Math.floor(opts.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS);
  const payload = Buffer.from(JSON.stringify({ u: user, exp })).toString('base64url');
  return `${payload}.${mac(payload, opts.secret).toString('base64url')}`;
}

/** The token's user, or null when it is malformed, badly signed or expired. */
export function verifyToken(
  token: string,
  secret: string,
  now: number = Date.now(),
): { user: string } | null {
  if (secret.length === 0 || token.length > 4096) return null;
  const dot = token.indexOf('.');
  if (dot <= 0 || dot !== token.lastIndexOf('.')) return null;
  const payload = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), 'base64url');
  const expected = mac(payload, secret);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  const parsed = Payload.safeParse(decoded);
  if (!parsed.success) return null;
  if (parsed.data.exp * 1000 <= now) return null;
  return { user: parsed.data.u };
}

/**
 * The shared credential nodes present to each other and to the directory (header
 * `x-chatquake-peer`): derived from the cluster secret so no extra flag is needed.
 */
export function peerKey(secret: string): string {
  return createHmac('sha256', secret).update('chatquake-peer-v1').digest('base64url');
}

export const PEER_HEADER = 'x-chatquake-peer';

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * Whether a presented key (a header's value) is `expected`, in a time that tells nothing about
 * either: `===` on strings stops at the first difference, which lets a caller find a key one
 * character at a time. Hashing both first makes the lengths equal, so not even length shows.
 */
export function secretMatches(given: string | string[] | undefined, expected: string): boolean {
  if (typeof given !== 'string') return false;
  return timingSafeEqual(digest(given), digest(expected));
}
