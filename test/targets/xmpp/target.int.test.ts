// The XMPP target's client half against a real Prosody (test/support/prosody.ts): two users on
// two VirtualHosts ("regions") of one server exchange messages, every send is acked and
// delivered once in order, each region's MAM archive reads back as the conversation's log, an
// unknown recipient bounces, and a dropped socket reconnects and delivers what was sent meanwhile.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionEvent, TargetSession } from '../../../contracts/target.ts';
import { createXmppTarget, type XmppTarget } from '../../../harness/targets/xmpp/target.ts';
import { sleep } from '../../../lib/async.ts';
import { type CutProxy, startCutProxy, startProsody, type TestProsody } from '../../support/prosody.ts';

/** Not a valid JID local part as it stands: the target escapes it, and names it so in events. */
const BOB = 'Bob:2';

async function until(what: string, ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(20);
  }
}

function recorder(): {
  events: SessionEvent[];
  of: <T extends SessionEvent['type']>(type: T) => Extract<SessionEvent, { type: T }>[];
} {
  const events: SessionEvent[] = [];
  return {
    events,
    of: <T extends SessionEvent['type']>(type: T) =>
      events.filter((e): e is Extract<SessionEvent, { type: T }> => e.type === type),
  };
}

describe('xmpp target against prosody', () => {
  let prosody: TestProsody;
  let target: XmppTarget;
  /** Each region's clients reach the server through their own proxy, so a test can cut one. */
  const proxies = new Map<string, CutProxy>();
  const sessions: TargetSession[] = [];
  const a = recorder();
  const b = recorder();
  let alice: TargetSession;
  let bob: TargetSession;

  beforeAll(async () => {
    prosody = await startProsody(['r1', 'r2']);
    for (const r of prosody.regions) proxies.set(r.name, await startCutProxy(prosody.port));
    target = createXmppTarget({
      regions: prosody.regions.map((r) => ({ ...r, service: proxies.get(r.name)?.service ?? r.service })),
      // ghost has a home but no account: messages to it are to an unknown local user.
      accounts: {
        register: (region, user, password) =>
          user === 'ghost' ? Promise.resolve() : prosody.accounts.register(region, user, password),
      },
      resend: true,
      password: (user) => `pw-${user}`,
      reconnectDelayMs: 200,
    });
    await target.addUsers([
      { user: 'alice', region: 'r1' },
      { user: BOB, region: 'r2' },
      { user: 'carol', region: 'r1' },
      { user: 'ghost', region: 'r1' },
    ]);
  });

  afterAll(async () => {
    await Promise.all(sessions.map((s) => s.close()));
    await target?.close();
    for (const proxy of proxies.values()) await proxy.stop();
    await prosody?.stop();
  });

  it('refuses a conversation that is not direct, naming the field', async () => {
    await expect(target.createConversation({ id: 'g', members: ['alice', BOB, 'carol'] })).rejects.toThrow(
      /^members: the xmpp target supports direct conversations of 2 members/,
    );
  });

  it('acks and delivers 20 messages each way in order, and reads them back from each region', async () => {
    await target.createConversation({ id: 'c1', members: ['alice', BOB] });
    alice = target.connect({
      user: 'alice',
      region: 'r1',
      conversations: ['c1'],
      onEvent: (e) => a.events.push(e),
    });
    bob = target.connect({
      user: BOB,
      region: 'r2',
      conversations: ['c1'],
      onEvent: (e) => b.events.push(e),
    });
    sessions.push(alice, bob);
    await until('both connected', () => a.of('connected').length === 1 && b.of('connected').length === 1);
    expect(a.of('connected')[0]).toMatchObject({ region: 'r1', node: 'n1' });
    for (let i = 1; i <= 20; i++) {
      alice.send('c1', `a-${i}`, `hello ${i}`);
      bob.send('c1', `b-${i}`, `hi ${i}`);
    }
    await until(
      'all acked and delivered',
      () =>
        a.of('acked').length === 20 &&
        b.of('acked').length === 20 &&
        a.of('delivered').length === 20 &&
        b.of('delivered').length === 20,
    );
    const want = (prefix: string, index: number) =>
      Array.from({ length: 20 }, (_, k) => ({ cmid: `${prefix}-${k + 1}`, seq: (k + 1) * 2 + index }));
    expect(a.of('acked').map((e) => ({ cmid: e.cmid, seq: e.seq }))).toEqual(want('a', 0));
    expect(b.of('acked').map((e) => ({ cmid: e.cmid, seq: e.seq }))).toEqual(want('b', 1));
    expect(b.of('delivered').map((e) => ({ cmid: e.cmid, seq: e.seq }))).toEqual(want('a', 0));
    expect(a.of('delivered').map((e) => ({ cmid: e.cmid, seq: e.seq }))).toEqual(want('b', 1));
    expect(new Set(b.of('delivered').map((e) => `${e.from}/${e.via}/${e.conv}`))).toEqual(
      new Set(['alice/push/c1']),
    );
    expect(new Set(a.of('delivered').map((e) => e.from))).toEqual(new Set([BOB]));
    expect([...a.of('out_of_order'), ...b.of('out_of_order'), ...a.of('send_failed')]).toEqual([]);

    const all = [...want('a', 0), ...want('b', 1)].sort((x, y) => x.seq - y.seq);
    for (const region of ['r1', 'r2']) {
      const log = await target.readLog(region, 'c1');
      expect(log.messages.map((m) => ({ cmid: m.cmid, seq: m.seq }))).toEqual(all);
      expect(log.messages.filter((m) => m.from === 'alice')).toHaveLength(20);
      expect(log.messages.filter((m) => m.from === BOB)).toHaveLength(20);
      const digest = await target.digest(region, 'c1');
      const hash = createHash('sha256');
      for (const m of all) hash.update(`${m.cmid}\n`);
      expect(digest).toEqual({ region, conv: 'c1', count: 40, lastSeq: 41, hash: hash.digest('hex') });
    }
  });

  it('reports a message to an unknown user on the domain as bounced', async () => {
    await target.createConversation({ id: 'c-ghost', members: ['alice', 'ghost'] });
    alice.send('c-ghost', 'to-ghost', 'anyone?');
    await until('an outcome for to-ghost', () =>
      a.events.some(
        (e) => (e.type === 'send_failed' || e.type === 'send_indeterminate') && e.cmid === 'to-ghost',
      ),
    );
    expect(a.of('send_failed').find((e) => e.cmid === 'to-ghost')).toMatchObject({
      conv: 'c-ghost',
      reason: 'bounced: service-unavailable',
    });
  });

  it('reconnects after a cut, resuming the stream, and delivers what was sent during the gap', async () => {
    const before = { aUp: a.of('connected').length, aDown: a.of('disconnected').length };
    proxies.get('r1')?.cut(true);
    await until('alice saw the drop', () => a.of('disconnected').length === before.aDown + 1);
    for (let i = 21; i <= 25; i++) alice.send('c1', `a-${i}`, `during the gap ${i}`);
    await sleep(300);
    expect(a.of('acked').filter((e) => Number(e.cmid.slice(2)) > 20)).toEqual([]);
    proxies.get('r1')?.heal();
    await until('alice is back', () => a.of('connected').length === before.aUp + 1);
    await until('the gap sends acked and delivered', () =>
      ['a-25'].every(
        (c) => a.of('acked').some((e) => e.cmid === c) && b.of('delivered').some((e) => e.cmid === c),
      ),
    );
    expect(a.of('disconnected')).toHaveLength(before.aDown + 1);
    expect(a.of('failover')).toEqual([]);
    expect(
      b
        .of('delivered')
        .map((e) => e.seq)
        .slice(-5),
    ).toEqual([42, 44, 46, 48, 50]);
    expect(
      a
        .of('acked')
        .map((e) => e.seq)
        .slice(-5),
    ).toEqual([42, 44, 46, 48, 50]);
    expect([...a.of('out_of_order'), ...b.of('out_of_order')]).toEqual([]);
  });

  it('resends unacked stanzas with the same id and seq when the stream cannot be resumed, and catches up from MAM', async () => {
    const before = {
      aAcked: a.of('acked').length,
      bAcked: b.of('acked').length,
      aDelivered: a.of('delivered').length,
      bDelivered: b.of('delivered').length,
      bUp: b.of('connected').length,
      aUp: a.of('connected').length,
    };
    for (let i = 26; i <= 30; i++) alice.send('c1', `a-${i}`, `lost in flight ${i}`);
    proxies.get('r1')?.cut(true);
    // Pushed to alice's dead stream (the server holds it for a resumption that will never come).
    for (let i = 21; i <= 23; i++) bob.send('c1', `b-${i}`, `while alice is away ${i}`);
    await until('bob acked', () => b.of('acked').length === before.bAcked + 3);
    proxies.get('r2')?.cut(true);
    await prosody.restart();
    // Bob first, so alice's resends find him online.
    proxies.get('r2')?.heal();
    await until('bob is back', () => b.of('connected').length === before.bUp + 1, 15_000);
    proxies.get('r1')?.heal();
    await until('alice is back', () => a.of('connected').length === before.aUp + 1, 15_000);
    await until('the in-flight sends acked', () => a.of('acked').length >= before.aAcked + 5, 15_000);
    await until('and delivered', () => b.of('delivered').length >= before.bDelivered + 5, 15_000);
    await until('alice caught up', () => a.of('delivered').length >= before.aDelivered + 3, 15_000);
    const acked = a.of('acked').slice(before.aAcked);
    expect(acked.map((e) => [e.cmid, e.seq])).toEqual([26, 27, 28, 29, 30].map((i) => [`a-${i}`, i * 2]));
    expect([
      ...new Set(
        b
          .of('delivered')
          .slice(before.bDelivered)
          .map((e) => e.cmid),
      ),
    ]).toEqual([26, 27, 28, 29, 30].map((i) => `a-${i}`));
    expect(
      a
        .of('delivered')
        .slice(before.aDelivered)
        .map((e) => [e.cmid, e.seq, e.via, e.from]),
    ).toEqual([21, 22, 23].map((i) => [`b-${i}`, i * 2 + 1, 'sync', BOB]));
    expect([...a.of('send_indeterminate'), ...a.of('out_of_order'), ...b.of('out_of_order')]).toEqual([]);
  });

  it('without resend, reports unacked sends of a lost stream indeterminate; close gives up on the rest', async () => {
    const quiet = createXmppTarget({
      regions: prosody.regions.map((r) => ({ ...r, service: proxies.get(r.name)?.service ?? r.service })),
      accounts: prosody.accounts,
      resend: false,
      password: (user) => `pw-${user}`,
      reconnectDelayMs: 200,
    });
    try {
      await quiet.addUsers([
        { user: 'dave', region: 'r1' },
        { user: 'erin', region: 'r2' },
      ]);
      await quiet.createConversation({ id: 'c2', members: ['dave', 'erin'] });
      const d = recorder();
      const dave = quiet.connect({
        user: 'dave',
        region: 'r1',
        conversations: ['c2'],
        onEvent: (e) => d.events.push(e),
      });
      await until('dave connected', () => d.of('connected').length === 1);
      for (let i = 1; i <= 3; i++) dave.send('c2', `d-${i}`, 'x');
      proxies.get('r1')?.cut(true);
      await prosody.restart();
      proxies.get('r1')?.heal();
      await until('dave is back', () => d.of('connected').length === 2, 15_000);
      expect(d.of('send_indeterminate').map((e) => e.cmid)).toEqual(['d-1', 'd-2', 'd-3']);
      expect(d.of('acked')).toEqual([]);
      dave.send('c2', 'd-4', 'x');
      dave.send('c2', 'd-5', 'x');
      await dave.close();
      expect(d.of('send_indeterminate').slice(3)).toMatchObject([
        { cmid: 'd-4', reason: 'session closed before an ack' },
        { cmid: 'd-5', reason: 'session closed before an ack' },
      ]);
      // Closing ends the connection in the history too, as the reference client's close does.
      expect(d.events.at(-1)).toMatchObject({ type: 'disconnected', region: 'r1', reason: 'client closed' });
      expect(d.of('disconnected')).toHaveLength(2);
      // No member of c-ghost lives in r2: that region holds nothing of it.
      expect(await target.readLog('r2', 'c-ghost')).toEqual({ region: 'r2', conv: 'c-ghost', messages: [] });
      expect((await target.digest('r2', 'c-ghost')).count).toBe(0);
    } finally {
      await quiet.close();
    }
  });
});
