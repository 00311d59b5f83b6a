// Who may do what (issue 12, Security), one case per door, against real processes: tokens with a
// bad signature, a tampered user, an expiry or replayed after it are refused on the upgrade; a
// token speaks for its own user only; a user reads and posts only where it is a member, over
// WebSocket and over HTTP; and every admin and internal endpoint of a node, and the directory's
// API, refuses a request without its key and changes nothing. Most of these held before the
// issue was filed; they stay as pins (each can fail: the check it pins is one line away).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type DirectoryServer, startDirectory } from '../../im-server/directory.ts';
import { createLogger } from '../../im-server/log.ts';
import { PEER_HEADER, peerKey, signToken } from '../../im-server/token.ts';
import { type Cluster, startCluster } from '../support/cluster.ts';
import { connect, type Frame, isAckOrError } from './ws-client.ts';

const NODE = 'solo/n1';
let cluster: Cluster;
let directory: DirectoryServer;
const DIRECTORY_SECRET = 'directory-secret';
const DIRECTORY_ADMIN = 'directory-admin';

beforeAll(async () => {
  cluster = await startCluster({ regions: ['solo'], directory: false });
  for (const [id, members] of [
    ['team', ['alice', 'bob']],
    ['private', ['alice']],
  ] as const) {
    const created = await cluster.admin(NODE, 'POST', '/admin/conversations', { id, members });
    expect(created.status).toBe(201);
  }
  directory = await startDirectory({
    host: '127.0.0.1',
    port: 0,
    secret: DIRECTORY_SECRET,
    adminToken: DIRECTORY_ADMIN,
    logger: createLogger({ component: 'directory' }, 'error'),
  });
});
afterAll(async () => {
  await directory?.close();
  await cluster?.stop();
});

const wsUrl = (): string => cluster.node('solo').wsUrl;
const httpUrl = (): string => cluster.node('solo').url;

function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('error', reject);
  });
}

async function call(
  url: string,
  method: string,
  headers: Record<string, string> = {},
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  return { status: res.status, json: text.length > 0 ? JSON.parse(text) : null };
}

describe('tokens', () => {
  it('refuses a bad signature, a tampered user, an expired token and garbage with 401', async () => {
    const good = cluster.token('alice');
    expect(await upgradeStatus(`${wsUrl()}?token=${good}`)).toBe(101);
    const [payload, mac] = good.split('.') as [string, string];
    const asBob = Buffer.from(JSON.stringify({ u: 'bob', exp: 9_999_999_999 })).toString('base64url');
    const cases: [string, string][] = [
      ['signed with another secret', signToken({ user: 'alice', secret: 'guess' })],
      ['the user changed under the signature', `${asBob}.${mac}`],
      ['the signature cut short', `${payload}.${mac.slice(0, 20)}`],
      ['a signature of another token', `${payload}.${cluster.token('bob').split('.')[1]}`],
      [
        'expired',
        signToken({ user: 'alice', secret: cluster.secret, ttlSeconds: 60, now: Date.now() - 61_000 }),
      ],
      ['not a token', 'x'.repeat(5000)],
    ];
    for (const [what, token] of cases) {
      expect(await upgradeStatus(`${wsUrl()}?token=${encodeURIComponent(token)}`), what).toBe(401);
      expect(await upgradeStatus(wsUrl(), { authorization: `Bearer ${token}` }), what).toBe(401);
    }
  });

  it('refuses a token replayed after its expiry on the node’s own clock', async () => {
    const token = signToken({ user: 'alice', secret: cluster.secret, ttlSeconds: 120 });
    expect(await upgradeStatus(`${wsUrl()}?token=${token}`)).toBe(101);
    const moved = await cluster.admin(NODE, 'POST', '/admin/clock', { offsetMs: 121_000 });
    expect(moved.status).toBe(200);
    try {
      expect(await upgradeStatus(`${wsUrl()}?token=${token}`)).toBe(401);
    } finally {
      await cluster.admin(NODE, 'POST', '/admin/clock', { offsetMs: 0 });
    }
    expect(await upgradeStatus(`${wsUrl()}?token=${token}`)).toBe(101);
  });

  it('speaks for its own user only: a claimed sender in the frame is ignored', async () => {
    const bob = await connect(wsUrl(), cluster.token('bob'));
    const alice = await connect(wsUrl(), cluster.token('alice'));
    bob.send({ type: 'send', conv: 'team', cmid: 'spoof-1', body: 'hi', from: 'alice', user: 'alice' });
    expect(await bob.waitFor(isAckOrError('spoof-1'))).toMatchObject({ type: 'ack' });
    const pushed = await alice.waitFor((f) => f.type === 'msg' && f.cmid === 'spoof-1');
    expect(pushed.from).toBe('bob');
    // Claiming to be the only member of `private` does not let bob in.
    bob.send({ type: 'send', conv: 'private', cmid: 'spoof-2', body: 'hi', from: 'alice' });
    expect(await bob.waitFor(isAckOrError('spoof-2'))).toMatchObject({ type: 'error', code: 'forbidden' });
    await bob.close();
    await alice.close();
  });
});

