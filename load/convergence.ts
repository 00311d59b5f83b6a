// After the load stops and faults are healed: poll every region's digest of every conversation
// until the regions agree or a deadline passes, then read each region's final log. Both record
// what they saw, so the checkers judge convergence and residency from the history alone.

import type { MessagingTarget, RegionDigest } from '../contracts/target.ts';
import { sleep } from '../lib/async.ts';
import type { HistoryRecorder } from './recorder.ts';

export interface ConvergenceTarget {
  id: string;
  /** Regions that should hold the conversation (its residency, or every region). */
  regions: string[];
}

export interface AwaitConvergenceOptions {
  target: MessagingTarget;
  conversations: ConvergenceTarget[];
  recorder: HistoryRecorder;
  /** Give up after this long; default 30000 ms. */
  deadlineMs?: number;
  /** Pause between polling rounds; default 500 ms. */
  pollMs?: number;
  signal?: AbortSignal;
  /** Digest requests in flight at once; default 16. */
  concurrency?: number;
}

export interface ConvergenceResult {
  converged: string[];
  notConverged: string[];
  elapsedMs: number;
}

/** Harness wall-clock ms, as the rest of the history. */
const wall = (): number => performance.timeOrigin + performance.now();

/** Runs `work` over `items` with at most `limit` in flight. */
async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

/** Resolves to undefined when `promise` does not settle within `ms`, or rejects. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(undefined), Math.max(0, ms));
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

function agree(digests: (RegionDigest | undefined)[]): boolean {
  const first = digests[0];
  if (!first) return false;
  // An index loop, not every(): a region that did not answer is a hole, and every() skips holes.
  for (let i = 1; i < digests.length; i++) {
    const d = digests[i];
    if (d === undefined || d.count !== first.count || d.lastSeq !== first.lastSeq || d.hash !== first.hash)
      return false;
  }
  return true;
}

export async function awaitConvergence(options: AwaitConvergenceOptions): Promise<ConvergenceResult> {
  const { target, recorder, signal } = options;
  const deadlineMs = options.deadlineMs ?? 30_000;
  const pollMs = options.pollMs ?? 500;
  const concurrency = options.concurrency ?? 16;
  const started = performance.now();
  const deadline = started + deadlineMs;

  const converged = new Set<string>();
  let pending = options.conversations.filter((c) => c.regions.length > 0);
  // A conversation no region should hold has nothing to agree on.
  for (const c of options.conversations) if (c.regions.length === 0) converged.add(c.id);

  while (pending.length > 0 && !signal?.aborted) {
    const round = new Map<string, (RegionDigest | undefined)[]>();
    const requests = pending.flatMap((c) => c.regions.map((region, i) => ({ conv: c, region, i })));
    for (const c of pending)
      round.set(
        c.id,
        c.regions.map(() => undefined),
      );
    await eachLimited(requests, concurrency, async ({ conv, region, i }) => {
      const left = deadline - performance.now();
      if (left <= 0 || signal?.aborted) return;
      // A region that errors or does not answer has not converged; the next round asks again.
      const digest = await within(target.digest(region, conv.id), left).catch(() => undefined);
      if (!digest) return;
      recorder.append({
        type: 'digest',
        t: wall(),
        region,
        conv: conv.id,
        count: digest.count,
        lastSeq: digest.lastSeq,
        hash: digest.hash,
      });
      (round.get(conv.id) as (RegionDigest | undefined)[])[i] = digest;
    });
    for (const c of pending) if (agree(round.get(c.id) as (RegionDigest | undefined)[])) converged.add(c.id);
    pending = pending.filter((c) => !converged.has(c.id));
    const left = deadline - performance.now();
    if (pending.length === 0 || left <= 0) break;
    await sleep(Math.min(pollMs, left), signal);
  }

  const all = options.conversations.map((c) => c.id);
  return {
    converged: all.filter((id) => converged.has(id)),
    notConverged: all.filter((id) => !converged.has(id)),
    elapsedMs: performance.now() - started,
  };
}

export interface FinalReadsOptions {
  target: MessagingTarget;
  /** Every region for every conversation, also those outside its residency, so residency can be checked. */
  conversations: ConvergenceTarget[];
  recorder: HistoryRecorder;
  /** Reads in flight at once; default 8. */
  concurrency?: number;
  /** Bound on each read; default 30000 ms. */
  timeoutMs?: number;
}

export async function recordFinalReads(options: FinalReadsOptions): Promise<void> {
  const { target, recorder } = options;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const reads = options.conversations.flatMap((c) => c.regions.map((region) => ({ conv: c.id, region })));
  await eachLimited(reads, options.concurrency ?? 8, async ({ conv, region }) => {
    try {
      const log = await within(target.readLog(region, conv), timeoutMs);
      if (!log) throw new Error(`no answer within ${timeoutMs} ms`);
      recorder.append({
        type: 'final_read',
        t: wall(),
        region,
        conv,
        ok: true,
        messages: log.messages.map((m) => ({ seq: m.seq, cmid: m.cmid, from: m.from })),
      });
    } catch (error) {
      recorder.append({
        type: 'final_read',
        t: wall(),
        region,
        conv,
        ok: false,
        error: error instanceof Error ? error.message : String(error),
        messages: [],
      });
    }
  });
}
