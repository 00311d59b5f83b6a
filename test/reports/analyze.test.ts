import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../contracts/history.ts';
import { analyzeHistory, sortedPercentile } from '../../reports/analyze.ts';
import { generateFixture, T0 } from './fixture.ts';

const fixture = generateFixture({ seed: 11, durationSeconds: 60 });
const analysis = analyzeHistory(fixture.events);

describe('analyzeHistory', () => {
  it('finds each fault window, one lane per kind and target, in seconds since the start', () => {
    expect(analysis.faults.map((f) => [f.kind, f.target, f.start, f.end])).toEqual([
      ['region_outage', 'us-east', 15, 30],
      ['latency', 'eu-west', 34.8, 45],
      ['partition', 'us-east|ap-south', 39.6, 49.8],
    ]);
    expect(analysis.lanes).toHaveLength(3);
    expect(analysis.faults.map((f) => f.lane)).toEqual([0, 1, 2]);
  });

  it('puts repeats of one fault on one target in the same lane', () => {
    const events: HistoryEvent[] = [
      { type: 'run_start', t: T0, runId: 'r', scenario: 's', seed: 1, regions: ['a', 'b'] },
      {
        type: 'fault_start',
        t: T0 + 1000,
        faultId: 'f1',
        kind: 'partition',
        target: 'a|b',
        regions: ['a', 'b'],
      },
      { type: 'fault_stop', t: T0 + 2000, faultId: 'f1' },
      { type: 'fault_start', t: T0 + 3000, faultId: 'f2', kind: 'latency', target: 'a', regions: ['a'] },
      {
        type: 'fault_start',
        t: T0 + 4000,
        faultId: 'f3',
        kind: 'partition',
        target: 'a|b',
        regions: ['a', 'b'],
      },
      { type: 'run_end', t: T0 + 6000 },
    ];
    const a = analyzeHistory(events);
    expect(a.faults.map((f) => f.lane)).toEqual([0, 1, 0]);
    expect(a.faults.map((f) => f.end)).toEqual([2, null, null]);
  });

  it('counts the clients an outage cut off and how long each took to reconnect', () => {
    const truth = fixture.truth.faults[0];
    const outage = analysis.reconnects[0];
    expect(outage?.disconnected).toBe(truth?.affected);
    expect(outage?.reconnected).toBe(truth?.recovered);
    const expected = [...(truth?.samples ?? [])].sort((a, b) => a - b);
    expect(outage?.samples).toHaveLength(expected.length);
    outage?.samples.forEach((s, i) => {
      expect(s).toBeCloseTo(expected[i] as number, 2);
    });
    // The latency fault disconnects nobody.
    expect(analysis.reconnects[1]?.disconnected).toBe(0);
  });

  it('empties the outage region of connections while the others take its clients', () => {
    const before = 10; // second 10: all connected at home
    const during = 25;
    const open = analysis.connections.open;
    expect(open['us-east']?.[before]).toBe(10);
    expect(open['us-east']?.[during]).toBe(0);
    const others = (open['eu-west']?.[during] ?? 0) + (open['ap-south']?.[during] ?? 0);
    expect(others).toBe(20 + (fixture.truth.faults[0]?.recovered ?? 0));
    const reconnects = Object.values(analysis.connections.reconnects).flat();
    expect(reconnects.reduce((a, b) => a + b, 0)).toBe(fixture.truth.faults[0]?.recovered);
  });

  it('shows a latency fault as higher delivery latency, by intended send time', () => {
    const p99 = analysis.latency.delivery.all.p99;
    const quiet = p99.slice(3, 14).filter((v): v is number => v !== null);
    const latencyFault = p99.slice(36, 39).filter((v): v is number => v !== null);
    expect(Math.max(...quiet)).toBeLessThan(500);
    expect(Math.min(...latencyFault)).toBeGreaterThan(Math.max(...quiet));
  });

  it('keeps a bounded, deterministic sample of sends with their outcomes', () => {
    const small = analyzeHistory(fixture.events, { sampleLimit: 50, sampleSeed: 3 });
    const again = analyzeHistory(fixture.events, { sampleLimit: 50, sampleSeed: 3 });
    expect(small.samples.t).toHaveLength(50);
    expect(small.samples).toEqual(again.samples);
    expect(small.samples.total).toBe(fixture.events.filter((e) => e.type === 'send').length);
    const sorted = [...small.samples.t].sort((a, b) => a - b);
    expect(small.samples.t).toEqual(sorted);
  });

  it('widens its time buckets for long runs so a report stays bounded', () => {
    const coarse = analyzeHistory(fixture.events, { maxPoints: 20 });
    expect(coarse.step).toBe(3); // 60 s in at most 20 buckets
    expect(coarse.x.length).toBeLessThanOrEqual(20);
    expect(coarse.connections.open['us-east']).toHaveLength(coarse.x.length);
  });

  it('gives the same result when outcomes are recorded before their send', () => {
    const swapped = fixture.events.slice();
    const ack = swapped.findIndex((e) => e.type === 'ack');
    const send = swapped.findIndex(
      (e) => e.type === 'send' && e.cmid === (swapped[ack] as { cmid: string }).cmid,
    );
    const [event] = swapped.splice(ack, 1);
    swapped.splice(send, 0, event as HistoryEvent);
    expect(analyzeHistory(swapped).latency).toEqual(analysis.latency);
  });

  it('measures region to region delivery by home region', () => {
    expect(analysis.matrix).toHaveLength(9);
    const local = analysis.matrix.find((c) => c.from === 'eu-west' && c.to === 'eu-west');
    const far = analysis.matrix.find((c) => c.from === 'us-east' && c.to === 'ap-south');
    expect(local?.deliveries).toBeGreaterThan(0);
    expect(far?.p99).toBeGreaterThan(local?.p99 ?? Number.POSITIVE_INFINITY);
    // The censored user never got anything after the outage began.
    expect(analysis.matrix.some((c) => c.undelivered > 0)).toBe(true);
  });
});

describe('sortedPercentile', () => {
  it('is the nearest rank', () => {
    expect(sortedPercentile([], 50)).toBeNull();
    expect(sortedPercentile([1, 2, 3, 4], 50)).toBe(2);
    expect(sortedPercentile([1, 2, 3, 4], 99)).toBe(4);
    expect(sortedPercentile([1, 2, 3, 4], 100)).toBe(4);
  });
});
