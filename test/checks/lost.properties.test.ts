// Laws of the acked-loss checker over seeded random histories: taking one acked message out of
// one allowed region's final log is always exactly one lost message with one missing copy; a
// faithful delivery never adds a violation; the order final reads are listed in changes no
// count; and the counts always agree with each other and with the acked_lost metric.
import { describe, expect, it } from 'vitest';
import { checkLost, createLostChecker, type LostResult } from '../../checks/lost.ts';
import { aggregate, type MetricStore, selectSink } from '../../checks/metrics.ts';
import type { HistoryEvent } from '../../contracts/history.ts';
import { createRandom, type Random } from '../../lib/random.ts';
import { syntheticHistory } from '../support/synthetic.ts';
import { at, type Builder, check, history, sorted } from './fixtures.ts';

type FinalReadEvent = Extract<HistoryEvent, { type: 'final_read' }>;

function run(events: HistoryEvent[]): { r: LostResult; metrics: MetricStore } {
  return check(createLostChecker, events);
}

/** Every count of a result (what a verdict is made of), without the explanations. */
function counts(r: LostResult): Record<string, number> {
  const { unjudged: _u, examples: _e, ...rest } = r;
  return rest;
}

const USERS = ['u1', 'u2', 'u3', 'u4'];
const CONVS: Record<string, string[]> = { c1: ['u1', 'u2', 'u3'], c2: ['u2', 'u4'], c3: ['u1', 'u3', 'u4'] };

/**
 * A small messy history: acked, refused, indeterminate and unanswered sends, each delivered to
 * a random subset of the other members and held by a random subset of the regions, some users
 * dropping out, some final reads failing, and a stranger or two in the logs.
 */
function messyHistory(rnd: Random): HistoryEvent[] {
  const b: Builder = history().start();
  for (const [conv, members] of Object.entries(CONVS)) b.conv(conv, members);
  for (const u of USERS) b.user(u, rnd.pick(['eu-west', 'us-east'])).up(u, 'eu-west', 0.1);
  for (const u of USERS) if (rnd.chance(0.3)) b.down(u, 'eu-west', rnd.int(5, 50));
  const logs = new Map<string, [number, string, string][]>();
  const log = (conv: string, region: string): [number, string, string][] => {
    const key = `${conv} ${region}`;
    if (!logs.has(key)) logs.set(key, []);
    return logs.get(key)!;
  };
  const n = rnd.int(1, 25);
  for (let i = 1; i <= n; i++) {
    const conv = rnd.pick(Object.keys(CONVS));
    const from = rnd.pick(CONVS[conv]!);
    const cmid = `m${i}`;
    const t = 1 + i * 2;
    const roll = rnd.next();
    b.send(from, conv, cmid, t);
    if (roll < 0.6) b.ack(from, conv, cmid, i, t + 0.5, rnd.pick(['stored', 'replicated']));
    else if (roll < 0.75) b.failed(from, conv, cmid, t + 0.5);
    else if (roll < 0.9) b.indeterminate(from, conv, cmid, t + 0.5);
    for (const member of CONVS[conv]!) {
      if (member !== from && rnd.chance(0.7)) b.deliver(member, conv, from, cmid, i, t + 0.6);
    }
    for (const region of ['eu-west', 'us-east']) if (rnd.chance(0.7)) log(conv, region).push([i, from, cmid]);
  }
  if (rnd.chance(0.3)) log('c1', 'eu-west').push([99, 'u9', 'm99']);
  for (const conv of Object.keys(CONVS)) {
    for (const region of ['eu-west', 'us-east']) {
      if (rnd.chance(0.1)) continue;
      const ok = rnd.chance(0.9);
      if (ok) b.finalRead(region, conv, 58, ...log(conv, region));
      else b.failedRead(region, conv, 58, 'timeout');
    }
  }
  return sorted(b.end(60).events);
}

