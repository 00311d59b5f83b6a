// The home's side of a conversation, apart from sequencing itself (group-commit.ts): taking up
// and giving up the home role, moving the commit point as followers catch up, answering the
// sends waiting for their ack level, and describing the log to the shipper.

import type { AckLevel } from '../../contracts/wire.ts';
import type { WireEntry } from '../internal-protocol.ts';
import type { ShipSource } from '../replication.ts';
import { effectiveReplicas, leaseOk, replicatedSeq } from './conv-state.ts';
import { deliver } from './delivery.ts';
import { type Conv, type EngineState, mono, type Waiter } from './state.ts';

export const settleWaiters = (s: EngineState, c: Conv): void => {
  if (c.waiters.length === 0) {
    s.waitingConvs.delete(c);
    return;
  }
  if (c.homeEpoch === null || c.rec.home !== s.myId) {
    for (const w of c.waiters.splice(0)) w.resolve('lost');
    s.waitingConvs.delete(c);
    return;
  }
  // An ack promises the message survives a failover; only a node still holding its lease
  // can promise that (the directory's next home is chosen after the lease has lapsed).
  const replicated = leaseOk(s) ? replicatedSeq(s, c) : 0;
  const now = mono(s);
  const keep: Waiter[] = [];
  for (const w of c.waiters) {
    if (w.seq <= replicated) w.resolve('replicated');
    else if (now >= w.deadline) w.resolve('timeout');
    else keep.push(w);
  }
  c.waiters = keep;
  if (keep.length === 0) s.waitingConvs.delete(c);
};

export const advance = (s: EngineState, c: Conv): void => {
  if (c.homeEpoch !== null) {
    const commit = s.cfg.ack === 'stored' ? c.lastSeq : replicatedSeq(s, c);
    if (commit > c.commitSeq) {
      c.commitSeq = commit;
      s.commitDirty.add(c);
      s.wiring.shipper.notify(c.rec.id);
    }
    settleWaiters(s, c);
  }
  deliver(s, c);
};

export const becomeHome = (s: EngineState, c: Conv): void => {
  c.homeEpoch = c.rec.epoch;
  c.logEpoch = c.rec.epoch;
  s.storage.setLogEpoch(c.rec.id, c.logEpoch);
  c.homeLast = c.lastSeq;
  s.metrics.epochChanges.inc({ role: 'home' });
  s.log.info('now home', { conv: c.rec.id, epoch: c.rec.epoch, lastSeq: c.lastSeq });
  s.wiring.shipper.reset(c.rec.id);
  advance(s, c);
};

export const loseHome = (s: EngineState, c: Conv): void => {
  if (c.homeEpoch === null) return;
  s.log.info('no longer home', {
    conv: c.rec.id,
    epoch: c.homeEpoch,
    newHome: c.rec.home,
    newEpoch: c.rec.epoch,
  });
  c.homeEpoch = null;
  s.wiring.shipper.drop(c.rec.id);
  settleWaiters(s, c);
};

export const awaitLevel = (
  s: EngineState,
  c: Conv,
  seq: number,
  deadline: number,
): Promise<AckLevel | 'lost' | 'timeout'> => {
  if (s.cfg.ack === 'stored') return Promise.resolve('stored');
  if (s.cfg.bugs.has('ack-early')) return Promise.resolve('replicated');
  if (leaseOk(s) && replicatedSeq(s, c) >= seq) return Promise.resolve('replicated');
  return new Promise((resolve) => {
    c.waiters.push({ seq, deadline, resolve });
    s.waitingConvs.add(c);
  });
};

export const shipSource = (s: EngineState, conv: string): ShipSource | undefined => {
  const c = s.convs.get(conv);
  if (c === undefined || c.homeEpoch === null || c.rec.home !== s.myId) return undefined;
  return {
    id: conv,
    epoch: c.homeEpoch,
    lastSeq: c.lastSeq,
    commit: c.commitSeq,
    epochStarts: c.epochStarts,
    members: c.rec.members,
    residency: c.rec.residency,
  };
};

/**
 * Entries (afterSeq, upToSeq] of a conversation we are home of, from the ones still held in
 * memory (stored and not yet delivered, which at replicated acks is what followers are sent),
 * or undefined when not all of them are there: the shipper then reads the database. At capacity
 * the per-request range query was a top self time of a node.
 */
export const recentEntries = (
  s: EngineState,
  conv: string,
  afterSeq: number,
  upToSeq: number,
): WireEntry[] | undefined => {
  const c = s.convs.get(conv);
  if (c === undefined || c.homeEpoch === null || upToSeq <= afterSeq || upToSeq > c.lastSeq) return undefined;
  const held = c.undelivered;
  const first = held[0];
  if (first === undefined) return undefined;
  const from = afterSeq + 1 - first.seq;
  const to = upToSeq - first.seq;
  // Strictly increasing seqs, so matching both ends means the slice is exactly the range.
  if (from < 0 || held[from]?.seq !== afterSeq + 1 || held[to]?.seq !== upToSeq) return undefined;
  return held.slice(from, to + 1);
};

export const commitMatters = (s: EngineState, src: ShipSource, region: string): boolean => {
  const c = s.convs.get(src.id);
  if (c === undefined || s.cfg.ack === 'stored') return false;
  const w = effectiveReplicas(s, c, s.cfg.region);
  return w >= 2 || (w === 1 && region === s.cfg.region);
};

export const onProgress = (s: EngineState, conv: string): void => {
  const c = s.convs.get(conv);
  if (c !== undefined) advance(s, c);
};
