// The node's flow accounting towards one client (im-server/sessions/flow.ts), without sockets:
// bytes written count as unread until a pong answers a ping sent after them; past the
// per-session limit, or over the node's total while well behind, the session is dropped with
// 1013 and destroyed a second later; a sync answer waits for room.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { WebSocket } from 'ws';
import { createMetrics } from '../../im-server/metrics.ts';
import {
  createNodeFlow,
  createSessionFlow,
  DROP_GRACE_MS,
  mayWrite,
  type NodeFlow,
  noteWritten,
  onPong,
  release,
  type SessionFlow,
  STALL_TIMEOUT_MS,
  unread,
  waitForRoom,
} from '../../im-server/sessions/flow.ts';
import { createRateBucket, takeToken } from '../../im-server/sessions/rate.ts';

interface FakeSocket {
  ws: WebSocket;
  pings: string[];
  closed: { code: number; reason: string } | null;
  terminated: boolean;
  buffered: number;
}

function fakeSocket(): FakeSocket {
  const fake: FakeSocket = { ws: {} as WebSocket, pings: [], closed: null, terminated: false, buffered: 0 };
  fake.ws = {
    ping: (data: string) => fake.pings.push(data),
    close: (code: number, reason: string) => {
      fake.closed = { code, reason };
    },
    terminate: () => {
      fake.terminated = true;
    },
    get bufferedAmount() {
      return fake.buffered;
    },
  } as unknown as WebSocket;
  return fake;
}

const KiB = 1024;
let node: NodeFlow;
const metrics = () =>
  createMetrics(
    { region: 'r', node: 'n' },
    {
      leaseValid: () => true,
      clockOffsetMs: () => 0,
      homedConversations: () => 0,
      replicationLag: () => new Map(),
      unreadBytes: () => 0,
    },
  );

beforeEach(() => {
  node = createNodeFlow({ maxBufferedBytes: 64 * KiB, maxBufferedTotalBytes: 100 * KiB }, metrics());
});
afterEach(() => {
  vi.useRealTimers();
});

function write(f: SessionFlow, s: FakeSocket, bytes: number): boolean {
  if (!mayWrite(node, f, s.ws, bytes)) return false;
  noteWritten(node, f, s.ws, bytes);
  return true;
}

describe('flow accounting', () => {
  it('counts bytes as unread until the pong of a ping sent after them', () => {
    const s = fakeSocket();
    const f = createSessionFlow('n1');
    expect(write(f, s, 4 * KiB)).toBe(true);
    expect(s.pings).toEqual([]);
    expect(write(f, s, 4 * KiB)).toBe(true);
    // An eighth of the limit is unread: a receipt is asked for.
    expect(s.pings).toEqual(['n1:1']);
    expect(write(f, s, 2 * KiB)).toBe(true);
    expect(s.pings).toHaveLength(1);
    expect([unread(f), node.total]).toEqual([10 * KiB, 10 * KiB]);
    onPong(node, f, s.ws, Buffer.from('someone else’s pong'));
    expect(unread(f)).toBe(10 * KiB);
    onPong(node, f, s.ws, Buffer.from('n1:1'));
    // Read up to the ping; what came after it is still unread.
    expect([unread(f), node.total]).toEqual([2 * KiB, 2 * KiB]);
    onPong(node, f, s.ws, Buffer.from('n1:1'));
    expect(unread(f)).toBe(2 * KiB);
  });

  it('drops a session past its limit with 1013, and destroys it after the grace', () => {
    vi.useFakeTimers();
    const s = fakeSocket();
    const f = createSessionFlow('n1');
    for (let i = 0; i < 8; i++) expect(write(f, s, 8 * KiB)).toBe(true);
    expect(write(f, s, 1)).toBe(false);
    expect(s.closed).toEqual({ code: 1013, reason: expect.stringMatching(/slow consumer/) });
    expect(s.terminated).toBe(false);
    vi.advanceTimersByTime(DROP_GRACE_MS);
    expect(s.terminated).toBe(true);
    expect(write(f, s, 1)).toBe(false);
    release(node, f);
    expect(node.total).toBe(0);
  });

  it('lets a single frame larger than the limit through to a session that has read everything', () => {
    const s = fakeSocket();
    const f = createSessionFlow('n1');
    expect(write(f, s, 100 * KiB)).toBe(true);
    expect(s.closed).toBeNull();
  });

  it('drops on what ws itself buffers even when pongs claim everything was read', () => {
    const s = fakeSocket();
    const f = createSessionFlow('n1');
    write(f, s, 1 * KiB);
    s.buffered = 65 * KiB;
    expect(write(f, s, 1)).toBe(false);
    expect(s.closed?.code).toBe(1013);
  });

  it('over the node’s total, drops the sessions well behind and spares the ones that read', () => {
    const reader = fakeSocket();
    const readerFlow = createSessionFlow('a');
    const stalled = [fakeSocket(), fakeSocket()];
    const stalledFlows = [createSessionFlow('b'), createSessionFlow('c')];
    for (let i = 0; i < 2; i++) for (let k = 0; k < 6; k++) write(stalledFlows[i]!, stalled[i]!, 8 * KiB);
    expect(node.total).toBe(96 * KiB);
    // The reader keeps little unread: it is never the one shed.
    expect(write(readerFlow, reader, 8 * KiB)).toBe(true);
    expect(reader.closed).toBeNull();
    expect(write(stalledFlows[0]!, stalled[0]!, 1 * KiB)).toBe(false);
    expect(stalled[0]!.closed?.code).toBe(1013);
    release(node, stalledFlows[0]!);
    expect(node.total).toBe(56 * KiB);
    expect(write(stalledFlows[1]!, stalled[1]!, 1 * KiB)).toBe(true);
  });

  it('makes a large answer wait for room, and drops a client that reads nothing in time', async () => {
    vi.useFakeTimers();
    const s = fakeSocket();
    const f = createSessionFlow('n1');
    write(f, s, 40 * KiB);
    let room: boolean | undefined;
    void waitForRoom(node, f, s.ws).then((r) => {
      room = r;
    });
    await vi.advanceTimersByTimeAsync(100);
    expect(room).toBeUndefined();
    onPong(node, f, s.ws, Buffer.from(s.pings.at(-1)!));
    await vi.advanceTimersByTimeAsync(0);
    expect(room).toBe(true);

    write(f, s, 40 * KiB);
    let stalled: boolean | undefined;
    void waitForRoom(node, f, s.ws).then((r) => {
      stalled = r;
    });
    await vi.advanceTimersByTimeAsync(STALL_TIMEOUT_MS + 10);
    expect(stalled).toBe(false);
    expect(s.closed?.code).toBe(1013);
  });
});

describe('frame rate', () => {
  it('allows a burst of one second’s worth, then the rate', () => {
    const bucket = createRateBucket(10, 0);
    const taken = Array.from({ length: 15 }, () => takeToken(bucket, 10, 0));
    expect(taken.filter(Boolean)).toHaveLength(10);
    expect(takeToken(bucket, 10, 99)).toBe(false);
    expect(takeToken(bucket, 10, 100)).toBe(true);
    expect(takeToken(bucket, 10, 100)).toBe(false);
    // Idle time refills no more than the burst.
    expect(Array.from({ length: 20 }, () => takeToken(bucket, 10, 60_000)).filter(Boolean)).toHaveLength(10);
  });
});
