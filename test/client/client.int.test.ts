// The client against fake nodes on loopback: reconnect, failover, the outbox, sync and the
// error paths. The fakes answer instantly, so every wait here is bounded by the client's own
// (shortened) timeouts, not by a server.
import { afterEach, describe, expect, it } from 'vitest';
import { type ClientOptions, createClient, type ImClient } from '../../client/index.ts';
import { createRandom } from '../../lib/random.ts';
import { type EventLog, eventLog, sleep } from './events.ts';
import {
  type BlackholeProxy,
  createFakeStore,
  type FakeNode,
  type FakeStore,
  startBlackholeProxy,
  startFakeNode,
  startSilentServer,
} from './fake-im-server.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function node(region: string, store: FakeStore, name = 'n1'): Promise<FakeNode> {
  const fake = await startFakeNode({ region, node: name, store });
  cleanups.push(() => fake.close());
  return fake;
}

/** A store shared by two nodes: home in eu (started first) and the other in us. */
async function twoRegions(): Promise<{ store: FakeStore; home: FakeNode; other: FakeNode }> {
  const store = createFakeStore();
  const home = await node('eu', store);
  const other = await node('us', store);
  return { store, home, other };
}

/**
 * twoRegions() with home reached through a proxy that can be told to swallow everything: the
 * endpoints a client uses (eu through the proxy, then us), the proxy, and the nodes and store.
 */
async function proxiedHome(): Promise<{
  store: FakeStore;
  home: FakeNode;
  other: FakeNode;
  proxy: BlackholeProxy;
  endpoints: { region: string; url: string }[];
}> {
  const { store, home, other } = await twoRegions();
  const proxy = await startBlackholeProxy(home.port);
  cleanups.push(() => proxy.close());
  return { store, home, other, proxy, endpoints: [{ region: 'eu', url: proxy.url }, other] };
}

function client(
  user: string,
  nodes: { region: string; url: string }[],
  overrides: Partial<ClientOptions> = {},
): { client: ImClient; log: EventLog } {
  const log = eventLog();
  const c = createClient({
    user,
    token: `token-${user}`,
    endpoints: nodes.map((n) => ({ region: n.region, url: n.url })),
    backoff: { minMs: 10, maxMs: 50 },
    ackTimeoutMs: 300,
    gapWaitMs: 50,
    connectTimeoutMs: 500,
    random: createRandom(`client-${user}`).next,
    onEvent: log.onEvent,
    ...overrides,
  });
  cleanups.push(() => c.close());
  return { client: c, log };
}

/** bob, following room on a single eu node, has synced and then received a1…a3 (seqs 1–3) by push. */
async function bobReceivedThree(): Promise<{ store: FakeStore; home: FakeNode; c: ImClient; log: EventLog }> {
  const store = createFakeStore();
  const home = await node('eu', store);
  const { client: c, log } = client('bob', [home], { conversations: ['room'] });
  c.start();
  await log.waitFor('synced');
  for (let i = 1; i <= 3; i++) home.push('room', store.append('room', 'alice', `a${i}`, 'x').message);
  await log.waitForCount('delivered', 3);
  return { store, home, c, log };
}

