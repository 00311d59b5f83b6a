// The reference target adapter against stand-in nodes: admin calls fall through dead, slow and
// failing nodes to a live one, answers are mapped and validated, and sessions order endpoints
// home first and pass on exactly the SessionEvents.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClientEvent } from '../../client/index.ts';
import type { SessionEvent } from '../../contracts/target.ts';
import { createReferenceTarget, TargetUnavailableError } from '../../harness/targets/reference/target.ts';
import { createRandom } from '../../lib/random.ts';
import { eventLog, sleep } from '../client/events.ts';
import { createFakeStore, startFakeNode } from '../client/fake-im-server.ts';

const ADMIN = 'admin-secret';
const SECRET = 'token-secret';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Mode = 'ok' | 'hang' | 'fail500';

interface FakeAdmin {
  url: string;
  mode: Mode;
  requests: { method: string; path: string; auth: string | undefined; body: unknown }[];
  conversations: Map<string, unknown>;
  digestBody: unknown;
  logBody: unknown;
}

async function fakeAdmin(region: string, node: string): Promise<FakeAdmin> {
  const admin: FakeAdmin = {
    url: '',
    mode: 'ok',
    requests: [],
    conversations: new Map(),
    digestBody: undefined,
    logBody: undefined,
  };
  const hanging = new Set<ServerResponse>();
  const reply = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      raw += chunk;
    });
    req.on('end', () => {
      const path = req.url ?? '';
      admin.requests.push({
        method: req.method ?? '',
        path,
        auth: req.headers.authorization,
        body: raw === '' ? undefined : JSON.parse(raw),
      });
      if (admin.mode === 'hang') {
        hanging.add(res);
        return;
      }
      if (admin.mode === 'fail500') return reply(res, 503, { error: 'draining' });
      if (req.headers.authorization !== `Bearer ${ADMIN}`) return reply(res, 401, { error: 'unauthorized' });
      if (req.method === 'POST' && path === '/admin/conversations') {
        const body = JSON.parse(raw) as { id: string; members?: unknown };
        if (!Array.isArray(body.members)) return reply(res, 400, { error: 'members: required' });
        const existing = admin.conversations.get(body.id);
        if (existing !== undefined) return reply(res, 409, { error: 'exists', conversation: existing });
        admin.conversations.set(body.id, body);
        return reply(res, 201, body);
      }
      const digest = /^\/admin\/conversations\/([^/]+)\/digest$/.exec(path);
      if (req.method === 'GET' && digest !== null) {
        const conv = decodeURIComponent(digest[1]!);
        if (!admin.conversations.has(conv)) return reply(res, 404, { error: 'not_found' });
        return reply(
          res,
          200,
          admin.digestBody ?? { conv, region, node, count: 2, lastSeq: 2, epoch: 1, hash: 'abc' },
        );
      }
      const log = /^\/admin\/conversations\/([^/]+)\/log$/.exec(path);
      if (req.method === 'GET' && log !== null) {
        const conv = decodeURIComponent(log[1]!);
        if (!admin.conversations.has(conv)) return reply(res, 404, { error: 'not_found' });
        return reply(
          res,
          200,
          admin.logBody ?? {
            conv,
            region,
            node,
            messages: [
              { seq: 1, epoch: 1, from: 'alice', cmid: 'a1', serverTime: 1 },
              { seq: 2, epoch: 1, from: 'bob', cmid: 'b1', serverTime: 2 },
            ],
          },
        );
      }
      reply(res, 404, { error: 'no route' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  admin.url = `http://127.0.0.1:${address.port}`;
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return admin;
}

/** An http base URL nothing listens on (a stopped node). */
async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${address.port}`;
}

describe('reference target: admin API', () => {
  it('names itself and lists the regions in order', () => {
    const target = createReferenceTarget({
      regions: [
        { name: 'eu', endpoints: [], adminUrls: [] },
        { name: 'us', endpoints: [], adminUrls: [] },
      ],
      secret: SECRET,
      adminToken: ADMIN,
    });
    expect(target.name).toBe('reference');
    expect(target.regions()).toEqual(['eu', 'us']);
  });

  it('creates a conversation on the first node that answers, skipping a dead, a slow and a failing one', async () => {
    const dead = await deadUrl();
    const slow = await fakeAdmin('eu', 'n2');
    slow.mode = 'hang';
    const failing = await fakeAdmin('eu', 'n3');
    failing.mode = 'fail500';
    const good = await fakeAdmin('us', 'n1');
    const target = createReferenceTarget({
      regions: [
        { name: 'eu', endpoints: [], adminUrls: [dead, slow.url, failing.url] },
        { name: 'us', endpoints: [], adminUrls: [good.url] },
      ],
      secret: SECRET,
      adminToken: ADMIN,
      requestTimeoutMs: 200,
    });
    await target.createConversation({ id: 'room', members: ['alice', 'bob'] });
    expect(slow.requests).toHaveLength(1);
    expect(failing.requests).toHaveLength(1);
    expect(good.requests).toEqual([
      {
        method: 'POST',
        path: '/admin/conversations',
        auth: `Bearer ${ADMIN}`,
        body: { id: 'room', members: ['alice', 'bob'] },
      },
    ]);
  });

  it('counts 409 with an identical spec as success and refuses one with a different spec', async () => {
    const admin = await fakeAdmin('eu', 'n1');
    const target = createReferenceTarget({
      regions: [{ name: 'eu', endpoints: [], adminUrls: [admin.url] }],
      secret: SECRET,
      adminToken: ADMIN,
    });
    await target.createConversation({ id: 'room', members: ['alice', 'bob'], residency: ['eu'] });
    await target.createConversation({ id: 'room', members: ['bob', 'alice'], residency: ['eu'] });
    await expect(target.createConversation({ id: 'room', members: ['alice'] })).rejects.toThrow(
      /already exists with another spec/,
    );
  });

  it('rejects an invalid spec before any request, naming the field', async () => {
    const admin = await fakeAdmin('eu', 'n1');
    const target = createReferenceTarget({
      regions: [{ name: 'eu', endpoints: [], adminUrls: [admin.url] }],
      secret: SECRET,
      adminToken: ADMIN,
    });
    await expect(target.createConversation({ id: 'bad id', members: ['a'] })).rejects.toThrow(/id:/);
    await expect(target.createConversation({ id: 'ok', members: [] })).rejects.toThrow(/members/);
    expect(admin.requests).toHaveLength(0);
  });

  it('creates a resident conversation in a region it may live in', async () => {
    const eu = await fakeAdmin('eu', 'n1');
    const us = await fakeAdmin('us', 'n1');
    const target = createReferenceTarget({
      regions: [
        { name: 'eu', endpoints: [], adminUrls: [eu.url] },
        { name: 'us', endpoints: [], adminUrls: [us.url] },
      ],
      secret: SECRET,
      adminToken: ADMIN,
    });
    await target.createConversation({ id: 'us-only', members: ['a'], residency: ['us'] });
    expect(eu.requests).toHaveLength(0);
    expect(us.requests.map((r) => r.body)).toEqual([{ id: 'us-only', members: ['a'], residency: ['us'] }]);
  });

  it('reads digests and logs from the first node of the region that answers and maps them', async () => {
    const dead = await deadUrl();
    const n2 = await fakeAdmin('eu', 'n2');
    n2.conversations.set('room', {});
    const target = createReferenceTarget({
      regions: [{ name: 'eu', endpoints: [], adminUrls: [dead, n2.url] }],
      secret: SECRET,
      adminToken: ADMIN,
    });
    expect(await target.digest('eu', 'room')).toEqual({
      region: 'eu',
      conv: 'room',
      count: 2,
      lastSeq: 2,
      hash: 'abc',
    });
    expect(await target.readLog('eu', 'room')).toEqual({
      region: 'eu',
      conv: 'room',
      messages: [
        { seq: 1, cmid: 'a1', from: 'alice' },
        { seq: 2, cmid: 'b1', from: 'bob' },
      ],
    });
    expect(n2.requests.map((r) => r.path)).toEqual([
      '/admin/conversations/room/digest',
      '/admin/conversations/room/log',
    ]);
  });

  it('reports a conversation a region does not hold as empty', async () => {
    const admin = await fakeAdmin('eu', 'n1');
    const target = createReferenceTarget({
      regions: [{ name: 'eu', endpoints: [], adminUrls: [admin.url] }],
      secret: SECRET,
      adminToken: ADMIN,
    });
    expect(await target.readLog('eu', 'nowhere')).toEqual({ region: 'eu', conv: 'nowhere', messages: [] });
    expect(await target.digest('eu', 'nowhere')).toMatchObject({ count: 0, lastSeq: 0 });
  });

  it('rejects a malformed answer naming the field, and fails clearly when no node answers', async () => {
    const admin = await fakeAdmin('eu', 'n1');
    admin.conversations.set('room', {});
    admin.digestBody = {
      conv: 'room',
      region: 'eu',
      node: 'n1',
      count: 'two',
      lastSeq: 2,
      epoch: 1,
      hash: 'x',
    };
    const slow = await fakeAdmin('us', 'n1');
    slow.mode = 'hang';
    const target = createReferenceTarget({
      regions: [
        { name: 'eu', endpoints: [], adminUrls: [admin.url] },
        { name: 'us', endpoints: [], adminUrls: [await deadUrl(), slow.url] },
      ],
      secret: SECRET,
      adminToken: ADMIN,
      requestTimeoutMs: 150,
    });
    await expect(target.digest('eu', 'room')).rejects.toThrow(/count/);
    const started = Date.now();
    const failure = await target.readLog('us', 'room').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TargetUnavailableError);
    expect(String(failure)).toMatch(/ECONNREFUSED/);
    expect(String(failure)).toMatch(/no answer within 150 ms/);
    expect(Date.now() - started).toBeLessThan(2000);
    await expect(target.digest('mars', 'room')).rejects.toThrow(/region "mars"/);
  });
});

describe('reference target: sessions', () => {
  it('gives sessions run-unique ids, signs tokens, connects home first and forwards only SessionEvents', async () => {
    const store = createFakeStore();
    const eu = await startFakeNode({ region: 'eu', store, secret: SECRET });
    const us = await startFakeNode({ region: 'us', store, secret: SECRET });
    cleanups.push(() => eu.close());
    cleanups.push(() => us.close());
    const tapped: ClientEvent[] = [];
    const target = createReferenceTarget({
      regions: [
        { name: 'eu', endpoints: [eu.url], adminUrls: [] },
        { name: 'us', endpoints: [us.url], adminUrls: [] },
      ],
      secret: SECRET,
      adminToken: ADMIN,
      random: createRandom(5).next,
      clientDefaults: {
        backoff: { minMs: 10, maxMs: 40 },
        onEvent: (e) => {
          tapped.push(e);
        },
      },
    });
    const aliceLog = eventLog();
    const bobLog = eventLog();
    const events: SessionEvent[] = [];
    const alice = target.connect({
      user: 'alice',
      region: 'us',
      conversations: ['room'],
      onEvent: (e) => {
        events.push(e);
        aliceLog.onEvent(e);
      },
    });
    // The fake nodes share a store but push only to their own sessions, so bob lives in us too.
    const bob = target.connect({
      user: 'bob',
      region: 'us',
      conversations: ['room'],
      onEvent: bobLog.onEvent,
    });
    const alice2 = target.connect({ user: 'alice', region: 'eu', conversations: [], onEvent: () => {} });
    cleanups.push(() => alice.close());
    cleanups.push(() => bob.close());
    cleanups.push(() => alice2.close());
    expect([alice.id, bob.id, alice2.id]).toEqual(['alice#1', 'bob#1', 'alice#2']);
    expect(await aliceLog.waitFor('connected')).toMatchObject({ region: 'us' });
    expect(await bobLog.waitFor('connected')).toMatchObject({ region: 'us' });
    await bobLog.waitFor('synced');
    alice.send('room', 'hello', 'hi');
    const ack = await aliceLog.waitFor('acked');
    expect(ack.seq).toBe(1);
    const delivered = await bobLog.waitFor('delivered');
    expect(delivered).toMatchObject({ cmid: 'hello', from: 'alice', via: 'push' });
    expect(events.some((e) => (e.type as string) === 'sent')).toBe(false);
    expect(tapped.some((e) => e.type === 'sent')).toBe(true);
    // alice's home went away: she fails over to eu, the next region in order.
    await us.stop();
    const failover = await aliceLog.waitFor('failover');
    expect(failover).toMatchObject({ from: 'us', to: 'eu' });
    await alice.close();
    await sleep(20);
    expect(aliceLog.of('disconnected').at(-1)).toMatchObject({ reason: 'client closed' });
  });
});

describe('reference target: against the reference cluster', () => {
  it('creates conversations, runs sessions and reads converged digests and logs from every region', async () => {
    const { startCluster } = await import('../support/cluster.ts');
    const cluster = await startCluster({ regions: ['eu', 'us'], leaseMs: 1000 });
    cleanups.push(() => cluster.stop());
    const dead = await deadUrl();
    const target = createReferenceTarget({
      regions: ['eu', 'us'].map((name) => ({
        name,
        endpoints: [cluster.node(name).wsUrl],
        // A stopped node first: reads must fall through to the live one.
        adminUrls: [dead, cluster.node(name).url],
      })),
      secret: cluster.secret,
      adminToken: cluster.adminToken,
      random: createRandom(9).next,
      clientDefaults: { backoff: { minMs: 20, maxMs: 200 } },
    });
    const spec = { id: 'adapter-room', members: ['alice', 'bob'] };
    await target.createConversation(spec);
    await target.createConversation({ id: 'adapter-room', members: ['bob', 'alice'] });
    await expect(target.createConversation({ id: 'adapter-room', members: ['alice'] })).rejects.toThrow(
      /already exists/,
    );

    const aliceLog = eventLog();
    const bobLog = eventLog();
    const alice = target.connect({
      user: 'alice',
      region: 'eu',
      conversations: [spec.id],
      onEvent: aliceLog.onEvent,
    });
    const bob = target.connect({
      user: 'bob',
      region: 'us',
      conversations: [spec.id],
      onEvent: bobLog.onEvent,
    });
    cleanups.push(() => alice.close());
    cleanups.push(() => bob.close());
    await aliceLog.waitFor('synced', undefined, 20_000);
    await bobLog.waitFor('synced', undefined, 20_000);
    for (let i = 0; i < 5; i++) alice.send(spec.id, `a${i}`, `hello ${i}`);
    bob.send(spec.id, 'b0', 'hi');
    const acks = [...(await aliceLog.waitForCount('acked', 5, undefined, 20_000))];
    acks.push(await bobLog.waitFor('acked', undefined, 20_000));
    await bobLog.waitForCount('delivered', 6, undefined, 20_000);

    const deadline = Date.now() + 20_000;
    let digests = await Promise.all(['eu', 'us'].map((r) => target.digest(r, spec.id)));
    while (Date.now() < deadline && (digests[0]!.hash !== digests[1]!.hash || digests[0]!.count < 6)) {
      await sleep(100);
      digests = await Promise.all(['eu', 'us'].map((r) => target.digest(r, spec.id)));
    }
    expect(digests.map((d) => [d.region, d.conv, d.count, d.lastSeq])).toEqual([
      ['eu', spec.id, 6, 6],
      ['us', spec.id, 6, 6],
    ]);
    expect(digests[0]!.hash).toBe(digests[1]!.hash);
    expect(digests[0]!.hash).toMatch(/^[0-9a-f]{64}$/);

    const log = await target.readLog('us', spec.id);
    expect(log.region).toBe('us');
    expect(log.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    const bySeq = new Map(log.messages.map((m) => [m.seq, m]));
    for (const ack of acks) expect(bySeq.get(ack.seq)?.cmid).toBe(ack.cmid);
    expect(log.messages.find((m) => m.cmid === 'b0')?.from).toBe('bob');

    // A conversation that does not exist reads as empty, hashed like an empty log.
    const none = await target.digest('eu', 'no-such-room');
    expect(none).toMatchObject({ count: 0, lastSeq: 0 });
    expect(await target.readLog('eu', 'no-such-room')).toEqual({
      region: 'eu',
      conv: 'no-such-room',
      messages: [],
    });
  });
});
