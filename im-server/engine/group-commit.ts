// Group commit at the home: everything sequenced in one turn of the event loop is written in one
// transaction, then announced. Nothing is acked, pushed or shipped before its commit, and a crash
// before the commit loses only messages nobody was told about. Resends of a client message id
// (cmid) get the entry already stored or pending instead of a new seq.

import type { ForwardItem, WireEntry } from '../internal-protocol.ts';
import { noteAppend } from '../log-matching.ts';
import { advance } from './home-role.ts';
import type { Conv, EngineState } from './state.ts';
import { startSequenceSpan } from './traces.ts';

const cmidKey = (conv: string, from: string, cmid: string): string => `${conv}\u0000${from}\u0000${cmid}`;

/**
 * Writes the pending batch and announces it: at the end of the turn, and first thing before a
 * record, a replicated item or close() can change the home role or the log.
 */
export const flushAppends = (s: EngineState): void => {
  const p = s.appends;
  if (p.batch.length === 0) return;
  const batch = p.batch;
  const done = p.resolve;
  p.batch = [];
  p.keys.clear();
  p.last.clear();
  p.committed = null;
  p.resolve = null;
  const writeStarted = performance.now();
  s.storage.appendMany(batch.map((a) => ({ conv: a.c.rec.id, entry: a.entry })));
  s.metrics.storeWrite.observe({ op: 'append' }, (performance.now() - writeStarted) / 1000);
  const touched = new Set<Conv>();
  for (const { c, entry } of batch) {
    c.lastSeq = entry.seq;
    c.homeLast = Math.max(c.homeLast, entry.seq);
    noteAppend(c.epochStarts, entry.epoch, entry.seq);
    c.undelivered.push(entry);
    touched.add(c);
  }
  s.metrics.sequenced.inc(batch.length);
  for (const c of touched) {
    s.wiring.shipper.notify(c.rec.id);
    advance(s, c);
  }
  done?.();
};

export const sequenceLocal = async (
  s: EngineState,
  c: Conv,
  item: ForwardItem,
): Promise<{ seq: number; epoch: number; serverTime: number }> => {
  const p = s.appends;
  const key = cmidKey(c.rec.id, item.from, item.cmid);
  if (!s.cfg.bugs.has('no-dedup')) {
    const pending = p.keys.get(key);
    if (pending !== undefined) {
      s.metrics.dedupHits.inc({ where: 'pending' });
      await p.committed;
      return { seq: pending.seq, epoch: pending.epoch, serverTime: pending.serverTime };
    }
    const found = s.storage.findByCmid(c.rec.id, item.from, item.cmid);
    if (found !== undefined) {
      s.metrics.dedupHits.inc({ where: 'stored' });
      return found;
    }
  }
  const last = p.last.get(c) ?? c.lastSeq;
  const entry: WireEntry = {
    seq: last + 1,
    epoch: c.rec.epoch,
    from: item.from,
    cmid: item.cmid,
    body: item.body,
    serverTime: s.clock.wallNow(),
  };
  const span =
    s.tracing === null || item.traceparent === undefined
      ? undefined
      : startSequenceSpan(s, c.rec.id, { ...item, traceparent: item.traceparent }, entry);
  p.batch.push({ c, entry });
  p.keys.set(key, entry);
  p.last.set(c, entry.seq);
  if (p.committed === null) {
    p.committed = new Promise<void>((resolve) => {
      p.resolve = resolve;
    });
    setImmediate(() => flushAppends(s));
  }
  await p.committed;
  span?.end();
  return { seq: entry.seq, epoch: entry.epoch, serverTime: entry.serverTime };
};
