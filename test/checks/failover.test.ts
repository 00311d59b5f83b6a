// The failover checker on hand-built histories with exact expected figures: one incident per
// client per stretch without service, overlapping and back-to-back faults joined into one,
// faults shorter than the clients' recovery, and clients that truly never come back.
import { describe, expect, it } from 'vitest';
import { checkFailover, createFailoverChecker, type FailoverResult } from '../../checks/failover.ts';
import { aggregate, type MetricStore, selectSink } from '../../checks/metrics.ts';
import { resolveCheckOptions } from '../../checks/result.ts';
import type { HistoryEvent } from '../../contracts/history.ts';
import { type Builder, check, history, sorted, stage } from './fixtures.ts';

/** The checker's result and the metrics it recorded. */
function run(events: HistoryEvent[]): { r: FailoverResult; metrics: MetricStore } {
  return check(createFailoverChecker, sorted(events));
}

const p = (metrics: MetricStore, name: 'failover_seconds' | 'recovery_seconds', q: number, tags = {}) =>
  aggregate(selectSink(metrics, name, tags), { p: q }, 0);
const count = (metrics: MetricStore, name: 'failover_seconds' | 'recovery_seconds', tags = {}) =>
  aggregate(selectSink(metrics, name, tags), 'count', 0);
/** The failover_rate sink under `tags`: how many of its incidents failed over, of how many. */
const rate = (metrics: MetricStore, tags = {}) => selectSink(metrics, 'failover_rate', tags);

/**
 * A figure read off the histogram: its bucket's upper edge, at least the true value (less
 * `slack`, for a value float sums may land a hair under) and within 1% above it.
 */
function expectSeconds(actual: number | null, expected: number, slack = 0): void {
  expect(actual).not.toBeNull();
  expect(actual!).toBeGreaterThanOrEqual(expected - slack);
  expect(actual!).toBeLessThan(expected * 1.011);
}

/**
 * eu-west is down from +10 s to +20 s. u1 fails over to us-east and is served at +12.05 s; u2
 * waits for its region and is served only after the heal, at +21.1 s: it rode the fault out.
 */
function outage(): Builder {
  return stage()
    .faultStart('f1', 'regionOutage', 'eu-west', ['eu-west'], 10)
    .down('u1', 'eu-west', 10.1)
    .down('u2', 'eu-west', 10.1)
    .failover('u1', 'eu-west', 'us-east', 11.4)
    .up('u1', 'us-east', 11.5)
    .acked('u1', 'c1', 'm10', 12, 1, 12.05)
    .deliver('u3', 'c1', 'u1', 'm10', 1, 12.1)
    .acked('u3', 'c1', 'm11', 13, 2, 13.02)
    .deliver('u1', 'c1', 'u3', 'm11', 2, 13.05)
    .send('u2', 'c1', 'm12', 15)
    .faultStop('f1', 20)
    .up('u2', 'eu-west', 20.5)
    .ack('u2', 'c1', 'm12', 3, 21)
    .deliver('u2', 'c1', 'u3', 'm11', 2, 21.1)
    .end(30);
}

/** outage()'s incidents, in the result and in f1's row alike: u1 failed over, u2 rode it out. */
const outageCounts = {
  incidents: 2,
  clients: 2,
  failedOver: 1,
  rodeOut: 1,
  neverRecovered: 0,
  unobserved: 0,
};

