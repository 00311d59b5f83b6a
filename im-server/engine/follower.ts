// The follower's side of a conversation: applying what a home ships (log matching against the
// home's epoch boundaries, truncating a divergent tail, refusing an older epoch), pushing it
// straight through where this region keeps no copy, and stepping down when fenced by a newer
// epoch. A replicate request from a sender that has since sent a newer one is refused whole.

import type {
  ReplicateItem,
  ReplicateItemResult,
  ReplicateRequest,
  WireEntry,
} from '../internal-protocol.ts';
import { agreementPoint, epochAt, noteAppend, truncateStarts } from '../log-matching.ts';
import { deliverable, isResident } from './conv-state.ts';
import { deliver, push } from './delivery.ts';
import { flushAppends } from './group-commit.ts';
import { loseHome } from './home-role.ts';
import { refresh } from './records.ts';
import { type Conv, type EngineState, mono, newConv } from './state.ts';
import { traceReplicated } from './traces.ts';

export const replicate = (
  s: EngineState,
  request: ReplicateRequest,
): { incarnation: string; results: ReplicateItemResult[] } => {
  const incarnation = s.cfg.incarnation;
  const authority = s.authorities.get(request.from);
  if (
    authority !== undefined &&
    authority.incarnation === request.incarnation &&
    request.rid <= authority.rid
  ) {
    // Overtaken by a later request from the same sender; its view of the log is stale.
    return {
      incarnation,
      results: request.items.map((i) => ({ conv: i.conv, status: 'error', matched: 0 })),
    };
  }
  s.authorities.set(request.from, {
    incarnation: request.incarnation,
    rid: request.rid,
    until: mono(s) + request.authorityMs,
  });
  const apply = (item: ReplicateItem) => () => applyItem(s, request.from, item);
  // One transaction for the whole request, not one per conversation: at capacity a request
  // carries dozens of conversations, and each commit rewrote the same pages into the WAL. It is
  // all synchronous, so nothing it decides (the answer to the home, pushes, which wait in
  // corked sockets until the turn ends, acks, which wait for microtasks) leaves before the commit.
  const results = s.storage.atomically(() =>
    request.items.map((item) =>
      s.tracing === null
        ? applyItem(s, request.from, item)
        : traceReplicated(s, request.from, item, apply(item)),
    ),
  );
  return { incarnation, results };
};

export const onFenced = (s: EngineState, convId: string, epoch: number): void => {
  const c = s.convs.get(convId);
  if (c === undefined || epoch <= c.rec.epoch) return;
  s.log.warn('fenced by a newer epoch', { conv: convId, ourEpoch: c.rec.epoch, epoch });
  s.metrics.epochChanges.inc({ role: 'follower' });
  c.rec = { ...c.rec, home: null, epoch };
  loseHome(s, c);
  void refresh(s, c, true);
};

/** The conversation an item is for, created from the item's metadata when we have not heard of it. */
const convFor = (s: EngineState, from: string, item: ReplicateItem): Conv | undefined => {
  const known = s.convs.get(item.conv);
  if (known !== undefined || item.meta === undefined) return known;
  const c = newConv({
    id: item.conv,
    members: item.meta.members,
    residency: item.meta.residency,
    home: from,
    epoch: item.epoch,
    version: 0,
  });
  s.convs.set(item.conv, c);
  s.storage.upsertConversation(c.rec);
  return c;
};

const applyItem = (s: EngineState, from: string, item: ReplicateItem): ReplicateItemResult => {
  flushAppends(s);
  const c = convFor(s, from, item);
  if (c === undefined) return { conv: item.conv, status: 'unknown', matched: 0 };
  if (!s.cfg.bugs.has('no-fencing')) {
    const stale =
      item.epoch < c.rec.epoch || (item.epoch === c.rec.epoch && c.rec.home !== null && c.rec.home !== from);
    if (stale) {
      s.metrics.fencedWrites.inc({ by: 'us' });
      return { conv: item.conv, status: 'fenced', matched: 0, epoch: c.rec.epoch };
    }
  }
  if (item.epoch > c.rec.epoch) {
    // The sender is a newer home than the directory has told us about yet.
    c.rec = { ...c.rec, home: from, epoch: item.epoch };
    s.storage.upsertConversation(c.rec);
    s.metrics.epochChanges.inc({ role: 'follower' });
    if (c.homeEpoch !== null) loseHome(s, c);
  }
  const fromHome = c.rec.home === from;
  if (fromHome) c.homeLast = item.lastSeq;
  if (item.transient || !isResident(s, c)) return applyTransient(s, c, item);
  return applyToLog(s, c, item, from, fromHome);
};