describe('membership', () => {
  it('a non-member can neither post, sync nor receive pushes over WebSocket', async () => {
    const alice = await connect(wsUrl(), cluster.token('alice'));
    const mallory = await connect(wsUrl(), cluster.token('mallory'));
    alice.send({ type: 'send', conv: 'private', cmid: 'secret-1', body: 'for alice only' });
    expect(await alice.waitFor(isAckOrError('secret-1'))).toMatchObject({ type: 'ack' });
    mallory.send({ type: 'send', conv: 'private', cmid: 'm-1', body: 'let me in' });
    expect(await mallory.waitFor(isAckOrError('m-1'))).toMatchObject({ code: 'forbidden', conv: 'private' });
    mallory.send({ type: 'sync', conv: 'private', afterSeq: 0 });
    expect(
      await mallory.waitFor((f) => f.type === 'error' && f.cmid === undefined && f.conv === 'private'),
    ).toMatchObject({ code: 'forbidden' });
    alice.send({ type: 'send', conv: 'private', cmid: 'secret-2', body: 'still alice only' });
    await alice.waitFor(isAckOrError('secret-2'));
    // A round trip of mallory's own after alice's push had every chance to arrive.
    mallory.send({ type: 'sync', conv: 'team', afterSeq: 0 });
    await mallory.waitFor((f) => f.type === 'error' && f.conv === 'team');
    const seen = mallory.frames.filter((f: Frame) => f.type === 'msg' || f.type === 'synced');
    expect(seen).toEqual([]);
    expect(JSON.stringify(mallory.frames)).not.toMatch(/alice only/);
    await alice.close();
    await mallory.close();
  });

  it('a non-member gets nothing over HTTP either: user tokens open no admin door, peers are checked', async () => {
    const userToken = cluster.token('alice');
    for (const path of ['/admin/conversations/private', '/admin/conversations/private/log']) {
      expect(
        (await call(`${httpUrl()}${path}`, 'GET', { authorization: `Bearer ${userToken}` })).status,
      ).toBe(401);
    }
    const key = peerKey(cluster.secret);
    const sync = await call(
      `${httpUrl()}/internal/sync`,
      'POST',
      { [PEER_HEADER]: key },
      { conv: 'private', afterSeq: 0, user: 'mallory' },
    );
    expect(sync.status).toBe(200);
    expect(sync.json).toMatchObject({ status: 'error', code: 'forbidden', messages: [] });
    const send = await call(
      `${httpUrl()}/internal/send`,
      'POST',
      { [PEER_HEADER]: key },
      { from: 'solo/n9', items: [{ conv: 'private', from: 'mallory', cmid: 'h-1', body: 'x' }] },
    );
    expect(send.status).toBe(200);
    expect(send.json).toMatchObject({ results: [{ status: 'error', code: 'forbidden' }] });
  });
});