describe('failover and recovery per incident', () => {
  it('tells a client that failed over from one that rode the fault out, and times both from the impact', () => {
    const { r, metrics } = run(outage().events);
    expect(r).toMatchObject(outageCounts);
    // u1 was served when its own send was acked (nobody had written to it yet): 2.05 s.
    expect(r.seconds).toMatchObject({ count: 1, censored: 0 });
    expect(r.seconds.max).toBeCloseTo(2.05, 1);
    expect(r.seconds.max).toBeGreaterThanOrEqual(2.05);
    // u2 needed both its ack (+21.0) and u3's message (+21.1): 11.1 s without service.
    expect(r.recoverySeconds).toMatchObject({ count: 2, censored: 0 });
    expectSeconds(r.recoverySeconds.max, 11.1);
    expect(r.recoverySeconds.p50).toBeLessThan(2.05 * 1.011);
    expect(r.examples).toEqual([]);
    // Every client recovered: the untagged p99 is finite and passes a 15 s gate.
    expect(p(metrics, 'recovery_seconds', 99)).toBeLessThan(15);
    expect(p(metrics, 'failover_seconds', 99)).toBeLessThan(10);
    expect(count(metrics, 'failover_seconds')).toBe(1);
    expect(count(metrics, 'recovery_seconds')).toBe(2);
    expect(aggregate(selectSink(metrics, 'failover_rate'), 'rate', 0)).toBe(0.5);
  });

  it('keeps the per-fault figures, with ack and delivery times apart', () => {
    const f = run(outage().events).r.faults[0]!;
    expect(f).toMatchObject({
      id: 'f1',
      kind: 'regionOutage',
      target: 'eu-west',
      start: 10,
      end: 20,
      ...outageCounts,
    });
    expect(f.ackSeconds.count).toBe(2);
    expectSeconds(f.ackSeconds.max, 11);
    // Only u2 was written to after the impact (u3's m11); u1 recovered before it was sent.
    expect(f.deliverySeconds.count).toBe(1);
    expect(f.deliverySeconds.max).toBeGreaterThanOrEqual(11.1);
    expect(f.seconds.count).toBe(1);
    expect(f.recoverySeconds.count).toBe(2);
  });

  it('censors a client that is never served again, and explains it', () => {
    const h = stage()
      .faultStart('f1', 'regionOutage', 'eu-west', ['eu-west'], 10)
      .down('u2', 'eu-west', 10.1)
      .send('u2', 'c1', 'm1', 12)
      .acked('u3', 'c1', 'm2', 13, 1, 13.02)
      .faultStop('f1', 20)
      .end(30);
    const { r, metrics } = run(h.events);
    // u1 was connected to eu-west too, sent nothing, and got nothing after the impact either.
    expect(r).toMatchObject({ incidents: 2, failedOver: 0, rodeOut: 0, neverRecovered: 2 });
    expect(r.recoverySeconds).toMatchObject({ count: 2, censored: 2, p50: null, p99: null, max: null });
    expect(r.seconds).toMatchObject({ count: 2, censored: 2 });
    expect(p(metrics, 'recovery_seconds', 99)).toBe(Number.POSITIVE_INFINITY);
    expect(aggregate(selectSink(metrics, 'failover_rate'), 'rate', 0)).toBe(0);
    const u2 = r.examples.find((e) => e.user === 'u2')!;
    expect(u2).toMatchObject({ check: 'failover', region: 'eu-west', t: 10 });
    expect(u2.message).toBe(
      'User u2 (connected to eu-west when regionOutage(eu-west) began at +10.0s) had no send acked and received no new message from then until the end of the run at +30.0s: it never recovered.',
    );
    const u1 = r.examples.find((e) => e.user === 'u1')!;
    expect(u1.message).toContain(') received no new message from then');
  });

  it('says so when the history stops before a fault does', () => {
    const h = stage()
      .faultStart('f4', 'regionOutage', 'eu-west', ['eu-west'], 10)
      .send('u1', 'c1', 'm1', 11)
      .deliver('u3', 'c1', 'u2', 'mX', 1, 11.5);
    const { r } = run(h.events);
    expect(r.faults[0]).toMatchObject({ end: null, clients: 2, neverRecovered: 2 });
    expect(r.examples[0]!.message).toContain('until the end of the history at +11.5s');
  });

  it('counts a fault shorter than the recovery as ridden out, not as never recovered', () => {
    const h = stage()
      .faultStart('f1', 'regionIsolation', 'eu-west', ['eu-west'], 10)
      .down('u1', 'eu-west', 10.5)
      .send('u1', 'c1', 'm1', 11)
      .faultStop('f1', 12)
      .up('u1', 'us-east', 13)
      .ack('u1', 'c1', 'm1', 1, 13.5)
      .deliver('u2', 'c1', 'u1', 'm1', 1, 13.6)
      .end(30);
    const { r } = run(h.events);
    // u1 (3.5 s) and u2, also on eu-west and owed u1's message (3.6 s), were served after the cut ended.
    const both = { incidents: 2, failedOver: 0, rodeOut: 2, neverRecovered: 0 };
    expect(r.faults[0]).toMatchObject(both);
    expect(r).toMatchObject(both);
    expectSeconds(r.recoverySeconds.p50, 3.5);
    expectSeconds(r.recoverySeconds.max, 3.6);
    expect(r.seconds.count).toBe(0);
  });

  it('joins a fault that follows within the recovery into the same incident, attributed to both', () => {
    // The region's links are cut at +10 s, its nodes die at +12.2 s. u1 moved away at +11.5 s but
    // u2's message reached it at +12.9 s and its own send was acked only at +13 s, during the
    // outage: one incident of 3 s, failed over.
    // u2 was served at +11 s, during the cut; the outage hits it again: a second incident.
    const h = stage()
      .faultStart('cut', 'regionIsolation', 'eu-west', ['eu-west'], 10)
      .down('u1', 'eu-west', 10.3)
      .up('u1', 'us-east', 11.5)
      .send('u1', 'c1', 'm1', 11.8)
      .acked('u2', 'c1', 'm2', 10.9, 1, 11)
      .faultStop('cut', 12)
      .faultStart('out', 'regionOutage', 'eu-west', ['eu-west'], 12.2)
      .down('u2', 'eu-west', 12.3)
      .deliver('u1', 'c1', 'u2', 'm2', 1, 12.9)
      .ack('u1', 'c1', 'm1', 2, 13)
      .up('u2', 'us-east', 14)
      .acked('u2', 'c1', 'm3', 14.2, 3, 14.5)
      .deliver('u1', 'c1', 'u2', 'm3', 3, 14.6)
      .faultStop('out', 20)
      .end(30);
    const { r, metrics } = run(h.events);
    expect(r).toMatchObject({ incidents: 3, clients: 2, failedOver: 3, rodeOut: 0, neverRecovered: 0 });
    const [cut, out] = r.faults;
    expect(cut).toMatchObject({ incidents: 2, clients: 2, failedOver: 2 });
    expect(out).toMatchObject({ incidents: 2, clients: 2, failedOver: 2 });
    // u1: 10 → 13; u2's second incident: 12.2 → 14.5.
    expectSeconds(out!.seconds.max, 3);
    expectSeconds(out!.seconds.p50, 2.3);
    // The joined incident carries both kinds; a threshold on either selects it.
    expect(count(metrics, 'failover_seconds', { fault: 'regionOutage' })).toBe(2);
    expect(count(metrics, 'failover_seconds', { fault: 'regionIsolation' })).toBe(2);
    expect(count(metrics, 'failover_seconds')).toBe(3);
    const tags = [...metrics.metrics.get('failover_seconds')!.values()].map((x) => x.tags.fault).sort();
    expect(tags).toEqual(['regionIsolation', 'regionIsolation+regionOutage', 'regionOutage']);
  });

  it('joins overlapping faults once, and counts the incident in each fault’s row', () => {
    const h = stage()
      .faultStart('slow', 'latency', 'eu-west', ['eu-west'], 5)
      .faultStart('split', 'partition', 'eu-west | us-east', ['eu-west', 'us-east'], 6)
      .down('u1', 'eu-west', 6.5)
      .send('u1', 'c1', 'm1', 7)
      .up('u1', 'us-east', 8)
      .ack('u1', 'c1', 'm1', 1, 9)
      .deliver('u2', 'c1', 'u1', 'm1', 1, 9.1)
      .deliver('u3', 'c1', 'u1', 'm1', 1, 9.1)
      .faultStop('split', 10)
      .faultStop('slow', 15)
      .end(30);
    const { r } = run(h.events);
    // u1 and u2 from the latency fault's start, joined by the partition; u3 (us-east) from the
    // partition's start only.
    expect(r.faults.map((f) => f.incidents)).toEqual([2, 3]);
    expect(r).toMatchObject({ incidents: 3, clients: 3, failedOver: 3, unobserved: 0 });
    // u3: 6 → 9.1; u1: 5 → 9; u2: 5 → 9.1.
    expectSeconds(r.seconds.p50, 4);
    expectSeconds(r.seconds.max, 4.1);
  });

  it('opens a new incident for each loss of service during a flapping fault', () => {
    const h = stage()
      .faultStart('flap', 'flap', 'eu-west', ['eu-west'], 10)
      .send('u3', 'c1', 'm1', 10.2)
      .deliver('u1', 'c1', 'u3', 'm1', 1, 10.3)
      .down('u1', 'eu-west', 11)
      .send('u3', 'c1', 'm2', 11.5)
      .up('u1', 'eu-west', 12)
      .deliver('u1', 'c1', 'u3', 'm2', 2, 12.4)
      .down('u1', 'eu-west', 13)
      .send('u3', 'c1', 'm3', 13.5)
      .faultStop('flap', 14)
      .up('u1', 'eu-west', 15)
      .deliver('u1', 'c1', 'u3', 'm3', 3, 15.5)
      .end(30);
    const { r } = run(h.events);
    const mine = { incidents: 3, failedOver: 2, rodeOut: 1, neverRecovered: 0 };
    // u2 was touched at the start too and had u3's messages owed, never delivered.
    expect(r.faults[0]).toMatchObject({ ...mine, incidents: 4, neverRecovered: 1, clients: 2 });
    // u1: 0.3 s, 1.4 s, 2.5 s.
    expectSeconds(r.recoverySeconds.p50, 1.4);
  });

  it('counts as service only sends intended after the impact, and only others’ messages as deliveries', () => {
    const h = stage()
      .faultStart('f1', 'regionOutage', 'eu-west', ['eu-west'], 10)
      // Intended before the impact, acked after: proves nothing about the client's recovery.
      .send('u1', 'c1', 'old', 10.5, 9.9)
      .ack('u1', 'c1', 'old', 1, 11)
      // Its own message echoed back is not a new message from someone else.
      .send('u1', 'c1', 'new', 12)
      .deliver('u1', 'c1', 'u1', 'new', 2, 12.5)
      .deliver('u2', 'c1', 'u1', 'new', 2, 12.6)
      .ack('u1', 'c1', 'new', 2, 13)
      .end(30);
    const { r } = run(h.events);
    const f = r.faults[0]!;
    // u1 at +13.0 (its ack), u2 at +12.6 (u1's new message).
    expect(f.failedOver).toBe(2);
    expectSeconds(f.seconds.max, 3);
  });

  it('waits for both measures that apply: an acked client owed a message is not yet served', () => {
    const h = stage()
      .faultStart('f1', 'regionOutage', 'eu-west', ['eu-west'], 10)
      .send('u3', 'c1', 'm1', 10.5)
      .acked('u1', 'c1', 'm2', 11, 1, 11.2)
      .deliver('u1', 'c1', 'u3', 'm1', 2, 14)
      .faultStop('f1', 20)
      .end(30);
    const { r } = run(h.events);
    expect(r.faults[0]!.ackSeconds.max).toBeLessThan(1.3);
    const u1 = r.faults[0]!.seconds;
    expect(u1.count).toBe(2);
    expect(u1.censored).toBe(1);
    expectSeconds(u1.p50, 4);
  });

  it('counts a lost connection during a fault only when it is to one of the fault’s regions', () => {
    const h = stage()
      .faultStart('f1', 'latency', 'us-east', ['us-east'], 10)
      .down('u1', 'eu-west', 11)
      .faultStop('f1', 20)
      .end(30);
    const { r } = run(h.events);
    // u3 on us-east at the start; u1's loss was elsewhere.
    expect(r.faults[0]).toMatchObject({ incidents: 1, clients: 1 });
  });

  it('counts any lost connection during a fault that names no region', () => {
    const h = stage()
      .faultStart('f2', 'latency', '', [], 10)
      .down('u3', 'us-east', 12)
      .up('u3', 'us-east', 13)
      .acked('u3', 'c1', 'm1', 14, 1, 14.05)
      .faultStop('f2', 20)
      .end(30);
    const f = checkFailover(sorted(h.events)).faults[0]!;
    expect(f).toMatchObject({ kind: 'latency', target: '', clients: 1, failedOver: 1, rodeOut: 0 });
    expectSeconds(f.seconds.max, 2.05);
    expect(f.deliverySeconds.count).toBe(0);
  });

  it('leaves incidents with nothing to measure out of the percentiles, as unobserved', () => {
    const h = stage()
      .faultStart('f3', 'regionOutage', 'us-east', ['us-east'], 10)
      .faultStop('f3', 20)
      .end(30);
    const r = checkFailover(h.events);
    expect(r.faults[0]).toMatchObject({ incidents: 1, clients: 1, unobserved: 1, failedOver: 0 });
    expect(r.faults[0]!.seconds.p50).toBeNull();
    expect(r.recoverySeconds.count).toBe(0);
  });

  it('goes by the name its examples carry', () => {
    expect(createFailoverChecker(resolveCheckOptions({})).name).toBe('failover');
  });

  it('gives an empty result with no faults', () => {
    const r = checkFailover(stage().message('c1', 'u1', 'm1', 1, 1, ['u2', 'u3']).end(5).events);
    expect(r).toMatchObject({ incidents: 0, clients: 0, faults: [], examples: [] });
    expect(r.seconds).toEqual({ count: 0, censored: 0, p50: null, p90: null, p99: null, max: null });
  });
});

