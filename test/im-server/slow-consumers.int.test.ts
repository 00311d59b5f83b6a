// Slow consumers (issue 12): a thousand sessions that stop reading, held against one node while
// a member keeps posting to a conversation they all belong to. The node must drop them once
// their unread frames pass its buffered-bytes limits, so its memory stays under a stated bound,
// while the clients that do read keep their latency; a dropped reader that reads again finds the
// end of its connection and catches up by sync, byte for byte.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../../lib/async.ts';
import { type Cluster, startCluster } from '../support/cluster.ts';
import { openStalledReader, type StalledReader, textFrames } from './stalled-readers.ts';
import { connect, type Frame, isAckOrError, type TestClient } from './ws-client.ts';

const NODE = 'solo/n1';
const STALLED = 1000;
const MESSAGES = 60;
const BODY_BYTES = 8 * 1024;
/** The node's limits in this test: 256 KiB unread per session, 32 MiB for all sessions together. */
const PER_SESSION = 256 * 1024;
const NODE_TOTAL = 32 * 1024 * 1024;
/**
 * The stated bounds while the readers are stalled. The node's RSS grows by less than its
 * buffer budget plus 64 MiB for everything else (a frame in flight per session, garbage not yet
 * collected, allocator slack). The kernel's TCP buffers, where a stalled reader's bytes wait
 * first, grow by less than a quarter of the per-session limit (where the node sheds sessions
 * once over its total) plus a frame, per stalled reader, plus 32 MiB. Without the limits the
 * kernel held every byte sent to them here: about 480 MiB.
 */
const RSS_BOUND = NODE_TOTAL + 64 * 1024 * 1024;
const KERNEL_BOUND = STALLED * (PER_SESSION / 4 + 2 * BODY_BYTES) + 32 * 1024 * 1024;

/** Bytes in the kernel's TCP buffers (Linux, this network namespace), or null elsewhere. */
function kernelTcpBytes(): number | null {
  try {
    const line = readFileSync('/proc/net/sockstat', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('TCP:'));
    const pages = line === undefined ? Number.NaN : Number(/ mem (\d+)/.exec(line)?.[1]);
    return Number.isFinite(pages) ? pages * 4096 : null;
  } catch {
    return null;
  }
}

let cluster: Cluster;
const readers: StalledReader[] = [];
const clients: TestClient[] = [];

