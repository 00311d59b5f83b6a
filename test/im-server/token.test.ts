import { describe, expect, it } from 'vitest';
import { signToken, verifyToken } from '../../im-server/token.ts';

describe('tokens', () => {
  const now = 1_700_000_000_000;

  it('round-trips the user until expiry', () => {
    const token = signToken({ user: 'alice', secret: 's3', ttlSeconds: 60, now });
    expect(verifyToken(token, 's3', now)).toEqual({ user: 'alice' });
    expect(verifyToken(token, 's3', now + 59_000)).toEqual({ user: 'alice' });
    expect(verifyToken(token, 's3', now + 60_000)).toBeNull();
  });

  it('defaults to one hour', () => {
    const token = signToken({ user: 'alice', secret: 's3', now });
    expect(verifyToken(token, 's3', now + 3_599_000)).not.toBeNull();
    expect(verifyToken(token, 's3', now + 3_600_000)).toBeNull();
  });

  it('refuses another secret, tampering and garbage', () => {
    const token = signToken({ user: 'alice', secret: 's3', now });
    expect(verifyToken(token, 'other', now)).toBeNull();
    const [payload, mac] = token.split('.') as [string, string];
    const forged = Buffer.from(JSON.stringify({ u: 'mallory', exp: 9_999_999_999 })).toString('base64url');
    expect(verifyToken(`${forged}.${mac}`, 's3', now)).toBeNull();
    expect(verifyToken(`${payload}.${mac.slice(0, -2)}`, 's3', now)).toBeNull();
    for (const junk of ['', '.', 'abc', 'a.b.c', `${payload}.`, `.${mac}`])
      expect(verifyToken(junk, 's3', now)).toBeNull();
  });

  it('refuses to sign a bad user id', () => {
    expect(() => signToken({ user: 'a b', secret: 's' })).toThrow();
  });
});