describe('acked-message loss laws', () => {
  it('finds exactly one lost message and one missing copy when one acked message is taken out of one allowed region’s log', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const events = syntheticHistory({
        seed,
        messages: 20 + seed * 3,
        conversations: 1 + (seed % 4),
        outage: seed % 2 === 0,
        residencyShare: seed % 3 === 0 ? 0.5 : 0,
        failShare: 0.05,
        indeterminateShare: 0.05,
      });
      expect(counts(checkLost(events)), `seed ${seed}`).toMatchObject({ ackedLost: 0, missingCopies: 0 });
      const regions = (events.find((e) => e.type === 'run_start') as { regions: string[] }).regions;
      const allowed = new Map<string, string[]>();
      for (const e of events) if (e.type === 'conversation') allowed.set(e.conv, e.residency ?? regions);
      const acked = new Set(
        events.flatMap((e) => (e.type === 'ack' ? [`${e.conv} ${e.user} ${e.cmid}`] : [])),
      );
      const candidates = events.flatMap((e) =>
        e.type === 'final_read' && e.ok && allowed.get(e.conv)!.includes(e.region)
          ? e.messages
              .filter((x) => acked.has(`${e.conv} ${x.from} ${x.cmid}`))
              .map((x) => ({ read: e, entry: x }))
          : [],
      );
      expect(candidates.length, `seed ${seed}`).toBeGreaterThan(0);
      const { read, entry } = createRandom(seed).pick(candidates);
      const cut = events.map(
        (e): HistoryEvent =>
          e.type === 'final_read' && e.conv === read.conv && e.region === read.region
            ? { ...e, messages: e.messages.filter((x) => x !== entry) }
            : e,
      );
      const before = checkLost(events);
      const r = checkLost(cut);
      expect(counts(r), `seed ${seed}`).toEqual({ ...counts(before), ackedLost: 1, missingCopies: 1 });
      expect(
        r.examples.map((e) => [e.check, e.conv, e.from, e.cmid, e.region]),
        `seed ${seed}`,
      ).toEqual([['acked-lost', read.conv, entry.from, entry.cmid, read.region]]);
    }
  });

  it('never adds a violation when an acked message is delivered to one more member', () => {
    let helped = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const rnd = createRandom(`lost-deliver-${seed}`);
      const events = messyHistory(rnd);
      const delivered = new Set(
        events.flatMap((e) => (e.type === 'deliver' ? [`${e.conv} ${e.from} ${e.cmid} ${e.user}`] : [])),
      );
      const owed = events.flatMap((e) =>
        e.type === 'ack'
          ? CONVS[e.conv]!.filter(
              (u) => u !== e.user && !delivered.has(`${e.conv} ${e.user} ${e.cmid} ${u}`),
            ).map((u) => ({ ack: e, to: u }))
          : [],
      );
      if (owed.length === 0) continue;
      const { ack, to } = rnd.pick(owed);
      const extra: HistoryEvent = {
        type: 'deliver',
        t: ack.t + 100,
        user: to,
        session: `s-${to}`,
        conv: ack.conv,
        cmid: ack.cmid,
        from: ack.user,
        seq: ack.seq,
        via: 'sync',
      };
      const before = checkLost(events);
      const after = checkLost(sorted([...events, extra]));
      const why = `seed ${seed}: ${ack.cmid} to ${to}`;
      expect(after.ackedLost, why).toBeLessThanOrEqual(before.ackedLost);
      expect(before.undelivered - after.undelivered, why).toBeGreaterThanOrEqual(0);
      expect(before.undelivered - after.undelivered, why).toBeLessThanOrEqual(1);
      expect({ ...counts(after), ackedLost: 0, ackedLostStoredOnly: 0, undelivered: 0 }, why).toEqual({
        ...counts(before),
        ackedLost: 0,
        ackedLostStoredOnly: 0,
        undelivered: 0,
      });
      if (after.undelivered < before.undelivered) helped++;
    }
    // Some of the added deliveries must have settled a debt, or the law was tested vacuously.
    expect(helped).toBeGreaterThan(10);
  });

  it('gives the same counts whatever order the final reads are listed in', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const rnd = createRandom(`lost-reads-${seed}`);
      const events = messyHistory(rnd);
      const reads = events.filter((e): e is FinalReadEvent => e.type === 'final_read');
      const rest = events.filter((e) => e.type !== 'final_read' && e.type !== 'run_end');
      const shuffled = [...rest, ...rnd.shuffle(reads), { type: 'run_end', t: at(60) } as HistoryEvent];
      const a = checkLost(events);
      const b = checkLost(shuffled);
      expect(counts(b), `seed ${seed}`).toEqual(counts(a));
      expect(b.unjudged, `seed ${seed}`).toHaveLength(a.unjudged.length);
    }
  });

  it('keeps its counts consistent with each other and with the acked_lost metric', () => {
    let sawLoss = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const events = messyHistory(createRandom(`lost-counts-${seed}`));
      const { r, metrics } = run(events);
      const why = `seed ${seed}`;
      const acked = events.filter((e) => e.type === 'ack').length;
      expect(r.ackedLost, why).toBeLessThanOrEqual(acked);
      expect(r.ackedLostStoredOnly, why).toBeLessThanOrEqual(r.ackedLost);
      expect(r.missingCopies + r.undelivered, why).toBeGreaterThanOrEqual(r.ackedLost);
      expect(r.missingCopies, why).toBeLessThanOrEqual(2 * r.ackedLost);
      expect(r.undelivered, why).toBeLessThanOrEqual(2 * r.ackedLost);
      expect(aggregate(selectSink(metrics, 'acked_lost'), 'count', 0), why).toBe(r.ackedLost);
      expect(aggregate(selectSink(metrics, 'unexpected_messages'), 'count', 0), why).toBe(r.unexpected);
      expect(aggregate(selectSink(metrics, 'failed_but_appeared'), 'count', 0), why).toBe(
        r.failedButAppeared,
      );
      expect(
        r.examples.filter((e) => e.check === 'acked-lost'),
        why,
      ).toHaveLength(Math.min(10, r.ackedLost));
      if (r.ackedLost > 0) sawLoss++;
    }
    // The generator must exercise the law, not pass it vacuously.
    expect(sawLoss).toBeGreaterThan(20);
  });
});
