import { describe, expect, it } from 'vitest';
import { createOutbox, entryAction, entryDeadline } from '../../client/outbox.ts';

const timeouts = { sendTimeoutMs: 1000, ackTimeoutMs: 100 };

describe('outbox', () => {
  it('keeps entries in the order they were added and refuses a pending (conv, cmid) twice', () => {
    const outbox = createOutbox();
    expect(outbox.add('c1', 'm1', 'f1', 0)).toBeDefined();
    expect(outbox.add('c2', 'm1', 'f2', 1)).toBeDefined();
    expect(outbox.add('c1', 'm2', 'f3', 2)).toBeDefined();
    expect(outbox.add('c1', 'm1', 'other', 3)).toBeUndefined();
    expect([...outbox.entries()].map((e) => `${e.conv}/${e.cmid}/${e.frame}`)).toEqual([
      'c1/m1/f1',
      'c2/m1/f2',
      'c1/m2/f3',
    ]);
    expect(outbox.size).toBe(3);
  });

  it('take removes exactly one entry and a second take finds nothing', () => {
    const outbox = createOutbox();
    outbox.add('c', 'a', 'f', 0);
    outbox.add('c', 'b', 'f', 0);
    expect(outbox.take('c', 'a')?.cmid).toBe('a');
    expect(outbox.take('c', 'a')).toBeUndefined();
    expect(outbox.has('c', 'b')).toBe(true);
    expect(outbox.size).toBe(1);
  });

  it('drain empties the outbox and returns everything in order', () => {
    const outbox = createOutbox();
    outbox.add('c', 'a', 'f', 0);
    outbox.add('c', 'b', 'f', 0);
    expect(outbox.drain().map((e) => e.cmid)).toEqual(['a', 'b']);
    expect(outbox.size).toBe(0);
  });

  it('while disconnected an entry only waits for its send timeout', () => {
    const entry = createOutbox().add('c', 'a', 'f', 50)!;
    expect(entryDeadline(entry, 0, timeouts)).toBe(1050);
    expect(entryAction(entry, 0, 1049, timeouts)).toBe('wait');
    expect(entryAction(entry, 0, 1050, timeouts)).toBe('expire');
  });

  it('on a connection it was not sent on, an entry is due at once', () => {
    const entry = createOutbox().add('c', 'a', 'f', 0)!;
    entry.sentOn = 1;
    entry.sentAt = 10;
    expect(entryDeadline(entry, 2, timeouts)).toBe(0);
    expect(entryAction(entry, 2, 20, timeouts)).toBe('transmit');
  });

  it('on the connection it was sent on, an entry is resent after the ack timeout', () => {
    const entry = createOutbox().add('c', 'a', 'f', 0)!;
    entry.sentOn = 3;
    entry.sentAt = 10;
    expect(entryDeadline(entry, 3, timeouts)).toBe(110);
    expect(entryAction(entry, 3, 109, timeouts)).toBe('wait');
    expect(entryAction(entry, 3, 110, timeouts)).toBe('transmit');
  });

  it('an unavailable answer holds the entry until its retry time, but never past the send timeout', () => {
    const entry = createOutbox().add('c', 'a', 'f', 0)!;
    entry.sentOn = 1;
    entry.sentAt = 10;
    entry.retryAt = 500;
    expect(entryDeadline(entry, 1, timeouts)).toBe(500);
    expect(entryAction(entry, 1, 200, timeouts)).toBe('wait');
    expect(entryAction(entry, 1, 500, timeouts)).toBe('transmit');
    entry.retryAt = 5000;
    expect(entryDeadline(entry, 1, timeouts)).toBe(1000);
    expect(entryAction(entry, 1, 1000, timeouts)).toBe('expire');
  });
});
