// Flow control towards clients: how many bytes each session has been sent that its client has
// not yet shown it read. A client that stops reading must not grow the node without bound
// (issue 12), and what `ws` buffers (bufferedAmount) misses most of it: the kernel's socket
// buffers absorb megabytes per connection before the node's own queue grows at all. So the node
// counts what it wrote, and a ping sent after those bytes is the receipt: its pong can only
// come once the client has read everything before it. Past a session's limit, or when the
// node's total is over its budget and the session is well behind in its reading, the session is
// closed as a slow consumer (1013) and destroyed a moment later (a client that does not read
// would never see the close frame); its client reconnects and syncs. A sync answer, which may
// be large, waits for room instead of overflowing a client that reads slowly but does read.
import type { WebSocket } from 'ws';
import { CloseCode } from '../../contracts/wire.ts';
import type { NodeMetrics } from '../metrics.ts';

export interface FlowLimits {
  /** Unread bytes one session may have. */
  maxBufferedBytes: number;
  /** Unread bytes all sessions together may have before big holders are dropped. */
  maxBufferedTotalBytes: number;
}

/** One session's account. `sent - acked` bytes are unread as far as the node knows. */
export interface SessionFlow {
  sent: number;
  acked: number;
  /** The ping in flight: its payload, and `sent` when it went out. */
  ping: { tag: string; mark: number } | null;
  /** Prefix of every ping payload of this session. */
  readonly nonce: string;
  pings: number;
  dropped: boolean;
  /** Sync answers waiting for room, woken on every receipt and on close. */
  readonly waiters: Set<() => void>;
}

/** The node's side: limits and the total over every open session. */
export interface NodeFlow {
  readonly limits: FlowLimits;
  readonly metrics: NodeMetrics;
  total: number;
}

/** How long a dropped session's close frame is given before the socket is destroyed. */
export const DROP_GRACE_MS = 1000;
/** How long a sync answer waits for a client to read before it is dropped as stalled. */
export const STALL_TIMEOUT_MS = 10_000;

export function createNodeFlow(limits: FlowLimits, metrics: NodeMetrics): NodeFlow {
  return { limits, metrics, total: 0 };
}

export function createSessionFlow(nonce: string): SessionFlow {
  return { sent: 0, acked: 0, ping: null, nonce, pings: 0, dropped: false, waiters: new Set() };
}

export const unread = (f: SessionFlow): number => f.sent - f.acked;

/** Ping once an eighth of the limit is unread, so a reading client's receipt comes in time. */
const pingAfter = (node: NodeFlow): number => Math.floor(node.limits.maxBufferedBytes / 8);
/**
 * While the node is over its total, a session with more than a quarter of its limit unread is
 * dropped at its next frame: twice what a client that reads keeps unread between receipts, so
 * the ones that are behind go first.
 */
const behind = (node: NodeFlow): number => Math.floor(node.limits.maxBufferedBytes / 4);

function ping(f: SessionFlow, ws: WebSocket): void {
  if (f.ping !== null || f.dropped) return;
  f.ping = { tag: `${f.nonce}:${++f.pings}`, mark: f.sent };
  ws.ping(f.ping.tag);
}

/** Closes a session that leaves too much unread: 1013 now, destroyed after a grace. */
export function dropSlow(
  node: NodeFlow,
  f: SessionFlow,
  ws: WebSocket,
  limit: 'session' | 'node' | 'stalled',
) {
  if (f.dropped) return;
  f.dropped = true;
  node.metrics.slowConsumers.inc({ limit });
  ws.close(CloseCode.slowConsumer, 'slow consumer: read faster, reconnect and sync');
  setTimeout(() => ws.terminate(), DROP_GRACE_MS).unref();
  wake(f);
}

/**
 * Whether `bytes` more may be written to the session now; drops it (and answers false) when
 * they would take it past its limit, or when the node is over budget and it is well behind.
 * What `ws` itself buffers is checked too, in case a client answers pings it has not earned.
 */
export function mayWrite(node: NodeFlow, f: SessionFlow, ws: WebSocket, bytes: number): boolean {
  if (f.dropped) return false;
  const { maxBufferedBytes, maxBufferedTotalBytes } = node.limits;
  const held = unread(f);
  if (held > 0 && (held + bytes > maxBufferedBytes || ws.bufferedAmount > maxBufferedBytes)) {
    dropSlow(node, f, ws, 'session');
    return false;
  }
  if (node.total + bytes > maxBufferedTotalBytes && held > behind(node)) {
    dropSlow(node, f, ws, 'node');
    return false;
  }
  return true;
}

/** Counts `bytes` just written, and asks for a receipt once enough is unread. */
export function noteWritten(node: NodeFlow, f: SessionFlow, ws: WebSocket, bytes: number): void {
  f.sent += bytes;
  node.total += bytes;
  if (unread(f) >= pingAfter(node)) ping(f, ws);
}

/** A pong: if it answers our ping, everything sent before that ping has been read. */
export function onPong(node: NodeFlow, f: SessionFlow, ws: WebSocket, data: Buffer): void {
  const p = f.ping;
  if (p === null || data.toString('latin1') !== p.tag) return;
  f.ping = null;
  node.total -= p.mark - f.acked;
  f.acked = p.mark;
  if (unread(f) >= pingAfter(node)) ping(f, ws);
  wake(f);
}

/** The session closed: nothing it holds counts any more. */
export function release(node: NodeFlow, f: SessionFlow): void {
  node.total -= unread(f);
  f.acked = f.sent;
  f.ping = null;
  f.dropped = true;
  wake(f);
}

function wake(f: SessionFlow): void {
  for (const waiter of [...f.waiters]) waiter();
}

/**
 * Waits until the session has room for a large answer (at most half its limit unread), pinging
 * for a receipt. False when it was closed, or dropped because it read nothing in time.
 */
export async function waitForRoom(node: NodeFlow, f: SessionFlow, ws: WebSocket): Promise<boolean> {
  const room = node.limits.maxBufferedBytes / 2;
  if (unread(f) <= room) return !f.dropped;
  const deadline = performance.now() + STALL_TIMEOUT_MS;
  while (!f.dropped && unread(f) > room) {
    const left = deadline - performance.now();
    if (left <= 0) {
      dropSlow(node, f, ws, 'stalled');
      return false;
    }
    ping(f, ws);
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        f.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, left);
      f.waiters.add(done);
    });
  }
  return !f.dropped;
}
