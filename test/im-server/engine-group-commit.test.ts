// The group commit of engine/group-commit.ts on its own: sends sequenced in one turn of the event
// loop are written in one transaction at the end of the turn, and only then answered and pushed;
// a resent cmid gets the seq it already has, whether still pending or already stored.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { flushAppends, sequenceLocal } from '../../im-server/engine/group-commit.ts';
import { becomeHome } from '../../im-server/engine/home-role.ts';
import { type Conv, type EngineState, newConv } from '../../im-server/engine/state.ts';
import type { ForwardItem, WireEntry } from '../../im-server/internal-protocol.ts';
import { openStorage, type Storage } from '../../im-server/storage.ts';
import { idleShipper, testEngineState } from '../support/engine.ts';

const ME = 'eu/n1';

interface Harness {
  s: EngineState;
  c: Conv;
  writes: { conv: string; entry: WireEntry }[][];
  pushed: string[];
  notified: string[];
}

let dir: string;
let storage: Storage;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'engine-gc-'));
  storage = openStorage(join(dir, 'node.db'));
});

afterEach(() => {
  storage.close();
  rmSync(dir, { recursive: true, force: true });
});

function harness(): Harness {
  const writes: Harness['writes'] = [];
  const pushed: string[] = [];
  const notified: string[] = [];
  const appendMany = storage.appendMany.bind(storage);
  // With ack 'stored' the home commits on its own: the control plane and forwarder are not reached.
  const s = testEngineState({
    storage: {
      ...storage,
      appendMany(rows) {
        writes.push([...rows]);
        appendMany(rows);
      },
    },
    pushToMembers(_members, text) {
      pushed.push(text);
      return 1;
    },
    shipper: idleShipper(notified),
  });
  const rec = { id: 'c1', members: ['alice', 'bob'], residency: null, home: ME, epoch: 1, version: 1 };
  storage.upsertConversation(rec);
  const c = newConv(rec);
  s.convs.set('c1', c);
  becomeHome(s, c);
  return { s, c, writes, pushed, notified };
}

const send = (from: string, cmid: string): ForwardItem => ({
  conv: 'c1',
  from,
  cmid,
  body: `body of ${cmid}`,
});

describe('group commit', () => {
  it('writes one turn of sends in one transaction, then answers and pushes them', async () => {
    const { s, c, writes, pushed, notified } = harness();
    notified.length = 0;
    const answers = [sequenceLocal(s, c, send('alice', 'a1')), sequenceLocal(s, c, send('bob', 'b1'))];
    await Promise.resolve();
    expect(writes).toEqual([]);
    expect(pushed).toEqual([]);
    expect(c.lastSeq).toBe(0);
    const [a, b] = await Promise.all(answers);
    expect([a?.seq, b?.seq]).toEqual([1, 2]);
    expect(writes).toHaveLength(1);
    expect(writes[0]?.map((w) => w.entry.cmid)).toEqual(['a1', 'b1']);
    expect(c.lastSeq).toBe(2);
    expect(c.commitSeq).toBe(2);
    expect(pushed.map((f) => JSON.parse(f).seq)).toEqual([1, 2]);
    expect(notified.length).toBeGreaterThan(0);
  });

  it('gives a cmid resent in the same turn the pending seq, and one stored earlier its stored seq', async () => {
    const { s, c, writes } = harness();
    const [first, again] = await Promise.all([
      sequenceLocal(s, c, send('alice', 'a1')),
      sequenceLocal(s, c, send('alice', 'a1')),
    ]);
    expect(again).toEqual(first);
    const later = await sequenceLocal(s, c, send('alice', 'a1'));
    expect(later).toEqual(first);
    expect(writes.flat()).toHaveLength(1);
    expect(c.lastSeq).toBe(1);
  });

  it('writes the pending batch at once when flushed before the end of the turn', async () => {
    const { s, c, writes } = harness();
    const answer = sequenceLocal(s, c, send('alice', 'a1'));
    flushAppends(s);
    expect(writes).toHaveLength(1);
    expect(c.lastSeq).toBe(1);
    expect((await answer).seq).toBe(1);
    flushAppends(s);
    expect(writes).toHaveLength(1);
  });
});
