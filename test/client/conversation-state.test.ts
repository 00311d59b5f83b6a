import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ConversationState,
  conversationDeadline,
  createConversationState,
  gapExpired,
  type HeldMessage,
  noteOwnAck,
  notePush,
  receive,
  resetTo,
  syncedTo,
} from '../../client/conversation-state.ts';

function recorder() {
  const delivered: HeldMessage[] = [];
  const sink = (_conv: string, m: HeldMessage) => {
    delivered.push(m);
  };
  return { delivered, sink, seqs: () => delivered.map((m) => m.seq) };
}

const msg = (seq: number, via: 'push' | 'sync' = 'push'): HeldMessage => ({
  seq,
  cmid: `m${seq}`,
  from: 'u',
  via,
});

describe('conversation state', () => {
  it('delivers in-order messages at once and drops a seq it has seen', () => {
    const s = createConversationState('c');
    const r = recorder();
    expect(receive(s, msg(1), 0, r.sink)).toBe('delivered');
    expect(receive(s, msg(2), 0, r.sink)).toBe('delivered');
    expect(receive(s, msg(1), 0, r.sink)).toBe('duplicate');
    expect(receive(s, msg(2, 'sync'), 0, r.sink)).toBe('duplicate');
    expect(r.seqs()).toEqual([1, 2]);
    expect(s.lastSeq).toBe(2);
  });

  it('holds a message past a gap and releases the run once the gap fills', () => {
    const s = createConversationState('c');
    const r = recorder();
    receive(s, msg(1), 0, r.sink);
    expect(receive(s, msg(3), 10, r.sink)).toBe('held');
    expect(receive(s, msg(4), 11, r.sink)).toBe('held');
    expect(receive(s, msg(3), 12, r.sink)).toBe('duplicate');
    expect(s.gapSince).toBe(10);
    expect(r.seqs()).toEqual([1]);
    expect(receive(s, msg(2), 20, r.sink)).toBe('delivered');
    expect(r.seqs()).toEqual([1, 2, 3, 4]);
    expect(s.held).toBeUndefined();
    expect(s.gapSince).toBeUndefined();
  });

  it('restarts the gap clock when part of the gap fills and a later one remains', () => {
    const s = createConversationState('c');
    const r = recorder();
    receive(s, msg(2), 10, r.sink);
    receive(s, msg(4), 11, r.sink);
    receive(s, msg(1), 50, r.sink);
    expect(r.seqs()).toEqual([1, 2]);
    expect(s.gapSince).toBe(50);
    expect(conversationDeadline(s, 100, 1000)).toBe(150);
  });

  it('a finished sync delivers held messages up to its seq across holes the node did not fill', () => {
    const s = createConversationState('c');
    const r = recorder();
    receive(s, msg(1), 0, r.sink);
    receive(s, msg(3), 0, r.sink);
    receive(s, msg(5), 0, r.sink);
    receive(s, msg(7), 0, r.sink);
    syncedTo(s, 5, 100, r.sink);
    expect(r.seqs()).toEqual([1, 3, 5]);
    expect(s.lastSeq).toBe(5);
    expect(s.held?.has(7)).toBe(true);
    expect(s.gapSince).toBe(100);
    receive(s, msg(6), 101, r.sink);
    expect(r.seqs()).toEqual([1, 3, 5, 6, 7]);
    expect(s.gapSince).toBeUndefined();
  });

  it('moves the watermark to the synced seq even when the node sent nothing, so it does not sync forever', () => {
    const s = createConversationState('c');
    const r = recorder();
    s.sync = { afterSeq: 0, sentAt: 0 };
    syncedTo(s, 4, 10, r.sink);
    expect(s.lastSeq).toBe(4);
    expect(s.sync).toBeUndefined();
    expect(r.seqs()).toEqual([]);
    expect(receive(s, msg(3), 11, r.sink)).toBe('duplicate');
  });

  it('a synced seq below the watermark never lowers it', () => {
    const s = createConversationState('c');
    const r = recorder();
    receive(s, msg(1), 0, r.sink);
    receive(s, msg(2), 0, r.sink);
    syncedTo(s, 1, 5, r.sink);
    expect(s.lastSeq).toBe(2);
  });

  it('an expired gap steps over the client’s own acked sends and reports whether a real gap remains', () => {
    const s = createConversationState('c');
    const r = recorder();
    receive(s, msg(1), 0, r.sink);
    noteOwnAck(s, 2);
    receive(s, msg(3), 1, r.sink);
    receive(s, msg(5), 1, r.sink);
    expect(gapExpired(s, 300, r.sink)).toBe(true);
    expect(r.seqs()).toEqual([1, 3]);
    expect(s.lastSeq).toBe(3);
    noteOwnAck(s, 4);
    expect(gapExpired(s, 600, r.sink)).toBe(false);
    expect(r.seqs()).toEqual([1, 3, 5]);
    expect(s.ownAcked).toBeUndefined();
  });

  it('an own ack alone neither delivers nor advances the watermark, so an echoed push is still delivered', () => {
    const s = createConversationState('c');
    const r = recorder();
    noteOwnAck(s, 1);
    expect(s.lastSeq).toBe(0);
    expect(receive(s, msg(1), 0, r.sink)).toBe('delivered');
    expect(s.ownAcked).toBeUndefined();
  });

  it('a reset drops everything held past its seq and lets later seqs be delivered again', () => {
    const s = createConversationState('c');
    const r = recorder();
    for (const seq of [1, 2, 3, 4]) receive(s, msg(seq), 0, r.sink);
    receive(s, msg(6), 0, r.sink);
    resetTo(s, 2);
    expect(s.lastSeq).toBe(2);
    expect(s.held).toBeUndefined();
    expect(s.gapSince).toBeUndefined();
    expect(receive(s, { seq: 3, cmid: 'other', from: 'v', via: 'sync' }, 1, r.sink)).toBe('delivered');
    expect(r.delivered.at(-1)).toEqual({ seq: 3, cmid: 'other', from: 'v', via: 'sync' });
  });

  it('the deadline is the sync timeout while a sync is in flight, else the earlier of gap wait and retry', () => {
    const s: ConversationState = createConversationState('c');
    expect(conversationDeadline(s, 100, 1000)).toBe(Number.POSITIVE_INFINITY);
    s.gapSince = 10;
    expect(conversationDeadline(s, 100, 1000)).toBe(110);
    s.syncRetryAt = 50;
    expect(conversationDeadline(s, 100, 1000)).toBe(50);
    s.sync = { afterSeq: 0, sentAt: 20 };
    expect(conversationDeadline(s, 100, 1000)).toBe(1020);
    s.sync = undefined;
    s.syncRetryAt = undefined;
    s.syncDisabled = true;
    expect(conversationDeadline(s, 100, 1000)).toBe(Number.POSITIVE_INFINITY);
  });

  it('whatever order and duplication pushes arrive in, each seq is delivered once and in order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 60 }),
        fc.infiniteStream(fc.integer({ min: 0, max: 1_000_000 })),
        (n, extras, keys) => {
          const arrivals = [...Array.from({ length: n }, (_, i) => i + 1), ...extras.filter((x) => x <= n)];
          const order = arrivals
            .map((seq) => ({ seq, key: keys.next().value as number }))
            .sort((a, b) => a.key - b.key);
          const s = createConversationState('c');
          const r = recorder();
          for (const { seq } of order) receive(s, msg(seq), 0, r.sink);
          expect(r.seqs()).toEqual(Array.from({ length: n }, (_, i) => i + 1));
          expect(s.held).toBeUndefined();
        },
      ),
      { seed: 42, numRuns: 200 },
    );
  });
});

describe('notePush', () => {
  it('flags a new message pushed below a seq already pushed on the same connection', () => {
    const state = createConversationState('c');
    expect(notePush(state, 1, 1)).toBe(false);
    state.lastSeq = 1;
    expect(notePush(state, 1, 3)).toBe(false);
    expect(notePush(state, 1, 2)).toBe(true);
  });

  it('does not flag re-pushes of delivered seqs, or pushes on a new connection', () => {
    const state = createConversationState('c');
    state.lastSeq = 5;
    expect(notePush(state, 1, 6)).toBe(false);
    // A seq at or below the watermark is a duplicate, which the duplicate check owns.
    expect(notePush(state, 1, 4)).toBe(false);
    // A new connection starts its own push order.
    expect(notePush(state, 2, 6)).toBe(false);
    expect(state.pushedMax).toBe(6);
  });
});