/** Outside the residency set nothing is stored: committed entries go straight to sessions. */
const applyTransient = (s: EngineState, c: Conv, item: ReplicateItem): ReplicateItemResult => {
  for (const e of item.entries) {
    if (e.seq > c.transientDelivered && e.seq <= item.commit) {
      push(s, c, e);
      c.transientDelivered = e.seq;
    }
  }
  if (item.entries.length === 0) c.transientDelivered = Math.max(c.transientDelivered, item.lastSeq);
  return { conv: item.conv, status: 'ok', matched: item.lastSeq };
};

const applyToLog = (
  s: EngineState,
  c: Conv,
  item: ReplicateItem,
  from: string,
  fromHome: boolean,
): ReplicateItemResult => {
  const a = agreementPoint(item.epochStarts, item.lastSeq, c.epochStarts, c.lastSeq);
  let truncateAbove: number | null = null;
  if (c.lastSeq > a) {
    const ours = epochAt(c.epochStarts, c.lastSeq, a + 1) ?? 0;
    if (a >= item.lastSeq && ours >= item.epoch) {
      // A late, older description of the same home's log: we already hold more of it.
      return { conv: item.conv, status: 'ok', matched: item.lastSeq };
    }
    truncateAbove = a;
  }
  const reorder = s.cfg.bugs.has('reorder-apply');
  const { toApply, gap } = entriesAfter(item.entries, truncateAbove ?? c.lastSeq, reorder);
  if (truncateAbove !== null) {
    s.log.warn('truncating a divergent log tail', {
      conv: item.conv,
      above: truncateAbove,
      lastSeq: c.lastSeq,
      home: from,
      epoch: item.epoch,
    });
  }
  const writeStarted = performance.now();
  s.storage.applyBatch(item.conv, truncateAbove, toApply, item.epoch);
  s.metrics.storeWrite.observe({ op: 'apply' }, (performance.now() - writeStarted) / 1000);
  if (truncateAbove !== null) truncate(c, truncateAbove);
  if (reorder) applyBackToFront(s, c, toApply);
  else appendInOrder(c, toApply);
  c.logEpoch = item.epoch;
  if (toApply.length > 0) s.metrics.applied.inc(toApply.length);
  if (fromHome) {
    // Our own copy may be what commits these entries (W=1, the home in another region), and we
    // serve them as committed: keep that as the commit point, so an election or our taking over
    // the conversation never serves less than we already did (a monotonic read).
    c.commitSeq = Math.max(c.commitSeq, Math.min(item.commit, c.lastSeq), deliverable(s, c));
  }
  deliver(s, c);
  if (gap) return { conv: item.conv, status: 'gap', matched: c.lastSeq };
  return { conv: item.conv, status: 'ok', matched: Math.min(c.lastSeq, item.lastSeq) };
};

/** The entries that extend a log ending at `base`: contiguous from base + 1, none across a gap. */
const entriesAfter = (
  entries: WireEntry[],
  base: number,
  reorder: boolean,
): { toApply: WireEntry[]; gap: boolean } => {
  let toApply = entries.filter((e) => e.seq > base);
  // Bug: apply the batch back to front and accept it across gaps.
  if (reorder) return { toApply: [...toApply].reverse(), gap: false };
  let gap = false;
  if (toApply.length > 0 && toApply[0]!.seq !== base + 1) {
    gap = true;
    toApply = [];
  }
  const contiguous: WireEntry[] = [];
  for (const e of toApply) {
    if (e.seq !== base + contiguous.length + 1) break;
    contiguous.push(e);
  }
  return { toApply: contiguous, gap };
};

const truncate = (c: Conv, above: number): void => {
  c.lastSeq = above;
  c.epochStarts = truncateStarts(c.epochStarts, above);
  c.undelivered = c.undelivered.filter((e) => e.seq <= above);
  c.deliveredSeq = Math.min(c.deliveredSeq, above);
  c.commitSeq = Math.min(c.commitSeq, above);
};

const appendInOrder = (c: Conv, toApply: WireEntry[]): void => {
  for (const e of toApply) {
    noteAppend(c.epochStarts, e.epoch, e.seq);
    c.lastSeq = e.seq;
    c.undelivered.push(e);
  }
};

/** The reorder-apply bug: entries applied and pushed back to front, without waiting for a commit. */
const applyBackToFront = (s: EngineState, c: Conv, toApply: WireEntry[]): void => {
  for (const e of toApply) {
    c.lastSeq = Math.max(c.lastSeq, e.seq);
    push(s, c, e);
    c.deliveredSeq = Math.max(c.deliveredSeq, e.seq);
  }
  const sorted = [...toApply].sort((x, y) => x.seq - y.seq);
  for (const e of sorted) noteAppend(c.epochStarts, e.epoch, e.seq);
};