describe('client against fake nodes', () => {
  it('connects to the home endpoint, sends, and gets exactly one ack per message', async () => {
    const store = createFakeStore();
    const home = await node('eu', store);
    const { client: c, log } = client('alice', [home]);
    c.start();
    const connected = await log.waitFor('connected');
    expect(connected).toMatchObject({ region: 'eu', node: 'n1' });
    expect(c.connected).toBe(true);
    expect(c.region).toBe('eu');
    c.send('room', 'm1', 'hello');
    c.send('room', 'm2', 'again');
    const acks = await log.waitForCount('acked', 2);
    expect(acks.map((a) => [a.cmid, a.seq, a.level])).toEqual([
      ['m1', 1, 'replicated'],
      ['m2', 2, 'replicated'],
    ]);
    expect(log.of('sent').map((s) => [s.cmid, s.attempt, s.region])).toEqual([
      ['m1', 1, 'eu'],
      ['m2', 1, 'eu'],
    ]);
    // The node echoes to the sender, so the sender sees its own messages delivered by push.
    await log.waitForCount('delivered', 2);
    expect(log.of('delivered').map((d) => [d.seq, d.via])).toEqual([
      [1, 'push'],
      [2, 'push'],
    ]);
    expect(c.lastSeq('room')).toBe(2);
  });

  it('keeps sends made while no endpoint answers and sends them once one does', async () => {
    const store = createFakeStore();
    const home = await node('eu', store);
    home.refuseWith = 503;
    const { client: c, log } = client('alice', [home], { backoff: { minMs: 20, maxMs: 40 } });
    c.start();
    c.send('room', 'early-1', 'a');
    c.send('room', 'early-2', 'b');
    await sleep(200);
    expect(home.upgrades).toBeGreaterThanOrEqual(3);
    expect(log.of('sent')).toHaveLength(0);
    home.refuseWith = undefined;
    const acks = await log.waitForCount('acked', 2);
    expect(acks.map((a) => a.cmid)).toEqual(['early-1', 'early-2']);
    expect(store.after('room', 0).map((m) => m.cmid)).toEqual(['early-1', 'early-2']);
  });

  it('resends an unacked message after the ack timeout with the same cmid and reports one ack', async () => {
    const store = createFakeStore();
    const home = await node('eu', store);
    const { client: c, log } = client('alice', [home]);
    c.start();
    await log.waitFor('connected');
    home.ignoreNextSends = 1;
    c.send('room', 'once', 'x');
    const ack = await log.waitFor('acked');
    expect(ack.seq).toBe(1);
    expect(log.of('sent').map((s) => s.attempt)).toEqual([1, 2]);
    const sends = home.received.filter((r) => r.frame.type === 'send');
    expect(sends.map((r) => r.frame.type === 'send' && r.frame.cmid)).toEqual(['once', 'once']);
    await sleep(400);
    expect(log.of('acked')).toHaveLength(1);
    expect(store.lastSeq('room')).toBe(1);
  });

  it('fails over to the next region when home goes down, resends the unacked message there, and the same cmid gets the same seq', async () => {
    const { store, home, other } = await twoRegions();
    const { client: c, log } = client('alice', [home, other]);
    c.start();
    await log.waitFor('connected');
    // Home stores the message but the ack never reaches the client before home dies.
    home.sendMode = 'ignore';
    c.send('room', 'm1', 'x');
    await sleep(30);
    store.append('room', 'alice', 'm1', 'x');
    await home.stop();
    const failover = await log.waitFor('failover');
    expect(failover).toMatchObject({ from: 'eu', to: 'us' });
    const ack = await log.waitFor('acked');
    expect(ack).toMatchObject({ cmid: 'm1', seq: 1 });
    expect(c.region).toBe('us');
    const types = log.events.map((e) => e.type).filter((t) => t !== 'sent' && t !== 'synced');
    expect(types.slice(0, 4)).toEqual(['connected', 'disconnected', 'connected', 'failover']);
    expect(log.of('connected').map((e) => e.region)).toEqual(['eu', 'us']);
    expect(store.after('room', 0)).toHaveLength(1);
    // A dead region is tried failoverAfter (2) times, then the client moves on.
    expect(log.of('sent').map((s) => [s.attempt, s.region])).toEqual([
      [1, 'eu'],
      [2, 'us'],
    ]);
  });

  it('moves to the next endpoint after failoverAfter failed attempts, wrapping round to home', async () => {
    const store = createFakeStore();
    const a = await node('eu', store, 'n1');
    const b = await node('eu', store, 'n2');
    const c2 = await node('us', store);
    a.refuseWith = 503;
    b.refuseWith = 503;
    c2.refuseWith = 503;
    const { client: c, log } = client('alice', [a, b, c2], { failoverAfter: 3 });
    c.start();
    await sleep(50);
    // Nothing answers: every endpoint gets failoverAfter attempts in turn, then home again.
    const deadline = Date.now() + 3000;
    while (a.upgrades < 4 && Date.now() < deadline) await sleep(10);
    expect([a.upgrades, b.upgrades, c2.upgrades]).toEqual([4, 3, 3]);
    a.refuseWith = undefined;
    const connected = await log.waitFor('connected');
    expect(connected).toMatchObject({ region: 'eu', node: 'n1' });
  });

  it('syncs every known conversation after reconnecting and delivers what it missed via sync, once each', async () => {
    const store = createFakeStore();
    const home = await node('eu', store);
    const { client: c, log } = client('bob', [home], { conversations: ['room', 'other'] });
    c.start();
    await log.waitForCount('synced', 2);
    const first = store.append('room', 'alice', 'a1', 'x').message;
    home.push('room', first);
    await log.waitFor('delivered');
    home.dropAll();
    await log.waitFor('disconnected');
    // Written while bob is away.
    store.append('room', 'alice', 'a2', 'x');
    store.append('room', 'alice', 'a3', 'x');
    store.append('other', 'carol', 'c1', 'x');
    await log.waitForCount('connected', 2);
    await log.waitForCount('delivered', 4);
    await log.waitForCount('synced', 4);
    const delivered = log.of('delivered').map((d) => [d.conv, d.seq, d.cmid, d.via]);
    expect(delivered).toEqual([
      ['room', 1, 'a1', 'push'],
      ['room', 2, 'a2', 'sync'],
      ['room', 3, 'a3', 'sync'],
      ['other', 1, 'c1', 'sync'],
    ]);
    const syncs = home.received.filter((r) => r.frame.type === 'sync').map((r) => r.frame);
    expect(syncs).toContainEqual({ type: 'sync', conv: 'room', afterSeq: 1 });
    const synced = log.of('synced').slice(2);
    expect(synced.map((s) => [s.conv, s.afterSeq, s.seq]).sort()).toEqual([
      ['other', 0, 1],
      ['room', 1, 3],
    ]);
    expect(c.lastSeq('room')).toBe(3);
  });

  it('holds a push that skips a seq, syncs after the gap wait, and delivers in order without repeats', async () => {
    const store = createFakeStore();
    const home = await node('eu', store);
    const { client: c, log } = client('bob', [home], { gapWaitMs: 80 });
    c.start();
    await log.waitFor('connected');
    const m1 = store.append('room', 'alice', 'a1', 'x').message;
    const m2 = store.append('room', 'alice', 'a2', 'x').message;
    const m3 = store.append('room', 'alice', 'a3', 'x').message;
    home.push('room', m1);
    home.push('room', m3);
    home.push('room', m3);
    await log.waitFor('delivered');
    await sleep(30);
    expect(log.of('delivered').map((d) => d.seq)).toEqual([1]);
    expect(home.received.some((r) => r.frame.type === 'sync')).toBe(false);
    const synced = await log.waitFor('synced');
    expect(synced).toMatchObject({ conv: 'room', afterSeq: 1, seq: 3 });
    home.push('room', m2);
    await sleep(30);
    expect(log.of('delivered').map((d) => [d.seq, d.via])).toEqual([
      [1, 'push'],
      [2, 'sync'],
      [3, 'push'],
    ]);
  });

  it('does not sync for gaps that are its own acked sends when the node does not echo to the sender', async () => {
    const store = createFakeStore();
    const home = await node('eu', store);
    home.pushToSender = false;
    const { client: c, log } = client('alice', [home], { gapWaitMs: 40 });
    c.start();
    await log.waitFor('connected');
    c.send('room', 'mine', 'x');
    await log.waitFor('acked');
    home.push('room', store.append('room', 'bob', 'b1', 'y').message);
    await sleep(200);
    expect(home.received.filter((r) => r.frame.type === 'sync')).toEqual([]);
    expect(log.of('delivered').map((d) => [d.seq, d.cmid])).toEqual([[2, 'b1']]);
    expect(c.lastSeq('room')).toBe(2);
  });

  it('treats behind as not current: retries the sync later and reports synced only from a current node', async () => {
    const store = createFakeStore();
    store.append('room', 'alice', 'a1', 'x');
    const home = await node('eu', store);
    home.syncMode = 'behind';
    const { client: c, log } = client('bob', [home], { conversations: ['room'] });
    c.start();
    await log.waitFor('error', (e) => e.code === 'behind');
    await sleep(100);
    expect(log.of('synced')).toHaveLength(0);
    expect(log.of('delivered')).toHaveLength(0);
    expect(c.lastSeq('room')).toBe(0);
    home.syncMode = 'answer';
    await log.waitFor('synced');
    expect(log.of('delivered').map((d) => [d.seq, d.via])).toEqual([[1, 'sync']]);
    expect(home.received.filter((r) => r.frame.type === 'sync').length).toBeGreaterThanOrEqual(2);
  });

  it('reports a reset and continues from its seq, redelivering what the node now holds there', async () => {
    const { store, home, c, log } = await bobReceivedThree();
    // The node lost seq 3 and replaced it (a history that forked and was resolved).
    store.conversations.get('room')!.splice(2, 1, { ...store.after('room', 2)[0]!, cmid: 'a3-new' });
    home.sendTo('bob', { type: 'reset', conv: 'room', seq: 2, reason: 'epoch changed' });
    const reset = await log.waitFor('reset');
    expect(reset).toMatchObject({ conv: 'room', seq: 2, reason: 'epoch changed' });
    await log.waitForCount('delivered', 4);
    expect(log.of('delivered').map((d) => [d.seq, d.cmid])).toEqual([
      [1, 'a1'],
      [2, 'a2'],
      [3, 'a3'],
      [3, 'a3-new'],
    ]);
    expect(c.lastSeq('room')).toBe(3);
  });

  it('answers a reset to its sync by syncing again from the reset seq, once, and then takes new messages at those seqs', async () => {
    const { store, home, log } = await bobReceivedThree();
    // The node comes back without seq 3 (say it was never committed) and the client reconnects.
    store.conversations.get('room')!.pop();
    home.dropAll();
    const reset = await log.waitFor('reset');
    expect(reset).toMatchObject({ conv: 'room', seq: 2 });
    const synced = await log.waitFor('synced', (s) => s.t >= reset.t);
    expect(synced).toMatchObject({ afterSeq: 2, seq: 2 });
    const syncs = home.received.filter((r) => r.frame.type === 'sync').map((r) => r.frame);
    expect(syncs.slice(-2)).toEqual([
      { type: 'sync', conv: 'room', afterSeq: 3 },
      { type: 'sync', conv: 'room', afterSeq: 2 },
    ]);
    home.push('room', store.append('room', 'carol', 'c3', 'x').message);
    await log.waitForCount('delivered', 4);
    expect(log.of('delivered').map((d) => [d.seq, d.cmid])).toEqual([
      [1, 'a1'],
      [2, 'a2'],
      [3, 'a3'],
      [3, 'c3'],
    ]);
    await sleep(100);
    expect(log.of('reset')).toHaveLength(1);
  });

  it('reports definite refusals as send_failed and keeps unavailable sends until they succeed', async () => {
    const store = createFakeStore();
    const home = await node('eu', store);
    const { client: c, log } = client('alice', [home]);
    c.start();
    await log.waitFor('connected');
    home.sendMode = 'not_found';
    c.send('nowhere', 'lost', 'x');
    const failed = await log.waitFor('send_failed');
    expect(failed).toMatchObject({ conv: 'nowhere', cmid: 'lost' });
    expect(failed.reason).toMatch(/^not_found/);
    home.sendMode = 'unavailable';
    c.send('room', 'later', 'x');
    await log.waitFor('error', (e) => e.code === 'unavailable' && e.cmid === 'later');
    home.sendMode = 'ack';
    const ack = await log.waitFor('acked');
    expect(ack.cmid).toBe('later');
    expect(log.of('send_failed')).toHaveLength(1);
    expect(log.of('send_indeterminate')).toHaveLength(0);
  });

  it('backs off on rate_limited and resends the same cmid until it is acked, never failing it', async () => {
    const store = createFakeStore();
    const home = await node('eu', store);
    const { client: c, log } = client('alice', [home], {
      backoff: { minMs: 100, maxMs: 100 },
      // Full jitter draws the delay from [0, 100 ms); this makes it 99 ms.
      random: () => 0.99,
      ackTimeoutMs: 5000,
    });
    c.start();
    await log.waitFor('connected');
    home.sendMode = 'rate_limited';
    c.send('room', 'slow-down', 'x');
    const refused = await log.waitFor('error', (e) => e.code === 'rate_limited');
    expect(refused).toMatchObject({ conv: 'room', cmid: 'slow-down' });
    // The resend waits for the backoff: not for no time at all, nor for the ack timeout (5 s).
    await sleep(50);
    expect(home.received.filter((r) => r.frame.type === 'send')).toHaveLength(1);
    home.sendMode = 'ack';
    const ack = await log.waitFor('acked', undefined, 1500);
    expect(ack.cmid).toBe('slow-down');
    const sends = home.received.filter((r) => r.frame.type === 'send');
    expect(sends.length).toBe(2);
    expect(log.of('send_failed')).toHaveLength(0);
    expect(log.of('error').filter((e) => e.code !== 'rate_limited')).toEqual([]);
  });

  it('refuses locally what the server would refuse or choke on, without sending it', async () => {
    const store = createFakeStore();
    const home = await node('eu', store);
    const { client: c, log } = client('alice', [home]);
    c.start();
    await log.waitFor('connected');
    c.send('room', 'big', 'x'.repeat(70 * 1024));
    c.send('room', 'bad cmid', 'x');
    c.send('room/x', 'ok', 'x');
    // A lone surrogate has no UTF-8 form: the node refuses it, so the client does not send it.
    c.send('room', 'lone', 'a\ud800');
    expect(log.of('send_failed').map((f) => [f.cmid, f.reason.split(':')[0]])).toEqual([
      ['big', 'too_large'],
      ['bad cmid', 'invalid_field'],
      ['ok', 'invalid_field'],
      ['lone', 'invalid_field'],
    ]);
    expect(log.of('send_failed')[2]!.reason).toMatch(/conv/);
    expect(log.of('send_failed')[3]!.reason).toMatch(/body: lone UTF-16 surrogate/);
    await sleep(50);
    expect(home.received).toEqual([]);
    expect(c.connected).toBe(true);
  });

  it('gives up on a send after sendTimeoutMs with send_indeterminate and forgets it', async () => {
    const store = createFakeStore();
    const home = await node('eu', store);
    home.sendMode = 'ignore';
    const { client: c, log } = client('alice', [home], { sendTimeoutMs: 700, ackTimeoutMs: 200 });
    c.start();
    await log.waitFor('connected');
    c.send('room', 'void', 'x');
    const gaveUp = await log.waitFor('send_indeterminate', undefined, 3000);
    expect(gaveUp.cmid).toBe('void');
    const attempts = log.of('sent').length;
    expect(attempts).toBeGreaterThanOrEqual(3);
    expect(attempts).toBeLessThanOrEqual(4);
    home.sendMode = 'ack';
    await sleep(300);
    expect(log.of('sent')).toHaveLength(attempts);
    expect(log.of('acked')).toHaveLength(0);
  });

  it('close() turns pending sends into send_indeterminate, reports the disconnect and never reconnects', async () => {
    const store = createFakeStore();
    const home = await node('eu', store);
    home.sendMode = 'ignore';
    const { client: c, log } = client('alice', [home]);
    c.start();
    await log.waitFor('connected');
    c.send('room', 'p1', 'x');
    c.send('room', 'p2', 'x');
    await c.close();
    expect(log.of('send_indeterminate').map((e) => e.cmid)).toEqual(['p1', 'p2']);
    expect(log.of('disconnected')).toMatchObject([{ region: 'eu', reason: 'client closed' }]);
    expect(c.connected).toBe(false);
    const upgrades = home.upgrades;
    c.send('room', 'p3', 'x');
    expect(log.of('send_failed').map((e) => e.cmid)).toEqual(['p3']);
    await sleep(200);
    expect(home.upgrades).toBe(upgrades);
  });

  it('treats HTTP 401 on upgrade as fatal: one error event and no further attempts', async () => {
    const { home, other } = await twoRegions();
    home.refuseWith = 401;
    const { client: c, log } = client('alice', [home, other]);
    c.start();
    c.send('room', 'm', 'x');
    const error = await log.waitFor('error');
    expect(error.code).toBe('unauthorized');
    expect(error.message).toMatch(/401/);
    expect(log.of('send_indeterminate').map((e) => e.cmid)).toEqual(['m']);
    await sleep(300);
    expect(home.upgrades).toBe(1);
    expect(other.upgrades).toBe(0);
    expect(c.connected).toBe(false);
  });

  it('treats close code 4401 as fatal too', async () => {
    const store = createFakeStore();
    const home = await node('eu', store);
    const { client: c, log } = client('revoked', [home]);
    c.start();
    const error = await log.waitFor('error');
    expect(error.code).toBe('unauthorized');
    await sleep(200);
    expect(home.upgrades).toBe(1);
  });

  it('reports invalid frames as errors and keeps the connection and later frames working', async () => {
    const store = createFakeStore();
    const home = await node('eu', store);
    const { client: c, log } = client('bob', [home]);
    c.start();
    await log.waitFor('connected');
    home.sendTo('bob', 'not json');
    home.sendTo('bob', JSON.stringify({ type: 'msg', conv: 'room', seq: 'one' }));
    home.sendTo('bob', JSON.stringify({ type: 'gossip' }));
    const m1 = store.append('room', 'alice', 'a1', 'x').message;
    home.push('room', m1);
    await log.waitFor('delivered');
    const errors = log.of('error');
    expect(errors).toHaveLength(3);
    expect(errors.every((e) => e.code === 'bad_frame')).toBe(true);
    expect(errors[1]!.message).toMatch(/seq/);
    expect(c.connected).toBe(true);
    expect(log.of('disconnected')).toHaveLength(0);
  });

  it('times out an attempt that is never welcomed and moves on after that one timeout', async () => {
    const { home, other } = await twoRegions();
    home.silentWelcome = true;
    const { client: c, log } = client('alice', [home, other], { connectTimeoutMs: 150 });
    c.start();
    const connected = await log.waitFor('connected', undefined, 3000);
    expect(connected.region).toBe('us');
    // A silent endpoint is a hard failure: no second attempt before moving on.
    expect(home.upgrades).toBe(1);
    // The first connection of this client is not a failover: there was no previous region.
    expect(log.of('failover')).toHaveLength(0);
  });

  it('notices a silent (blackholed) connection through unanswered resends and pings, and fails over', async () => {
    const { proxy, endpoints } = await proxiedHome();
    const { client: c, log } = client('alice', endpoints, {
      ackTimeoutMs: 200,
      connectTimeoutMs: 200,
      // Longer than the test: the unanswered resend, not the idle heartbeat, asks for the pong.
      heartbeatMs: 10_000,
      heartbeatTimeoutMs: 200,
    });
    c.start();
    await log.waitFor('connected');
    proxy.blackhole = true;
    const blackholedAt = Date.now();
    c.send('room', 'm', 'x');
    const down = await log.waitFor('disconnected', undefined, 3000);
    expect(down.reason).toBe('heartbeat timeout');
    // The resend after ackTimeoutMs pings; heartbeatTimeoutMs later the connection is given up.
    expect(down.t - blackholedAt).toBeGreaterThanOrEqual(400 - 5);
    expect(down.t - blackholedAt).toBeLessThan(400 + 500);
    const ack = await log.waitFor('acked', undefined, 5000);
    expect(ack.cmid).toBe('m');
    expect(c.region).toBe('us');
    expect(log.of('failover')).toMatchObject([{ from: 'eu', to: 'us' }]);
  });

  it('returns home once home answers again, without losing a message on the way', async () => {
    const { home, other } = await twoRegions();
    const { client: c, log } = client('alice', [home, other], { returnHomeAfterMs: 250 });
    c.start();
    await log.waitFor('connected');
    await home.stop();
    await log.waitFor('failover');
    c.send('room', 'while-away', 'x');
    await log.waitFor('acked');
    // Probes while home is down fail quietly.
    await sleep(400);
    expect(c.region).toBe('us');
    await home.restart();
    const back = await log.waitFor('failover', (f) => f.to === 'eu', 3000);
    expect(back.from).toBe('us');
    expect(c.region).toBe('eu');
    const returning = log.of('disconnected').filter((d) => d.reason === 'returning home');
    expect(returning).toMatchObject([{ region: 'us' }]);
    // Catch-up after the move: the message sent while away is already delivered, not again.
    await log.waitFor('synced', (s) => s.t >= back.t);
    expect(log.of('delivered').map((d) => d.cmid)).toEqual(['while-away']);
    c.send('room', 'home-again', 'y');
    const ack = await log.waitFor('acked', (a) => a.cmid === 'home-again');
    expect(ack.seq).toBe(2);
    expect(
      log
        .of('sent')
        .filter((s) => s.cmid === 'home-again')
        .map((s) => s.region),
    ).toEqual(['eu']);
  });

  it('keeps one timer per connected idle client (the heartbeat), and none with the heartbeat off', async () => {
    const store = createFakeStore();
    const home = await node('eu', store);
    // The test runner keeps timers of its own now and then; the fewest seen over a while is the floor.
    const timers = async (): Promise<number> => {
      let fewest = Number.POSITIVE_INFINITY;
      for (let i = 0; i < 10; i++) {
        await sleep(10);
        fewest = Math.min(fewest, process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length);
      }
      return fewest;
    };
    const before = await timers();
    const users = ['alice', 'bob', 'carol'];
    const beating = users.map((user) => client(user, [home], { heartbeatMs: 30, heartbeatTimeoutMs: 200 }));
    const quiet = users.map((user) => client(`${user}-quiet`, [home], { heartbeatMs: 0 }));
    for (const { client: c } of [...beating, ...quiet]) c.start();
    // Each in a conversation of its own, so that nobody sees a gap (and a gap-wait timer).
    for (const [i, { client: c, log }] of [...beating, ...quiet].entries()) {
      await log.waitFor('connected');
      c.send(`room-${i}`, 'm', 'x');
      await log.waitFor('acked');
      await log.waitFor('delivered');
    }
    // Sampled over several heartbeats (ping, pong, next ping).
    expect((await timers()) - before).toBe(beating.length);
    expect(home.pings).toBeGreaterThanOrEqual(beating.length * 2);
    for (const { log } of [...beating, ...quiet]) expect(log.of('disconnected')).toEqual([]);
  });

  it('pings an idle connection every heartbeatMs and none that is receiving', async () => {
    const store = createFakeStore();
    const home = await node('eu', store);
    const { client: c, log } = client('bob', [home], { heartbeatMs: 100, heartbeatTimeoutMs: 300 });
    c.start();
    await log.waitFor('connected');
    await sleep(550);
    // One ping per ~100 ms of silence (each pong restarts the wait).
    expect(home.pings).toBeGreaterThanOrEqual(3);
    expect(home.pings).toBeLessThanOrEqual(6);
    const idlePings = home.pings;
    for (let i = 1; i <= 12; i++) {
      home.push('room', store.append('room', 'alice', `a${i}`, 'x').message);
      await sleep(40);
    }
    await log.waitForCount('delivered', 12);
    // Every frame is proof of life: nothing was quiet long enough to need a ping.
    expect(home.pings - idlePings).toBeLessThanOrEqual(1);
    expect(log.of('disconnected')).toEqual([]);
  });

  it('a receive-only client behind a silenced link notices within heartbeatMs + heartbeatTimeoutMs and fails over', async () => {
    const { store, home, other, proxy, endpoints } = await proxiedHome();
    const heartbeatMs = 150;
    const heartbeatTimeoutMs = 150;
    const { client: c, log } = client('bob', endpoints, {
      conversations: ['room'],
      heartbeatMs,
      heartbeatTimeoutMs,
      connectTimeoutMs: 300,
    });
    c.start();
    await log.waitFor('synced');
    // A healthy idle link is kept: pings are answered.
    await sleep(2 * (heartbeatMs + heartbeatTimeoutMs));
    expect(home.pings).toBeGreaterThanOrEqual(2);
    expect(log.of('disconnected')).toEqual([]);
    proxy.blackhole = true;
    const silencedAt = Date.now();
    const down = await log.waitFor('disconnected', undefined, 3000);
    expect(down).toMatchObject({ region: 'eu', reason: 'heartbeat timeout' });
    const detectMs = down.t - silencedAt;
    // No sooner than a whole ping timeout, no later than one idle wait plus one ping timeout.
    expect(detectMs).toBeGreaterThanOrEqual(heartbeatTimeoutMs - 5);
    expect(detectMs).toBeLessThan(heartbeatMs + heartbeatTimeoutMs + 250);
    const failover = await log.waitFor('failover', undefined, 3000);
    expect(failover).toMatchObject({ from: 'eu', to: 'us' });
    // Backoff (at most 50 ms here) and one connect, no retry of the silent endpoint.
    expect(failover.t - down.t).toBeLessThan(250);
    expect(proxy.connections).toBe(1);
    // What is written in the conversation now reaches bob by push from the other region.
    await log.waitFor('synced', (s) => s.t >= failover.t);
    other.push('room', store.append('room', 'alice', 'after', 'x').message);
    const delivered = await log.waitFor('delivered');
    expect(delivered).toMatchObject({ cmid: 'after', via: 'push' });
  });

  it('spends one connect timeout on an endpoint that accepts TCP but never answers the upgrade', async () => {
    const store = createFakeStore();
    const frozen = await startSilentServer();
    cleanups.push(() => frozen.close());
    const other = await node('us', store);
    const connectTimeoutMs = 300;
    const { client: c, log } = client('alice', [{ region: 'eu', url: frozen.url }, other], {
      connectTimeoutMs,
    });
    const startedAt = Date.now();
    c.start();
    const connected = await log.waitFor('connected', undefined, 3000);
    expect(connected.region).toBe('us');
    expect(connected.t - startedAt).toBeGreaterThanOrEqual(connectTimeoutMs - 5);
    expect(connected.t - startedAt).toBeLessThan(connectTimeoutMs + 250);
    expect(frozen.connections).toBe(1);
  });

  it('refused attempts still get failoverAfter tries each before the next endpoint', async () => {
    const { home, other } = await twoRegions();
    home.refuseWith = 503;
    const { client: c, log } = client('alice', [home, other], { failoverAfter: 3 });
    c.start();
    const connected = await log.waitFor('connected');
    expect(connected.region).toBe('us');
    expect(home.upgrades).toBe(3);
  });

  it('does not mistake a stall of its own process for a dead node', async () => {
    const store = createFakeStore();
    const home = await node('eu', store);
    // Timeouts wide enough that the unit files sharing these 2 cores cannot starve a pong past
    // them after the stall (a real silence, which the client is right to act on); the stall
    // itself is three timeouts long.
    const heartbeatTimeoutMs = 250;
    const { client: c, log } = client('bob', [home], { heartbeatMs: 100, heartbeatTimeoutMs });
    c.start();
    await log.waitFor('connected');
    let stalled = false;
    home.onPing = () => {
      if (stalled) return;
      stalled = true;
      // The pong is already on its way; the client's ping deadline passes before it can read it.
      const until = Date.now() + 3 * heartbeatTimeoutMs;
      while (Date.now() < until) {
        // Busy wait: the whole process (client included) is stalled, as under GC or load.
      }
    };
    const deadline = Date.now() + 3000;
    while (!stalled && Date.now() < deadline) await sleep(10);
    expect(stalled).toBe(true);
    const pingsAfterStall = home.pings;
    await sleep(600);
    expect(log.of('disconnected')).toEqual([]);
    expect(c.connected).toBe(true);
    expect(home.pings).toBeGreaterThan(pingsAfterStall);
  });

  it('after a heartbeat failover, probes the silent home without leaving the working region, then returns once', async () => {
    const { proxy, endpoints } = await proxiedHome();
    const { client: c, log } = client('bob', endpoints, {
      heartbeatMs: 100,
      heartbeatTimeoutMs: 100,
      connectTimeoutMs: 150,
      returnHomeAfterMs: 200,
    });
    c.start();
    await log.waitFor('connected');
    proxy.blackhole = true;
    await log.waitFor('failover', (f) => f.to === 'us', 3000);
    // Several probes go to the silent home; each times out and changes nothing.
    await sleep(1000);
    expect(proxy.connections).toBeGreaterThanOrEqual(3);
    expect(c.region).toBe('us');
    expect(log.of('failover')).toHaveLength(1);
    expect(log.of('disconnected')).toHaveLength(1);
    proxy.blackhole = false;
    const back = await log.waitFor('failover', (f) => f.to === 'eu', 3000);
    expect(back.from).toBe('us');
    await sleep(600);
    expect(c.region).toBe('eu');
    expect(log.of('failover').map((f) => f.to)).toEqual(['us', 'eu']);
  });

  it('waits longer before returning to a home that failed right after the last return', async () => {
    const { home, other } = await twoRegions();
    const returnHomeAfterMs = 300;
    const { client: c, log } = client('bob', [home, other], { returnHomeAfterMs });
    c.start();
    await log.waitFor('connected');
    await home.stop();
    const away1 = await log.waitFor('failover', (f) => f.to === 'us');
    await home.restart();
    const back1 = await log.waitFor('failover', (f) => f.to === 'eu', 3000);
    expect(back1.t - away1.t).toBeLessThan(returnHomeAfterMs + 200);
    // Home fails again at once: the next return waits twice as long.
    await home.stop();
    const away2 = await log.waitForCount('failover', 3, (f) => f.to === 'us' || f.to === 'eu', 3000);
    expect(away2[2]).toMatchObject({ to: 'us' });
    await home.restart();
    const [, back2] = await log.waitForCount('failover', 2, (f) => f.to === 'eu', 3000);
    expect(back2!.t - away2[2]!.t).toBeGreaterThanOrEqual(2 * returnHomeAfterMs - 20);
    // A stay of returnHomeAfterMs puts the interval back.
    await sleep(returnHomeAfterMs + 50);
    await home.stop();
    const away3 = (await log.waitForCount('failover', 5, undefined, 3000))[4]!;
    expect(away3.to).toBe('us');
    await home.restart();
    const [, , back3] = await log.waitForCount('failover', 3, (f) => f.to === 'eu', 3000);
    expect(back3!.t - away3.t).toBeLessThan(returnHomeAfterMs + 200);
    expect(c.region).toBe('eu');
  });
});
