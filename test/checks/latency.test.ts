// The latency checker on hand-built histories with exact expected figures: every sample's
// latency, phase and region (with each fallback), what is counted once, the per-second series,
// how long the load ran, and the metrics it records; then laws over generated histories.
import { describe, expect, it } from 'vitest';
import { checkLatency, createLatencyChecker, type LatencyResult } from '../../checks/latency.ts';
import {
  aggregate,
  METRIC_NAMES,
  type MetricName,
  type MetricStore,
  selectSink,
  type Tags,
} from '../../checks/metrics.ts';
import { resolveCheckOptions } from '../../checks/result.ts';
import type { HistoryEvent } from '../../contracts/history.ts';
import { syntheticHistory } from '../support/synthetic.ts';
import { type Builder, check, history, sorted, stage } from './fixtures.ts';

/** The checker's result and the metrics it recorded, over events in the order given. */
function run(events: HistoryEvent[]): { r: LatencyResult; metrics: MetricStore } {
  return check(createLatencyChecker, events);
}

/** Each tag set a metric holds, in the order recorded, with its count (and sum of ms, for trends). */
function sinks(metrics: MetricStore, name: MetricName): [Tags, number | number[]][] {
  return [...metrics.metrics.get(name)!.values()].map(({ tags, sink }) => {
    if (sink.type === 'trend') return [tags, [sink.hist.count, Math.round(sink.hist.sum)]];
    if (sink.type === 'counter') return [tags, sink.value];
    return [tags, [sink.trues, sink.total]];
  });
}