beforeAll(async () => {
  cluster = await startCluster({
    regions: ['solo'],
    directory: false,
    serverArgs: [
      '--max-buffered-bytes',
      String(PER_SESSION),
      '--max-buffered-total-bytes',
      String(NODE_TOTAL),
    ],
  });
  const members = ['talker', 'listener', ...Array.from({ length: STALLED }, (_, i) => `st${i}`)];
  const created = await cluster.admin(NODE, 'POST', '/admin/conversations', { id: 'crowd', members });
  expect(created.status).toBe(201);
});
afterAll(async () => {
  for (const r of readers.splice(0)) r.destroy();
  await Promise.all(clients.splice(0).map((c) => c.close().catch(() => {})));
  await cluster?.stop();
});

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${cluster.node('solo').url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Samples the node's RSS (and `alsoSample`) every 100 ms until stopped; the highest RSS seen. */
function watchRss(alsoSample: () => void): { stop(): Promise<number> } {
  let running = true;
  let max = 0;
  const loop = (async () => {
    while (running) {
      alsoSample();
      max = Math.max(max, await metric('process_resident_memory_bytes'));
      await sleep(100);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return max;
    },
  };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

const bodyOf = (i: number): string => `${String(i).padStart(4, '0')}:${'é'.repeat(BODY_BYTES / 2 - 3)}`;

describe('a thousand stalled readers against one node', () => {
  it('drops them past the buffered-bytes limits, keeps memory bounded and the readers’ latency', async () => {
    const { port } = new URL(cluster.node('solo').url);
    for (let i = 0; i < STALLED; i += 50) {
      const batch = Array.from({ length: Math.min(50, STALLED - i) }, (_, j) =>
        openStalledReader('127.0.0.1', Number(port), cluster.token(`st${i + j}`)),
      );
      readers.push(...(await Promise.all(batch)));
    }
    const talker = await connect(cluster.node('solo').wsUrl, cluster.token('talker'));
    const listener = await connect(cluster.node('solo').wsUrl, cluster.token('listener'));
    clients.push(talker, listener);
    await listener.waitFor((f) => f.type === 'welcome');
    expect(await metric('imserver_ws_sessions')).toBe(STALLED + 2);

    const rss0 = await metric('process_resident_memory_bytes');
    const kernel0 = kernelTcpBytes();
    let kernelMax = 0;
    const rss = watchRss(() => {
      kernelMax = Math.max(kernelMax, kernelTcpBytes() ?? 0);
    });
    const ackMs: number[] = [];
    const pushMs: number[] = [];
    const acks: Frame[] = [];
    const started = Date.now();
    for (let i = 0; i < MESSAGES; i++) {
      const cmid = `c${i}`;
      const t0 = performance.now();
      talker.send({ type: 'send', conv: 'crowd', cmid, body: bodyOf(i) });
      const ack = await talker.waitFor(isAckOrError(cmid), 10_000, `ack of ${cmid}`);
      expect(ack.type).toBe('ack');
      acks.push(ack);
      ackMs.push(performance.now() - t0);
      await listener.waitFor((f) => f.type === 'msg' && f.cmid === cmid, 10_000, `push of ${cmid}`);
      pushMs.push(performance.now() - t0);
    }
    // Let the node's drops and the sweep of its buffers settle before the last samples.
    await sleep(1500);
    const maxRss = await rss.stop();
    const elapsed = Date.now() - started;

    const dropped = await metric('imserver_slow_consumers_total');
    const growth = maxRss - rss0;
    const kernelGrowth = kernel0 === null ? null : kernelMax - kernel0;
    const summary = {
      kernelGrowthMiB: kernelGrowth === null ? null : kernelGrowth / 2 ** 20,
      growthMiB: growth / 2 ** 20,
      dropped,
      elapsed,
      ackP50: percentile(ackMs, 50),
      ackMax: Math.max(...ackMs),
      pushMax: Math.max(...pushMs),
    };
    // Nearly every stalled reader has been dropped: each was sent far more than the limit allows.
    expect(dropped, JSON.stringify(summary)).toBeGreaterThanOrEqual(STALLED * 0.9);
    expect(growth, JSON.stringify(summary)).toBeLessThan(RSS_BOUND);
    // Not on Linux there is no /proc/net/sockstat to read; the node's own bound still holds.
    if (kernelGrowth !== null) expect(kernelGrowth, JSON.stringify(summary)).toBeLessThan(KERNEL_BOUND);
    expect(await metric('imserver_ws_unread_bytes'), JSON.stringify(summary)).toBeLessThan(NODE_TOTAL);
    // The readers that read kept their latency: no ack or push took more than 2 s on 2 busy
    // cores, and half the acks came within 250 ms.
    expect(Math.max(...ackMs), JSON.stringify(summary)).toBeLessThan(2000);
    expect(Math.max(...pushMs), JSON.stringify(summary)).toBeLessThan(2000);
    expect(percentile(ackMs, 50), JSON.stringify(summary)).toBeLessThan(250);
    expect(listener.frames.filter((f) => f.type === 'msg').map((f) => f.body)).toEqual(
      Array.from({ length: MESSAGES }, (_, i) => bodyOf(i)),
    );

    // A dropped reader that reads again finds the end of its connection after what it was sent,
    // then catches up by sync: every message, byte for byte, in order.
    for (const index of [0, 499, 999]) {
      const { bytes, ended } = await readers[index]!.resume(5000);
      expect(ended, `reader ${index}`).toBe(true);
      const { texts } = textFrames(bytes);
      const seen = texts.map((t) => JSON.parse(t) as Frame).filter((f) => f.type === 'msg');
      expect(seen.length, `reader ${index}`).toBeLessThan(MESSAGES);
      const again = await connect(cluster.node('solo').wsUrl, cluster.token(`st${index}`));
      clients.push(again);
      again.send({ type: 'sync', conv: 'crowd', afterSeq: 0 });
      await again.waitFor((f) => f.type === 'synced', 10_000, 'synced');
      const synced = again.frames.filter((f) => f.type === 'msg');
      expect(synced.map((f) => f.seq)).toEqual(acks.map((a) => a.seq));
      expect(synced.map((f) => f.body)).toEqual(Array.from({ length: MESSAGES }, (_, i) => bodyOf(i)));
      await again.close();
    }
  });
});
