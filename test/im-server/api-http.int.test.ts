// The client HTTP message API on real node processes (two regions, through the edge proxies):
// a POST is a send with the WebSocket's idempotency and ack, a GET pages history after a seq,
// and bad input, a missing token and a non-member get the documented 4xx naming the field.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCleanupRegistry } from '../../harness/local/cleanup.ts';
import { type LocalTopology, startLocalTopology } from '../../harness/local/topology.ts';
import { signToken } from '../../im-server/token.ts';

const SECRET = 'api-test-secret';
const ADMIN = 'api-test-admin';

describe('HTTP message API', () => {
  const registry = createCleanupRegistry();
  const runDir = mkdtempSync(join(tmpdir(), 'chatquake-api-'));
  let topology: LocalTopology;
  /** http:// base URLs of each region's edge (what clients dial). */
  const edge = (region: string): string =>
    (topology.regionEndpoints().find((r) => r.name === region)?.endpoints[0] ?? '')
      .replace(/^ws/, 'http')
      .replace(/\/ws$/, '');

  const call = async (
    base: string,
    method: string,
    path: string,
    options: { user?: string; token?: string; body?: unknown } = {},
  ): Promise<{ status: number; body: Record<string, unknown> }> => {
    const token =
      options.token ??
      (options.user === undefined ? undefined : signToken({ user: options.user, secret: SECRET }));
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      signal: AbortSignal.timeout(10_000),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    topology = await startLocalTopology({
      runDir,
      regions: ['eu', 'us'],
      seed: 3,
      secret: SECRET,
      adminToken: ADMIN,
      registry,
    });
    const admin = topology.regionEndpoints()[0]?.adminUrls[0] as string;
    const created = await fetch(`${admin}/admin/conversations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'room', members: ['alice', 'bob'] }),
    });
    expect(created.status).toBe(201);
  }, 60_000);

  afterAll(async () => {
    await registry.run();
    rmSync(runDir, { recursive: true, force: true });
  });

  it('sends with the WebSocket ack, idempotent by cmid, from any region', async () => {
    const path = '/api/conversations/room/messages';
    const first = await call(edge('us'), 'POST', path, {
      user: 'alice',
      body: { cmid: 'c1', body: 'hello' },
    });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ conv: 'room', cmid: 'c1', seq: 1, level: 'replicated' });
    expect(typeof first.body.epoch).toBe('number');
    // The same cmid again, through the other region: the same message, the same seq.
    const again = await call(edge('eu'), 'POST', path, {
      user: 'alice',
      body: { cmid: 'c1', body: 'hello' },
    });
    expect(again.body).toMatchObject({ seq: 1, cmid: 'c1' });
    for (let i = 2; i <= 5; i++) {
      const r = await call(edge('eu'), 'POST', path, { user: 'bob', body: { cmid: `c${i}`, body: `m${i}` } });
      expect(r.body.seq).toBe(i);
    }
  });

  it('pages history after a seq, with a bounded limit', async () => {
    const path = '/api/conversations/room/messages';
    const page = await call(edge('eu'), 'GET', `${path}?afterSeq=1&limit=2`, { user: 'bob' });
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({ conv: 'room', status: 'synced', seq: 5, more: true });
    const messages = page.body.messages as { seq: number; cmid: string; from: string; body: string }[];
    expect(messages.map((m) => m.seq)).toEqual([2, 3]);
    expect(messages[0]).toMatchObject({ cmid: 'c2', from: 'bob', body: 'm2' });
    const rest = await call(edge('us'), 'GET', `${path}?afterSeq=3`, { user: 'alice' });
    expect(rest.body).toMatchObject({ status: 'synced', seq: 5, more: false });
    expect((rest.body.messages as { seq: number }[]).map((m) => m.seq)).toEqual([4, 5]);
    const tooBig = await call(edge('eu'), 'GET', `${path}?limit=5000`, { user: 'bob' });
    expect(tooBig.status).toBe(400);
    expect(tooBig.body.error).toMatch(/^limit: /);
    const badSeq = await call(edge('eu'), 'GET', `${path}?afterSeq=-1`, { user: 'bob' });
    expect(badSeq.status).toBe(400);
    expect(badSeq.body.error).toMatch(/^afterSeq: /);
  });

  it('refuses a missing or bad token (401), a non-member (403), bad bodies (400) naming the field', async () => {
    const path = '/api/conversations/room/messages';
    expect((await call(edge('eu'), 'GET', path)).status).toBe(401);
    expect((await call(edge('eu'), 'GET', path, { token: 'nope.nope' })).status).toBe(401);
    const wrongSecret = signToken({ user: 'alice', secret: 'other' });
    expect(
      (await call(edge('eu'), 'POST', path, { token: wrongSecret, body: { cmid: 'x', body: 'x' } })).status,
    ).toBe(401);
    const stranger = await call(edge('eu'), 'POST', path, {
      user: 'mallory',
      body: { cmid: 'm1', body: 'hi' },
    });
    expect(stranger.status).toBe(403);
    expect(stranger.body.code).toBe('forbidden');
    const strangerRead = await call(edge('us'), 'GET', path, { user: 'mallory' });
    expect(strangerRead.status).toBe(403);
    const noCmid = await call(edge('eu'), 'POST', path, { user: 'alice', body: { body: 'hi' } });
    expect(noCmid.status).toBe(400);
    expect(noCmid.body.error).toMatch(/^cmid: /);
    const badBody = await call(edge('eu'), 'POST', path, { user: 'alice', body: { cmid: 'b1', body: 7 } });
    expect(badBody.body.error).toMatch(/^body: /);
    const missing = await call(edge('eu'), 'GET', '/api/conversations/nowhere/messages', { user: 'alice' });
    expect(missing.status).toBe(404);
    const badId = await call(edge('eu'), 'GET', '/api/conversations/a%20b/messages', { user: 'alice' });
    expect(badId.status).toBe(400);
    expect(badId.body.error).toMatch(/^id: /);
  });
});