/** Users each alone in their own conversation `c-<user>`, connected to their region from 0.1 s. */
function people(regions: Record<string, string>): Builder {
  const b = history().start(['eu-west', 'us-east']);
  for (const [user, region] of Object.entries(regions)) {
    b.conv(`c-${user}`, [user]).user(user, region).up(user, region, 0.1);
  }
  return b;
}

/** The tag sets a metric was recorded under, sorted, with their sample counts. */
function tagged(metrics: MetricStore, name: 'failover_seconds' | 'recovery_seconds') {
  return [...metrics.metrics.get(name)!.values()]
    .map(({ tags, sink }) => ({ tags, count: aggregate(sink, 'count', 0) }))
    .sort((a, b) => JSON.stringify(a.tags).localeCompare(JSON.stringify(b.tags)));
}

describe('failover figures', () => {
  it('ranks p50, p90, p99 and max over ten incidents, each timed from the impact to its ack', () => {
    const regions: Record<string, string> = {};
    for (let i = 1; i <= 10; i++) regions[`k${i}`] = 'eu-west';
    const h = people(regions).faultStart('f1', 'regionOutage', 'eu-west', ['eu-west'], 10);
    // k<i> is served i seconds after the impact, all while the outage lasts.
    for (let i = 1; i <= 10; i++)
      h.send(`k${i}`, `c-k${i}`, `m${i}`, 10.5).ack(`k${i}`, `c-k${i}`, `m${i}`, 1, 10 + i);
    const { r, metrics } = run(h.faultStop('f1', 30).end(40).events);
    expect(r).toMatchObject({ incidents: 10, clients: 10, failedOver: 10, rodeOut: 0, neverRecovered: 0 });
    for (const figures of [r.seconds, r.recoverySeconds, r.faults[0]!.ackSeconds]) {
      expect(figures).toMatchObject({ count: 10, censored: 0, p99: 10, max: 10 });
      expectSeconds(figures.p50, 5, 1e-9);
      expectSeconds(figures.p90, 9, 1e-9);
    }
    expect(r.faults[0]!.deliverySeconds).toEqual({
      count: 0,
      censored: 0,
      p50: null,
      p90: null,
      p99: null,
      max: null,
    });
    expectSeconds(p(metrics, 'failover_seconds', 50), 5, 1e-9);
    expectSeconds(p(metrics, 'recovery_seconds', 90), 9, 1e-9);
    expect(aggregate(selectSink(metrics, 'failover_seconds'), 'max', 0)).toBe(10);
    expect(aggregate(selectSink(metrics, 'failover_seconds'), 'min', 0)).toBe(1);
    expect(aggregate(selectSink(metrics, 'failover_rate'), 'rate', 0)).toBe(1);
  });

  it('counts each outcome once, with the censored and the unobserved apart, in the result, the fault’s row and the metrics', () => {
    const h = people({ k1: 'eu-west', k2: 'eu-west', k3: 'eu-west', k4: 'eu-west', k5: 'eu-west' })
      .faultStart('f1', 'regionOutage', 'eu-west', ['eu-west'], 10)
      .send('k1', 'c-k1', 'a', 10.5)
      .ack('k1', 'c-k1', 'a', 1, 12)
      .send('k2', 'c-k2', 'b', 10.5)
      .ack('k2', 'c-k2', 'b', 1, 13)
      .send('k3', 'c-k3', 'c', 10.5)
      .send('k4', 'c-k4', 'd', 10.5)
      // k1 is hit again after its recovery: a second incident, 1.5 s.
      .down('k1', 'eu-west', 15)
      .send('k1', 'c-k1', 'e', 15.5)
      .up('k1', 'us-east', 16)
      .ack('k1', 'c-k1', 'e', 2, 16.5)
      .faultStop('f1', 20)
      .ack('k3', 'c-k3', 'c', 1, 24)
      .end(40);
    const { r, metrics } = run(h.events);
    // k1 twice and k2 failed over (2, 3 and 1.5 s), k3 rode it out (14 s), k4 never got its ack,
    // k5 did nothing at all.
    const counts = { incidents: 6, clients: 5, failedOver: 3, rodeOut: 1, neverRecovered: 1, unobserved: 1 };
    expect(r).toMatchObject(counts);
    expect(r.faults[0]).toMatchObject({ ...counts, start: 10, end: 20 });
    expect(r.seconds).toMatchObject({ count: 4, censored: 1, p90: null, p99: null, max: null });
    expectSeconds(r.seconds.p50, 2, 1e-9);
    expect(r.recoverySeconds).toMatchObject({ count: 5, censored: 1, p90: null, p99: null, max: null });
    expectSeconds(r.recoverySeconds.p50, 3, 1e-9);
    expect(r.faults[0]!.seconds).toEqual(r.seconds);
    expect(r.faults[0]!.recoverySeconds).toEqual(r.recoverySeconds);
    // Every incident but k5's sent: k4's ack never came.
    expect(r.faults[0]!.ackSeconds).toMatchObject({ count: 5, censored: 1, p90: null, max: null });
    expectSeconds(r.faults[0]!.ackSeconds.p50, 3, 1e-9);
    const tags = { phase: 'fault', region: 'eu-west', fault: 'regionOutage' };
    expect(tagged(metrics, 'failover_seconds')).toEqual([{ tags, count: 4 }]);
    expect(tagged(metrics, 'recovery_seconds')).toEqual([{ tags, count: 5 }]);
    const failover = selectSink(metrics, 'failover_seconds');
    expect(failover).toMatchObject({ censored: 1, hist: { count: 3, min: 1.5, max: 3 } });
    expect(selectSink(metrics, 'recovery_seconds')).toMatchObject({
      censored: 1,
      hist: { count: 4, min: 1.5, max: 14 },
    });
    // The unobserved incident is no sample of the rate either: 3 of the 5 that had something to measure.
    expect(rate(metrics)).toEqual({ type: 'rate', trues: 3, total: 5 });
    expect(r.examples).toEqual([
      {
        check: 'failover',
        message:
          'User k4 (connected to eu-west when regionOutage(eu-west) began at +10.0s) had no send acked from then until the end of the run at +40.0s: it never recovered.',
        user: 'k4',
        region: 'eu-west',
        t: 10,
      },
    ]);
  });

  it('tags samples by fault kind and region, naming a kind once however many of its faults an incident spans', () => {
    const h = people({ a: 'eu-west', b: 'eu-west', c: 'us-east' })
      .faultStart('f1', 'latency', 'eu-west', ['eu-west'], 10)
      .faultStart('f3', 'latency', 'us-east', ['us-east'], 10)
      .faultStart('f2', 'latency', 'eu-west', ['eu-west'], 11)
      .send('a', 'c-a', 'm1', 10.5)
      .send('b', 'c-b', 'm2', 10.5)
      .send('c', 'c-c', 'm3', 10.5)
      .ack('c', 'c-c', 'm3', 1, 11)
      .ack('a', 'c-a', 'm1', 1, 12.5)
      .faultStop('f1', 13)
      // f1 is over but f2 is not: b still failed over.
      .ack('b', 'c-b', 'm2', 1, 13.5)
      .faultStop('f2', 14)
      .faultStop('f3', 20)
      .end(30);
    const { r, metrics } = run(h.events);
    expect(r).toMatchObject({ incidents: 3, clients: 3, failedOver: 3 });
    expect(r.faults.map((f) => [f.id, f.start, f.end, f.incidents, f.failedOver, f.seconds.max])).toEqual([
      ['f1', 10, 13, 2, 2, 3.5],
      ['f3', 10, 20, 1, 1, 1],
      ['f2', 11, 14, 2, 2, 3.5],
    ]);
    expect(tagged(metrics, 'failover_seconds')).toEqual([
      { tags: { phase: 'fault', region: 'eu-west', fault: 'latency' }, count: 2 },
      { tags: { phase: 'fault', region: 'us-east', fault: 'latency' }, count: 1 },
    ]);
    expect(aggregate(selectSink(metrics, 'failover_seconds', { region: 'eu-west' }), 'max', 0)).toBe(3.5);
    expect(aggregate(selectSink(metrics, 'failover_seconds', { region: 'us-east' }), 'max', 0)).toBe(1);
    expect(rate(metrics, { region: 'eu-west' })).toEqual({ type: 'rate', trues: 2, total: 2 });
  });

  it('times acks and deliveries per fault apart, censoring the ones that never came', () => {
    const h = stage()
      .faultStart('f1', 'regionOutage', 'eu-west', ['eu-west'], 10)
      .send('u3', 'c1', 'm1', 11)
      .send('u1', 'c1', 'm2', 11.5)
      .send('u2', 'c1', 'm3', 11.6)
      .ack('u1', 'c1', 'm2', 1, 12)
      .deliver('u1', 'c1', 'u3', 'm1', 2, 13)
      .faultStop('f1', 20)
      .end(30);
    const { r } = run(h.events);
    // u1: ack 2 s, delivery 3 s; u2 got neither.
    const f = r.faults[0]!;
    expect(f).toMatchObject({ incidents: 2, failedOver: 1, neverRecovered: 1 });
    expect(f.ackSeconds).toEqual({ count: 2, censored: 1, p50: 2, p90: null, p99: null, max: null });
    expect(f.deliverySeconds).toEqual({ count: 2, censored: 1, p50: 3, p90: null, p99: null, max: null });
    expect(r.examples.map((e) => e.message)).toEqual([
      'User u2 (connected to eu-west when regionOutage(eu-west) began at +10.0s) had no send acked and received no new message from then until the end of the run at +30.0s: it never recovered.',
    ]);
  });

  it('explains a client that lost its connection, naming every fault its incident went on through', () => {
    const h = stage()
      .faultStart('f0', 'latency', '', [], 10)
      .down('u1', 'eu-west', 11)
      .send('u1', 'c1', 'm1', 11.5)
      .send('u3', 'c1', 'm2', 12)
      .faultStart('f2', 'regionOutage', 'eu-west', ['eu-west'], 12.5)
      .faultStart('f3', 'partition', 'eu-west | us-east', ['eu-west', 'us-east'], 13)
      .end(30);
    const { r, metrics } = run(h.events);
    // u2 (from +12.5) and u3 (from +13) had nothing to measure after their impact.
    expect(r).toMatchObject({ incidents: 3, clients: 3, neverRecovered: 1, unobserved: 2 });
    expect(r.faults.map((f) => [f.id, f.end, f.incidents, f.neverRecovered])).toEqual([
      ['f0', null, 1, 1],
      ['f2', null, 2, 1],
      ['f3', null, 3, 1],
    ]);
    expect(r.examples).toEqual([
      {
        check: 'failover',
        message:
          'User u1 (lost its connection to eu-west at +11.0s, during latency; the incident went on through regionOutage(eu-west) and partition(eu-west | us-east)) had no send acked and received no new message from then until the end of the run at +30.0s: it never recovered.',
        user: 'u1',
        region: 'eu-west',
        t: 11,
      },
    ]);
    expect(tagged(metrics, 'failover_seconds')).toEqual([
      { tags: { phase: 'fault', region: 'eu-west', fault: 'latency+regionOutage+partition' }, count: 1 },
      { tags: { phase: 'fault', region: 'eu-west', fault: 'regionOutage+partition' }, count: 0 },
      { tags: { phase: 'fault', region: 'us-east', fault: 'partition' }, count: 0 },
    ]);
    expect(rate(metrics, { fault: 'partition' })).toEqual({ type: 'rate', trues: 0, total: 1 });
  });

  it('keeps only the first maxExamples explanations, in the order the incidents started', () => {
    const h = stage()
      .faultStart('f1', 'regionOutage', 'eu-west', ['eu-west'], 10)
      .send('u3', 'c1', 'm1', 11)
      .end(30);
    expect(checkFailover(sorted(h.events)).examples.map((e) => e.user)).toEqual(['u1', 'u2']);
    const one = checkFailover(sorted(h.events), { maxExamples: 1 });
    expect(one.neverRecovered).toBe(2);
    expect(one.examples.map((e) => e.user)).toEqual(['u1']);
    expect(checkFailover(sorted(h.events), { maxExamples: 0 }).examples).toEqual([]);
  });
});
