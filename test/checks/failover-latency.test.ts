import { describe, expect, it } from 'vitest';
import { checkFailover } from '../../checks/failover.ts';
import { checkLatency } from '../../checks/latency.ts';
import { type Builder, sorted, stage } from './fixtures.ts';

/** eu-west is down from +10 s to +20 s; u1 fails over to us-east, u2 stays cut off. */
function outage(): Builder {
  return stage()
    .faultStart('f1', 'regionOutage', 'eu-west', ['eu-west'], 10)
    .down('u1', 'eu-west', 10.1)
    .down('u2', 'eu-west', 10.1)
    .failover('u1', 'eu-west', 'us-east', 11.4)
    .up('u1', 'us-east', 11.5)
    .send('u1', 'c1', 'm10', 12)
    .ack('u1', 'c1', 'm10', 1, 12.05)
    .deliver('u3', 'c1', 'u1', 'm10', 1, 12.1)
    .send('u3', 'c1', 'm11', 13)
    .ack('u3', 'c1', 'm11', 2, 13.02)
    .deliver('u1', 'c1', 'u3', 'm11', 2, 13.05)
    .send('u2', 'c1', 'm12', 15)
    .faultStop('f1', 20)
    .up('u2', 'eu-west', 20.5)
    .ack('u2', 'c1', 'm12', 3, 21)
    .deliver('u2', 'c1', 'u3', 'm11', 2, 21.1)
    .end(30);
}

describe('failover latency', () => {
  it('measures each affected client from the fault start and censors the ones that never recovered', () => {
    const r = checkFailover(sorted(outage().events));
    expect(r.faults).toHaveLength(1);
    const f = r.faults[0]!;
    expect(f).toMatchObject({
      id: 'f1',
      kind: 'regionOutage',
      target: 'eu-west',
      start: 10,
      end: 20,
      affectedClients: 2,
      recoveredClients: 1,
      censored: 1,
      unobserved: 0,
    });
    // u1: ack after 2.05 s, first new delivery after 3.05 s → recovered at 3.05 s.
    expect(f.seconds.p50).toBeGreaterThanOrEqual(3.05);
    expect(f.seconds.p50).toBeLessThan(3.05 * 1.011);
    // Half the clients are censored: p99 and max lie among them, which JSON shows as null.
    expect(f.seconds.p99).toBeNull();
    expect(f.seconds.max).toBeNull();
    expect(f.seconds).toMatchObject({ count: 2, censored: 1 });
    expect(f.ackSeconds).toMatchObject({ count: 2, censored: 1 });
    expect(r.seconds).toMatchObject({ count: 2, censored: 1 });
    expect(r.examples[0]).toMatchObject({ check: 'failover', user: 'u2', region: 'eu-west', t: 10 });
    expect(r.examples[0]!.message).toBe(
      'User u2 (connected to eu-west when regionOutage(eu-west) began at +10.0s) had no send acked and received no new message before the fault ended at +20.0s.',
    );
  });

  it('counts clients that lost a connection during a fault naming no region, and only what applies to them', () => {
    const h = stage()
      .faultStart('f2', 'latency', '', [], 10)
      .down('u3', 'us-east', 12)
      .up('u3', 'us-east', 13)
      .send('u3', 'c1', 'm1', 14)
      .ack('u3', 'c1', 'm1', 1, 14.05)
      .faultStop('f2', 20)
      .end(30);
    const f = checkFailover(sorted(h.events)).faults[0]!;
    expect(f).toMatchObject({
      kind: 'latency',
      target: '',
      affectedClients: 1,
      recoveredClients: 1,
      censored: 0,
    });
    expect(f.seconds.max).toBeCloseTo(4.05, 5);
    expect(f.deliverySeconds.count).toBe(0);
  });

  it('leaves affected clients with nothing to measure out of the percentiles, as unobserved', () => {
    const h = stage()
      .faultStart('f3', 'regionOutage', 'us-east', ['us-east'], 10)
      .faultStop('f3', 20)
      .end(30);
    const f = checkFailover(h.events).faults[0]!;
    expect(f).toMatchObject({ affectedClients: 1, unobserved: 1, recoveredClients: 0, censored: 0 });
    expect(f.seconds.p50).toBeNull();
  });

  it('censors at the end of a cut history a fault that never stopped', () => {
    const h = stage()
      .faultStart('f4', 'regionOutage', 'eu-west', ['eu-west'], 10)
      .send('u1', 'c1', 'm1', 11)
      .deliver('u3', 'c1', 'u2', 'mX', 1, 11.5);
    const r = checkFailover(h.events);
    // u1 sent and got no ack; u2 was owed u1's message and never got it.
    expect(r.faults[0]).toMatchObject({ end: null, affectedClients: 2, censored: 2 });
    expect(r.examples[0]!.message).toContain('was still active at the end of the history');
  });
});

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