/** A histogram reports a bucket's upper edge clamped to min and max: within 1% above the value. */
function expectNear(actual: number | null, value: number): void {
  expect(actual).not.toBeNull();
  expect(actual!).toBeGreaterThanOrEqual(value - 1e-6);
  expect(actual!).toBeLessThanOrEqual(value * 1.01 + 1e-6);
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const zeros = (n: number): number[] => Array.from({ length: n }, () => 0);
/** n seconds of zeros with the given counts at the given seconds. */
const secs = (n: number, counts: Record<number, number>): number[] => zeros(n).map((_, i) => counts[i] ?? 0);

/**
 * u1 sends m1 before the fault (intended +1.0 s, sent +1.2 s), delivered to u2 and u3; us-east
 * has a latency fault from +5 s to +10 s, during which u3 sends m2; after it, u2's m3 fails and
 * its m4 gets no outcome.
 */
function traffic(): Builder {
  return stage()
    .send('u1', 'c1', 'm1', 1.2, 1.0)
    .ack('u1', 'c1', 'm1', 1, 1.25)
    .deliver('u2', 'c1', 'u1', 'm1', 1, 1.3)
    .deliver('u3', 'c1', 'u1', 'm1', 1, 1.5, { region: 'us-east' })
    .faultStart('f1', 'latency', 'us-east', ['us-east'], 5)
    .send('u3', 'c1', 'm2', 6.5, 6)
    .ack('u3', 'c1', 'm2', 2, 7)
    .deliver('u1', 'c1', 'u3', 'm2', 2, 7.2)
    .faultStop('f1', 10)
    .send('u2', 'c1', 'm3', 12)
    .failed('u2', 'c1', 'm3', 12.1)
    .send('u2', 'c1', 'm4', 13)
    .end(20);
}

describe('latency and throughput', () => {
  it('measures ack and delivery latency from the intended and the actual send time', () => {
    const r = checkLatency(sorted(traffic().events));
    expect(r.latency.deliveryMs.count).toBe(3);
    expect(r.latency.deliveryMs.max).toBeCloseTo(1200, 6);
    expect(r.latency.deliveryActualMs.max).toBeCloseTo(700, 6);
    expect(r.latency.ackMs.max).toBeCloseTo(1000, 6);
    expect(r.latency.ackActualMs.max).toBeCloseTo(500, 6);
    expect(r.latency.byRegion['us-east']!.deliveryMs.max).toBeCloseTo(500, 6);
    expect(r.latency.byRegion['eu-west']!.deliveryMs.count).toBe(2);
    expect(r.latency.byPhase.before.deliveryMs.count).toBe(2);
    expect(r.latency.byPhase.fault.deliveryMs.count).toBe(1);
    expect(r.latency.byPhase.fault.deliveryMs.max).toBeCloseTo(1200, 6);
    expect(r.latency.byPhase.after.ackMs.count).toBe(0);
  });

  it('counts load, pending sends and rates', () => {
    const r = checkLatency(sorted(traffic().events));
    expect(r.load).toMatchObject({
      sent: 4,
      acked: 2,
      failed: 1,
      indeterminate: 0,
      pending: 1,
      delivered: 3,
    });
    // No load_start/load_stop: the first to the last send, 11.8 s.
    expect(r.load.loadSeconds).toBeCloseTo(11.8, 6);
    expect(r.load.sendRatePerSecond).toBeCloseTo(4 / 11.8, 6);
    expect(r.phaseCounts.before).toEqual({ sent: 1, acked: 1, errors: 0, delivered: 2 });
    expect(r.phaseCounts.fault).toEqual({ sent: 1, acked: 1, errors: 0, delivered: 1 });
    expect(r.phaseCounts.after).toEqual({ sent: 2, acked: 0, errors: 1, delivered: 0 });
  });

  it('keeps a per-second series per region covering the whole run', () => {
    const r = checkLatency(sorted(traffic().events));
    expect(r.series.length).toBe(20);
    expect(r.series.total.sent).toHaveLength(20);
    expect(r.series.total.sent[1]).toBe(1);
    expect(r.series.total.sent[6]).toBe(1);
    expect(r.series.regions['eu-west']!.errors[12]).toBe(1);
    expect(r.series.regions['us-east']!.delivered[1]).toBe(1);
    expect(r.series.total.sent.reduce((a, b) => a + b, 0)).toBe(4);
    expect(r.series.total.delivered.reduce((a, b) => a + b, 0)).toBe(3);
  });

  it('counts only the first delivery of a message to a user', () => {
    const h = stage().message('c1', 'u1', 'm1', 1, 1, ['u2']).deliver('u2', 'c1', 'u1', 'm1', 1, 2).end(5);
    const r = checkLatency(h.events);
    expect(r.load.delivered).toBe(1);
    expect(r.latency.deliveryMs.count).toBe(1);
  });
});

describe('latency: per-second series at the edge of the run', () => {
  it('keeps a delivery stamped at run_end in the totals, with every series of a region the same length', () => {
    const h = stage().acked('u1', 'c1', 'm1', 1, 1, 1.5).deliver('u2', 'c1', 'u1', 'm1', 1, 3).end(3);
    const r = checkLatency(h.events);
    expect(r.load.delivered).toBe(1);
    expect(r.series.total.delivered).toEqual([0, 0, 0, 1]);
    expect(r.series.total.sent).toEqual([0, 1, 0, 0]);
    const region = r.series.regions['eu-west']!;
    expect([region.sent.length, region.acked.length, region.delivered.length, region.errors.length]).toEqual([
      4, 4, 4, 4,
    ]);
  });
});

describe('latency metrics', () => {
  it('is the checker named "latency"', () => {
    expect(createLatencyChecker(resolveCheckOptions({})).name).toBe('latency');
  });

  it('records every latency sample under the phase of its intended send and its region', () => {
    const { metrics } = run(sorted(traffic().events));
    const beforeEu = { phase: 'before', region: 'eu-west' };
    const beforeUs = { phase: 'before', region: 'us-east' };
    const faultEu = { phase: 'fault', region: 'eu-west' };
    const faultUs = { phase: 'fault', region: 'us-east' };
    // Deliveries: m1 to u2 (eu-west) 300 ms after the intended send, 100 ms after the actual one;
    // m1 to u3 (us-east) 500 / 300 ms; m2 to u1 (eu-west) 1200 / 700 ms.
    expect(sinks(metrics, 'delivery_latency_ms')).toStrictEqual([
      [beforeEu, [1, 300]],
      [faultEu, [1, 1200]],
      [beforeUs, [1, 500]],
    ]);
    expect(sinks(metrics, 'delivery_latency_actual_ms')).toStrictEqual([
      [beforeEu, [1, 100]],
      [faultEu, [1, 700]],
      [beforeUs, [1, 300]],
    ]);
    // Acks: m1 in eu-west 250 / 50 ms, m2 in us-east 1000 / 500 ms.
    expect(sinks(metrics, 'ack_latency_ms')).toStrictEqual([
      [beforeEu, [1, 250]],
      [faultUs, [1, 1000]],
    ]);
    expect(sinks(metrics, 'ack_latency_actual_ms')).toStrictEqual([
      [beforeEu, [1, 50]],
      [faultUs, [1, 500]],
    ]);
  });

  it('records sent, acked and delivered counts and the send error rate per phase and region', () => {
    const { metrics } = run(sorted(traffic().events));
    expect(sinks(metrics, 'messages_sent')).toStrictEqual([
      [{ phase: 'before', region: 'eu-west' }, 1],
      [{ phase: 'after', region: 'eu-west' }, 2],
      [{ phase: 'fault', region: 'us-east' }, 1],
    ]);
    expect(sinks(metrics, 'messages_acked')).toStrictEqual([
      [{ phase: 'before', region: 'eu-west' }, 1],
      [{ phase: 'fault', region: 'us-east' }, 1],
    ]);
    expect(sinks(metrics, 'messages_delivered')).toStrictEqual([
      [{ phase: 'before', region: 'eu-west' }, 1],
      [{ phase: 'fault', region: 'eu-west' }, 1],
      [{ phase: 'before', region: 'us-east' }, 1],
    ]);
    // Of sends with an outcome: m1 acked, m3 failed (after the fault), m2 acked; m4 has none.
    expect(sinks(metrics, 'send_error_rate')).toStrictEqual([
      [{ phase: 'before', region: 'eu-west' }, [0, 1]],
      [{ phase: 'after', region: 'eu-west' }, [1, 1]],
      [{ phase: 'fault', region: 'us-east' }, [0, 1]],
    ]);
    expect(aggregate(selectSink(metrics, 'send_error_rate'), 'rate', 0)).toBeCloseTo(1 / 3, 12);
  });

  it('gives exact percentiles over many samples, per phase and per region', () => {
    // 100 sends from u1, 50 ms apart from +1 s; the i-th is acked (i + 1) · 10 ms after it and
    // delivered to u3 in us-east 5 ms later. eu-west goes down from +3.5 s: the last 50 are in the fault.
    const h = stage().faultStart('f1', 'regionOutage', 'eu-west', ['eu-west'], 3.5);
    for (let i = 0; i < 100; i++) {
      const s = 1 + i * 0.05;
      const ms = (i + 1) * 10;
      h.send('u1', 'c1', `m${i}`, s)
        .ack('u1', 'c1', `m${i}`, i + 1, s + ms / 1000)
        .deliver('u3', 'c1', 'u1', `m${i}`, i + 1, s + (ms + 5) / 1000);
    }
    const { r, metrics } = run(sorted(h.end(20).events));
    const ack = r.latency.ackMs;
    expect(ack.count).toBe(100);
    expectNear(ack.p50, 500);
    expectNear(ack.p90, 900);
    expectNear(ack.p99, 990);
    expectNear(ack.max, 1000);
    expectNear(r.latency.deliveryMs.p50, 505);
    expectNear(r.latency.deliveryMs.max, 1005);
    expect(r.latency.byPhase.before.ackMs.count).toBe(50);
    expectNear(r.latency.byPhase.before.ackMs.max, 500);
    expectNear(r.latency.byPhase.fault.ackMs.p50, 750);
    expectNear(r.latency.byPhase.fault.ackMs.p90, 950);
    expect(r.latency.byPhase.after.ackMs).toStrictEqual({
      count: 0,
      p50: null,
      p90: null,
      p99: null,
      max: null,
    });
    expect(r.latency.byRegion['eu-west']!.ackMs.count).toBe(100);
    expect(r.latency.byRegion['eu-west']!.deliveryMs.count).toBe(0);
    expect(r.latency.byRegion['us-east']!.deliveryMs.count).toBe(100);
    expectNear(r.latency.byRegion['us-east']!.deliveryMs.p99, 995);
    expect(Object.keys(r.latency.byRegion)).toEqual(['eu-west', 'us-east']);
    expect(sinks(metrics, 'ack_latency_ms')).toStrictEqual([
      [{ phase: 'before', region: 'eu-west' }, [50, 12750]],
      [{ phase: 'fault', region: 'eu-west' }, [50, 37750]],
    ]);
    expect(aggregate(selectSink(metrics, 'ack_latency_ms', { phase: 'fault' }), 'min', 0)).toBeCloseTo(
      510,
      6,
    );
  });
});

describe('where a sample is counted', () => {
  it('falls back from the event’s region to the session’s, the user’s home, then "unknown"', () => {
    const h = history()
      .start(['eu-west', 'us-east', 'ap-south'])
      .conv('c1', ['u1', 'u2', 'u3', 'u4', 'u5'])
      .user('u1', 'eu-west')
      .user('u2', 'eu-west')
      .user('u4', 'ap-south')
      .up('u1', 'eu-west', 0.1)
      .up('u2', 'us-east', 0.1)
      // u9 is unknown but names its region; its ack does not: the send's region holds it.
      .send('u9', 'c1', 'm1', 1, 1, 'ap-south')
      .ack('u9', 'c1', 'm1', 1, 1.1)
      // u8 is unknown and names no region.
      .acked('u8', 'c1', 'm2', 2, 2, 2.1)
      // u1 sends from eu-west, acked by us-east.
      .send('u1', 'c1', 'm3', 3)
      .ack('u1', 'c1', 'm3', 3, 3.1, undefined, 'us-east')
      .deliver('u2', 'c1', 'u1', 'm3', 3, 3.2) // session up in us-east, home eu-west
      .deliver('u3', 'c1', 'u1', 'm3', 3, 4.2, { region: 'eu-west' }) // the event says
      .deliver('u4', 'c1', 'u1', 'm3', 3, 5.2, { session: 's-u4-phone' }) // never up: home
      .deliver('u5', 'c1', 'u1', 'm3', 3, 6.2) // no session region, no home
      .send('u7', 'c1', 'm4', 7)
      .failed('u7', 'c1', 'm4', 7.1)
      .send('u1', 'c1', 'm5', 8)
      .indeterminate('u1', 'c1', 'm5', 8.5)
      .end(10);
    const { r, metrics } = run(h.events);
    expect(r.series.regions).toStrictEqual({
      'ap-south': {
        sent: secs(10, { 1: 1 }),
        acked: secs(10, { 1: 1 }),
        delivered: secs(10, { 5: 1 }),
        errors: zeros(10),
      },
      'eu-west': {
        sent: secs(10, { 3: 1, 8: 1 }),
        acked: zeros(10),
        delivered: secs(10, { 4: 1 }),
        errors: secs(10, { 8: 1 }),
      },
      unknown: {
        sent: secs(10, { 2: 1, 7: 1 }),
        acked: secs(10, { 2: 1 }),
        delivered: secs(10, { 6: 1 }),
        errors: secs(10, { 7: 1 }),
      },
      'us-east': {
        sent: zeros(10),
        acked: secs(10, { 3: 1 }),
        delivered: secs(10, { 3: 1 }),
        errors: zeros(10),
      },
    });
    expect(r.load).toMatchObject({
      sent: 5,
      acked: 3,
      failed: 1,
      indeterminate: 1,
      pending: 0,
      delivered: 4,
    });
    expect(sinks(metrics, 'send_error_rate')).toStrictEqual([
      [{ phase: 'before', region: 'ap-south' }, [0, 1]],
      [{ phase: 'before', region: 'eu-west' }, [1, 1]],
      [{ phase: 'before', region: 'unknown' }, [1, 2]],
      [{ phase: 'before', region: 'us-east' }, [0, 1]],
    ]);
    expect(r.latency.byRegion['us-east']!.ackMs.count).toBe(1);
    expectNear(r.latency.byRegion['us-east']!.ackMs.max, 100);
    expectNear(r.latency.byRegion['ap-south']!.deliveryMs.max, 2200);
    expectNear(r.latency.byRegion.unknown!.deliveryMs.max, 3200);
  });

  it('takes a sample’s phase from the intended send time, not the actual one', () => {
    const h = stage()
      .faultStart('f1', 'partition', 'eu-west', ['eu-west'], 5)
      .send('u1', 'c1', 'm1', 5.5, 4.9)
      .ack('u1', 'c1', 'm1', 1, 5.6)
      .end(10);
    const { r } = run(sorted(h.events));
    expect(r.phaseCounts.before).toStrictEqual({ sent: 1, acked: 1, errors: 0, delivered: 0 });
    expect(r.phaseCounts.fault).toStrictEqual({ sent: 0, acked: 0, errors: 0, delivered: 0 });
    expect(r.latency.byPhase.before.ackMs.count).toBe(1);
    expectNear(r.latency.byPhase.before.ackMs.max, 700);
  });
});

describe('what is counted once', () => {
  it('counts only a message’s first outcome, a retried send once, and an ack without a send', () => {
    const h = stage()
      .acked('u1', 'c1', 'm1', 1, 1, 1.1)
      .ack('u1', 'c1', 'm1', 1, 1.5) // the same ack again
      .send('u1', 'c1', 'm2', 2)
      .failed('u1', 'c1', 'm2', 2.1)
      .ack('u1', 'c1', 'm2', 2, 2.2) // acked after it failed: the failure stands
      .acked('u1', 'c1', 'm3', 3, 3, 3.1)
      .failed('u1', 'c1', 'm3', 3.2) // failed after the ack: the ack stands
      .send('u1', 'c1', 'm4', 4)
      .indeterminate('u1', 'c1', 'm4', 4.5)
      .failed('u1', 'c1', 'm4', 4.6)
      .send('u1', 'c1', 'm5', 5)
      .send('u1', 'c1', 'm5', 5.5) // a retry of the same message, still pending
      .ack('u1', 'c1', 'm6', 6, 6) // no send was seen
      .end(10);
    const { r, metrics } = run(h.events);
    expect(r.load).toStrictEqual({
      sent: 5,
      acked: 3,
      failed: 1,
      indeterminate: 1,
      pending: 1,
      delivered: 0,
      // First to last counted send: the retry does not stretch it.
      loadSeconds: 4,
      sendRatePerSecond: 5 / 4,
      deliverRatePerSecond: 0,
    });
    expect(r.latency.ackMs.count).toBe(2);
    expectNear(r.latency.ackMs.max, 100);
    expect(r.series.total).toStrictEqual({
      sent: secs(10, { 1: 1, 2: 1, 3: 1, 4: 1, 5: 1 }),
      acked: secs(10, { 1: 1, 3: 1, 6: 1 }),
      delivered: zeros(10),
      errors: secs(10, { 2: 1, 4: 1 }),
    });
    expect(sinks(metrics, 'send_error_rate')).toStrictEqual([
      [{ phase: 'before', region: 'eu-west' }, [2, 5]],
    ]);
    expect(sinks(metrics, 'messages_acked')).toStrictEqual([[{ phase: 'before', region: 'eu-west' }, 3]]);
  });

  it('counts a delivery of a message never seen sent, without a latency', () => {
    const h = stage().deliver('u2', 'c1', 'u3', 'm9', 1, 2).end(5);
    const { r, metrics } = run(h.events);
    expect(r.load.delivered).toBe(1);
    expect(r.load.pending).toBe(0);
    expect(r.latency.deliveryMs.count).toBe(0);
    expect(r.latency.deliveryActualMs.count).toBe(0);
    expect(sinks(metrics, 'messages_delivered')).toStrictEqual([[{ phase: 'before', region: 'eu-west' }, 1]]);
    expect(sinks(metrics, 'delivery_latency_ms')).toStrictEqual([]);
    expect(sinks(metrics, 'send_error_rate')).toStrictEqual([]);
  });
});

describe('the per-second series', () => {
  it('puts an event stamped before the run start into the first second', () => {
    const h = stage().send('u1', 'c1', 'm1', -0.5).ack('u1', 'c1', 'm1', 1, 0.5).end(2);
    const { r } = run(h.events);
    expect(r.series.length).toBe(2);
    expect(r.series.total.sent).toEqual([1, 0]);
    expect(r.series.total.acked).toEqual([1, 0]);
  });

  it('rounds a run ending mid-second up to a whole second', () => {
    const { r } = run(stage().message('c1', 'u1', 'm1', 1, 1.5, ['u2']).end(2.5).events);
    expect(r.series.length).toBe(3);
    expect(r.series.total).toStrictEqual({
      sent: [0, 1, 0],
      acked: [0, 1, 0],
      delivered: [0, 1, 0],
      errors: [0, 0, 0],
    });
  });

  it('extends every series past the end to hold a late send, padding other regions with zeros', () => {
    const h = stage().message('c1', 'u1', 'm1', 1, 1, ['u2']).end(2).acked('u3', 'c1', 'm2', 4.5, 2, 4.6);
    const { r } = run(h.events);
    expect(r.series.length).toBe(5);
    expect(r.series.regions['eu-west']).toStrictEqual({
      sent: [0, 1, 0, 0, 0],
      acked: [0, 1, 0, 0, 0],
      delivered: [0, 1, 0, 0, 0],
      errors: [0, 0, 0, 0, 0],
    });
    expect(r.series.regions['us-east']).toStrictEqual({
      sent: [0, 0, 0, 0, 1],
      acked: [0, 0, 0, 0, 1],
      delivered: [0, 0, 0, 0, 0],
      errors: [0, 0, 0, 0, 0],
    });
    expect(r.series.total).toStrictEqual({
      sent: [0, 1, 0, 0, 1],
      acked: [0, 1, 0, 0, 1],
      delivered: [0, 1, 0, 0, 0],
      errors: [0, 0, 0, 0, 0],
    });
  });

  it('adds the regions up second by second', () => {
    const h = stage()
      .message('c1', 'u1', 'm1', 1, 1.1, ['u2', 'u3'])
      .message('c1', 'u3', 'm2', 2, 1.4, ['u1', 'u2'])
      .message('c1', 'u2', 'm3', 3, 2.2, ['u1', 'u3'])
      .end(3);
    const { r } = run(sorted(h.events));
    expect(r.series.regions['eu-west']!.delivered).toEqual([0, 3, 1]);
    expect(r.series.regions['us-east']!.delivered).toEqual([0, 1, 1]);
    expect(r.series.total).toStrictEqual({
      sent: [0, 2, 1],
      acked: [0, 2, 1],
      delivered: [0, 4, 2],
      errors: [0, 0, 0],
    });
  });

  it('is empty for an empty history', () => {
    const { r, metrics } = run([]);
    expect(r.series).toStrictEqual({
      stepSeconds: 1,
      length: 0,
      total: { sent: [], acked: [], delivered: [], errors: [] },
      regions: {},
    });
    expect(r.load).toStrictEqual({
      sent: 0,
      acked: 0,
      failed: 0,
      indeterminate: 0,
      pending: 0,
      delivered: 0,
      loadSeconds: 0,
      sendRatePerSecond: 0,
      deliverRatePerSecond: 0,
    });
    const none = { count: 0, p50: null, p90: null, p99: null, max: null };
    expect(r.latency.deliveryMs).toStrictEqual(none);
    expect(r.latency.byRegion).toStrictEqual({});
    expect(r.latency.byPhase.fault.ackActualMs).toStrictEqual(none);
    expect(r.phaseCounts.after).toStrictEqual({ sent: 0, acked: 0, errors: 0, delivered: 0 });
    for (const name of METRIC_NAMES) expect(sinks(metrics, name)).toStrictEqual([]);
  });
});

describe('how long the load ran', () => {
  const sends = (h: Builder, seconds: number[]): Builder => {
    seconds.forEach((s, i) => {
      h.message('c1', 'u1', `m${i}`, i + 1, s, ['u2']);
    });
    return h;
  };

  it('is load_start → load_stop when both are marked', () => {
    const h = sends(stage().phase('load_start', 1).phase('load_stop', 11), [2, 3, 4]).end(12);
    const { r } = run(sorted(h.events));
    expect(r.load.loadSeconds).toBe(10);
    expect(r.load.sendRatePerSecond).toBeCloseTo(0.3, 12);
    expect(r.load.deliverRatePerSecond).toBeCloseTo(0.3, 12);
  });

  it('is the first to the last send when a mark is missing or the stop is not after the start', () => {
    const onlyStart = sends(stage().phase('load_start', 1), [2, 4.5]).end(12);
    expect(run(sorted(onlyStart.events)).r.load.loadSeconds).toBe(2.5);
    const onlyStop = sends(stage().phase('healed', 8).phase('load_stop', 11), [2, 4.5]).end(12);
    expect(run(sorted(onlyStop.events)).r.load.loadSeconds).toBe(2.5);
    const same = sends(stage().phase('load_start', 1).phase('load_stop', 1), [2, 4.5]).end(12);
    expect(run(sorted(same.events)).r.load.loadSeconds).toBe(2.5);
  });

  it('is at least a second when there were sends, and zero without any', () => {
    const one = run(sends(stage(), [2]).end(5).events).r.load;
    expect(one.loadSeconds).toBe(1);
    expect(one.sendRatePerSecond).toBe(1);
    const close = run(sorted(sends(stage(), [2, 2.4]).end(5).events)).r.load;
    expect(close.loadSeconds).toBe(1);
    expect(close.sendRatePerSecond).toBe(2);
    expect(close.deliverRatePerSecond).toBe(2);
    const none = run(stage().phase('load_start', 1).phase('load_stop', 1).end(5).events).r.load;
    expect(none.loadSeconds).toBe(0);
    expect(none.sendRatePerSecond).toBe(0);
    expect(none.deliverRatePerSecond).toBe(0);
  });
});

describe('laws over generated histories', () => {
  const seeds = [1, 2, 3, 4, 5, 6, 7, 8];

  it('counts every send, outcome and delivery once in the load, the series, the phases and the metrics', () => {
    for (const seed of seeds) {
      const { r, metrics } = run(syntheticHistory({ seed, outage: seed % 2 === 0, messages: 60 }));
      const phases = Object.values(r.phaseCounts);
      const counter = (name: MetricName) => aggregate(selectSink(metrics, name), 'count', 0);
      const errors = r.load.failed + r.load.indeterminate;
      expect(sum(r.series.total.sent), `seed ${seed}`).toBe(r.load.sent);
      expect(sum(r.series.total.acked)).toBe(r.load.acked);
      expect(sum(r.series.total.delivered)).toBe(r.load.delivered);
      expect(sum(r.series.total.errors)).toBe(errors);
      expect(sum(phases.map((p) => p.sent))).toBe(r.load.sent);
      expect(sum(phases.map((p) => p.acked))).toBe(r.load.acked);
      expect(sum(phases.map((p) => p.delivered))).toBe(r.load.delivered);
      expect(sum(phases.map((p) => p.errors))).toBe(errors);
      expect(counter('messages_sent')).toBe(r.load.sent);
      expect(counter('messages_acked')).toBe(r.load.acked);
      expect(counter('messages_delivered')).toBe(r.load.delivered);
      expect(selectSink(metrics, 'send_error_rate')).toStrictEqual({
        type: 'rate',
        trues: errors,
        total: r.load.acked + errors,
      });
      expect(r.load.acked + r.load.failed + r.load.indeterminate + r.load.pending).toBe(r.load.sent);
      expect(r.latency.deliveryMs.count).toBe(r.load.delivered);
      expect(counter('delivery_latency_ms')).toBe(r.load.delivered);
      expect(counter('ack_latency_actual_ms')).toBe(r.load.acked);
      for (const [region, series] of Object.entries(r.series.regions)) {
        expect(series.sent, region).toHaveLength(r.series.length);
      }
    }
  });

  it('changes nothing when a session is handed a message it already has', () => {
    for (const seed of seeds) {
      const events = syntheticHistory({ seed, outage: seed % 2 === 1, messages: 40 });
      const at = events.findIndex((e) => e.type === 'deliver');
      const again = { ...events[at]!, t: events[at]!.t + 1 };
      const redelivered = sorted([...events, again]);
      const a = run(events);
      const b = run(redelivered);
      expect(b.r, `seed ${seed}`).toStrictEqual(a.r);
      expect(JSON.parse(JSON.stringify(b.metrics))).toStrictEqual(JSON.parse(JSON.stringify(a.metrics)));
    }
  });
});