describe('keys', () => {
  it('every admin endpoint of a node refuses a request without the admin token, changing nothing', async () => {
    const routes: [string, string, unknown?][] = [
      ['POST', '/admin/conversations', { id: 'sneaky', members: ['mallory'] }],
      ['GET', '/admin/conversations/private'],
      ['GET', '/admin/conversations/private/digest'],
      ['GET', '/admin/conversations/private/log'],
      ['POST', '/admin/clock', { offsetMs: 3_600_000 }],
      ['GET', '/admin/clock'],
      ['GET', '/admin/anything'],
    ];
    const wrong: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong' },
      { authorization: cluster.adminToken },
    ];
    for (const headers of wrong) {
      for (const [method, path, body] of routes) {
        const res = await call(`${httpUrl()}${path}`, method, headers, body);
        expect(res.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(res.json).toMatchObject({ status: 401, error: expect.any(String) });
      }
    }
    expect((await cluster.admin(NODE, 'GET', '/admin/conversations/sneaky')).status).toBe(404);
    expect((await cluster.admin(NODE, 'GET', '/admin/clock')).body).toMatchObject({ offsetMs: 0 });
  });

  it('every internal endpoint of a node refuses a request without the peer key, changing nothing', async () => {
    const record = {
      id: 'planted',
      members: ['mallory'],
      residency: null,
      home: 'solo/n1',
      epoch: 1,
      version: 1,
    };
    const routes: [string, unknown][] = [
      [
        '/internal/send',
        { from: 'solo/n9', items: [{ conv: 'team', from: 'alice', cmid: 'k-1', body: 'x' }] },
      ],
      ['/internal/replicate', { from: 'solo/n9', incarnation: 'x', rid: 0, authorityMs: 0, items: [] }],
      ['/internal/sync', { conv: 'team', afterSeq: 0, user: 'alice' }],
      ['/internal/conversations', record],
      ['/internal/nothing', {}],
    ];
    const wrong: Record<string, string>[] = [
      {},
      { [PEER_HEADER]: 'guess' },
      { [PEER_HEADER]: cluster.secret },
      { authorization: `Bearer ${cluster.adminToken}` },
    ];
    for (const headers of wrong) {
      for (const [path, body] of routes) {
        const res = await call(`${httpUrl()}${path}`, 'POST', headers, body);
        expect(res.status, `${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(res.json).toMatchObject({ status: 401, error: expect.any(String) });
      }
    }
    expect((await cluster.admin(NODE, 'GET', '/admin/conversations/planted')).status).toBe(404);
    const log = await cluster.admin(NODE, 'GET', '/admin/conversations/team/log');
    expect(JSON.stringify(log.body)).not.toMatch(/k-1/);
  });

  it('the directory refuses its node API without the peer key and its state without the admin token', async () => {
    const heartbeat = {
      nodeId: 'evil/n1',
      region: 'evil',
      node: 'n1',
      url: 'http://127.0.0.1:1',
      incarnation: 'x',
      sinceVersion: 0,
    };
    const routes: [string, string, unknown?][] = [
      ['POST', '/v1/heartbeat', heartbeat],
      ['POST', '/v1/conversations', { id: 'planted', members: ['mallory'] }],
      ['GET', '/v1/conversations/planted'],
    ];
    const noKey: Record<string, string>[] = [
      {},
      { [PEER_HEADER]: 'guess' },
      { [PEER_HEADER]: DIRECTORY_SECRET },
    ];
    for (const headers of noKey) {
      for (const [method, path, body] of routes) {
        const res = await call(`${directory.url}${path}`, method, headers, body);
        expect(res.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(res.json).toMatchObject({ status: 401, error: expect.any(String) });
      }
    }
    const noToken: Record<string, string>[] = [
      {},
      { authorization: 'Bearer guess' },
      { [PEER_HEADER]: peerKey(DIRECTORY_SECRET) },
    ];
    for (const headers of noToken) {
      expect((await call(`${directory.url}/admin/state`, 'GET', headers)).status).toBe(401);
    }
    const state = await call(`${directory.url}/admin/state`, 'GET', {
      authorization: `Bearer ${DIRECTORY_ADMIN}`,
    });
    expect(state.status).toBe(200);
    expect(state.json).toMatchObject({ nodes: [], conversations: [] });
    // With the key the same calls work, so the refusals above were the key's doing.
    const created = await call(
      `${directory.url}/v1/conversations`,
      'POST',
      { [PEER_HEADER]: peerKey(DIRECTORY_SECRET) },
      { id: 'allowed', members: ['alice'] },
    );
    expect(created.status).toBe(201);
  });
});
