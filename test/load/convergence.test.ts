import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventOf } from '../../contracts/history.ts';
import type { TargetSession } from '../../contracts/target.ts';
import { awaitConvergence, recordFinalReads } from '../../load/convergence.ts';
import { readHistorySync } from '../../load/reader.ts';
import { createRecorder, type HistoryRecorder } from '../../load/recorder.ts';
import { createFakeTarget, type FakeTarget, type FakeTargetOptions } from './fake-target.ts';

let dir: string;
let recorder: HistoryRecorder;
const targets: FakeTarget[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'chatquake-convergence-'));
  recorder = createRecorder(join(dir, 'history.jsonl'));
});
afterEach(async () => {
  for (const t of targets.splice(0)) t.dispose();
  await recorder.close();
  rmSync(dir, { recursive: true, force: true });
});

const REGIONS = ['eu', 'us', 'ap'];
const CONVS = [
  { id: 'c1', members: ['a', 'b'] },
  { id: 'c2', members: ['a', 'b', 'c'] },
  { id: 'c3', members: ['b', 'c'], residency: ['eu'] },
];

/** A fake target with a few acked messages in each conversation. */
async function seeded(options: FakeTargetOptions): Promise<FakeTarget> {
  const target = createFakeTarget({ regions: REGIONS, ...options });
  targets.push(target);
  for (const c of CONVS) await target.createConversation(c);
  const acked = new Set<string>();
  const sessions: TargetSession[] = [];
  for (const user of ['a', 'b', 'c']) {
    sessions.push(
      target.connect({
        user,
        region: 'eu',
        conversations: [],
        onEvent: (e) => {
          if (e.type === 'acked') acked.add(e.cmid);
        },
      }),
    );
  }
  await new Promise((r) => setTimeout(r, 20));
  let n = 0;
  for (const c of CONVS) {
    for (let i = 0; i < 4; i++) sessions[i % 2]!.send(c.id, `m${n++}`, 'x');
  }
  const until = performance.now() + 2000;
  while (acked.size < n && performance.now() < until) await new Promise((r) => setTimeout(r, 5));
  expect(acked.size).toBe(n);
  for (const s of sessions) await s.close();
  return target;
}

function regionsOf(c: { residency?: string[] }): string[] {
  return c.residency ?? REGIONS;
}

function digests(): EventOf<'digest'>[] {
  recorder.flush();
  return readHistorySync(recorder.path).events.filter((e): e is EventOf<'digest'> => e.type === 'digest');
}

describe('awaitConvergence', () => {
  it('waits for regions that converge late, polling until they agree', async () => {
    const target = await seeded({ replicationDelayMs: 900 });
    const result = await awaitConvergence({
      target,
      conversations: CONVS.map((c) => ({ id: c.id, regions: regionsOf(c) })),
      recorder,
      deadlineMs: 10_000,
      pollMs: 100,
    });
    expect(result.converged.sort()).toEqual(['c1', 'c2', 'c3']);
    expect(result.notConverged).toEqual([]);
    expect(result.elapsedMs).toBeGreaterThan(500);
    expect(result.elapsedMs).toBeLessThan(5000);
    const seen = digests();
    // Early polls saw the replicas behind the home region; the last poll per region agrees.
    const c1 = seen.filter((d) => d.conv === 'c1');
    expect(c1.some((d) => d.region !== 'eu' && d.count < 4)).toBe(true);
    const last = new Map(c1.map((d) => [d.region, d]));
    expect([...last.keys()].sort()).toEqual(['ap', 'eu', 'us']);
    expect(new Set([...last.values()].map((d) => `${d.count}/${d.lastSeq}/${d.hash}`)).size).toBe(1);
    // A resident conversation is only asked of its region.
    expect(new Set(seen.filter((d) => d.conv === 'c3').map((d) => d.region))).toEqual(new Set(['eu']));
  });

  it('gives up at the deadline on a region that never converges', async () => {
    const target = await seeded({ replicationDelayMs: 0, diverge: { region: 'ap', convs: ['c2'] } });
    const started = performance.now();
    const result = await awaitConvergence({
      target,
      conversations: CONVS.map((c) => ({ id: c.id, regions: regionsOf(c) })),
      recorder,
      deadlineMs: 800,
      pollMs: 100,
    });
    expect(result.notConverged).toEqual(['c2']);
    expect(result.converged.sort()).toEqual(['c1', 'c3']);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(result.elapsedMs).toBeGreaterThanOrEqual(700);
    // The diverging conversation was polled repeatedly; converged ones stop being polled.
    const seen = digests();
    expect(seen.filter((d) => d.conv === 'c2' && d.region === 'ap').length).toBeGreaterThan(3);
    expect(seen.filter((d) => d.conv === 'c1' && d.region === 'ap')).toHaveLength(1);
  });

  it('does not call a conversation converged while one of its regions cannot answer', async () => {
    const target = await seeded({});
    target.setRegionDown('us', true);
    const result = await awaitConvergence({
      target,
      conversations: [{ id: 'c1', regions: REGIONS }],
      recorder,
      deadlineMs: 400,
      pollMs: 50,
    });
    expect(result.notConverged).toEqual(['c1']);
    expect(digests().some((d) => d.region === 'us')).toBe(false);
  });

  it('stops when aborted', async () => {
    const target = await seeded({ diverge: { region: 'ap', convs: ['c1'] } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const started = performance.now();
    const result = await awaitConvergence({
      target,
      conversations: [{ id: 'c1', regions: REGIONS }],
      recorder,
      deadlineMs: 30_000,
      pollMs: 50,
      signal: controller.signal,
    });
    expect(performance.now() - started).toBeLessThan(1500);
    expect(result.notConverged).toEqual(['c1']);
  });
});

describe('recordFinalReads', () => {
  it('records one final read per region and conversation, failures included', async () => {
    const target = await seeded({ replicationDelayMs: 0 });
    target.setRegionDown('ap', true);
    await recordFinalReads({
      target,
      conversations: CONVS.map((c) => ({ id: c.id, regions: REGIONS })),
      recorder,
      concurrency: 2,
    });
    recorder.flush();
    const reads = readHistorySync(recorder.path).events.filter(
      (e): e is EventOf<'final_read'> => e.type === 'final_read',
    );
    expect(reads).toHaveLength(9);
    const byKey = new Map(reads.map((r) => [`${r.region}/${r.conv}`, r]));
    expect(byKey.size).toBe(9);
    for (const conv of ['c1', 'c2', 'c3']) {
      const ap = byKey.get(`ap/${conv}`)!;
      expect(ap.ok).toBe(false);
      expect(ap.error).toMatch(/down/);
      expect(ap.messages).toEqual([]);
    }
    const eu = byKey.get('eu/c1')!;
    expect(eu.ok).toBe(true);
    expect(eu.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    expect(eu.messages.map((m) => m.from)).toEqual(['a', 'b', 'a', 'b']);
    expect(byKey.get('us/c1')!.messages).toEqual(eu.messages);
    // Outside its residency a conversation reads as empty here; the residency check judges that.
    expect(byKey.get('eu/c3')!.messages).toHaveLength(4);
    expect(byKey.get('us/c3')!.ok).toBe(true);
    expect(byKey.get('us/c3')!.messages).toEqual([]);
  });
});
