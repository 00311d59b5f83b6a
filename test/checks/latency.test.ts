import { describe, expect, it } from 'vitest';
import { checkLatency } from '../../checks/latency.ts';
import { type Builder, sorted, stage } from './fixtures.ts';

describe('latency and throughput', () => {
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
