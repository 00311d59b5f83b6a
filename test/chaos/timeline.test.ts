import { describe, expect, it } from 'vitest';
import type { FaultSpec } from '../../chaos/faults/spec.ts';
import {
  type ResolvedFault,
  resolveTimeline,
  runTimeline,
  type TimelineEvent,
} from '../../chaos/timeline.ts';
import { createFakeBackends } from './fixtures/fake-backends.ts';
import { createManualClock, settle } from './fixtures/manual-clock.ts';
import { makeTopology } from './fixtures/topology.ts';

const topology = makeTopology(['eu', 'us'], 2);
const ORIGIN = 1_000_000;

function setup(specs: FaultSpec[], loadDurationMs = 60_000) {
  const clock = createManualClock(ORIGIN);
  const backends = createFakeBackends(clock, ORIGIN);
  const faults = resolveTimeline(specs, topology, { seed: 1, loadDurationMs });
  const events: TimelineEvent[] = [];
  const controller = new AbortController();
  const run = runTimeline({
    faults,
    backends,
    clock,
    startAt: ORIGIN,
    signal: controller.signal,
    onEvent: (e) => events.push(e),
  });
  return { clock, backends, faults, events, run, controller };
}

describe('runTimeline', () => {
  it('applies and reverts at their times, in order, and records when', async () => {
    const { clock, backends, run, events } = setup([
      { fault: 'nodePause', at: '10s', duration: '5s', node: 'eu/n1' },
      { fault: 'latency', at: '2s', duration: '20s', link: { from: 'us', to: 'eu' }, latency: 100 },
    ]);
    await clock.advanceTo(ORIGIN + 1_999);
    expect(backends.calls).toEqual([]);
    await clock.advanceTo(ORIGIN + 12_000);
    expect(backends.calls).toEqual([
      't=2000 toxic link:us->eu/n1 f2-latency_latency_downstream',
      't=2000 toxic link:us->eu/n2 f2-latency_latency_downstream',
      't=10000 SIGSTOP eu/n1',
    ]);
    expect(run.active().map((f) => f.id)).toEqual(['f1-nodePause', 'f2-latency']);
    await clock.advanceTo(ORIGIN + 30_000);
    const records = await run.done;
    expect(backends.calls.slice(3)).toEqual([
      't=15000 SIGCONT eu/n1',
      't=22000 removeToxic link:us->eu/n1 f2-latency_latency_downstream',
      't=22000 removeToxic link:us->eu/n2 f2-latency_latency_downstream',
      // With nothing left open the run heals itself: a final sweep.
      't=22000 reset',
    ]);
    expect(records).toEqual([
      {
        id: 'f1-nodePause',
        kind: 'nodePause',
        target: 'node eu/n1 paused',
        regions: ['eu'],
        appliedAt: 10_000,
        revertedAt: 15_000,
      },
      {
        id: 'f2-latency',
        kind: 'latency',
        target: 'link us->eu, +100ms',
        regions: ['us', 'eu'],
        appliedAt: 2_000,
        revertedAt: 22_000,
      },
    ]);
    expect(events.map((e) => `${e.t - ORIGIN} ${e.type} ${e.faultId}`)).toEqual([
      '2000 fault_start f2-latency',
      '10000 fault_start f1-nodePause',
      '15000 fault_stop f1-nodePause',
      '22000 fault_stop f2-latency',
    ]);
    expect(events[0]).toMatchObject({
      kind: 'latency',
      target: 'link us->eu, +100ms',
      regions: ['us', 'eu'],
    });
    expect(backends.clean()).toBe(true);
  });

  it('records the actual time when the clock runs late', async () => {
    const { clock, run } = setup([{ fault: 'nodeCrash', at: '1s', duration: '1s', node: 'us/n2' }]);
    // The process was descheduled: the clock jumps past both the apply and the revert time.
    await clock.jumpTo(ORIGIN + 5_000);
    const [record] = await run.done;
    expect(record?.appliedAt).toBe(5_000);
    expect(record?.revertedAt).toBe(5_000);
  });

  it('reverts a fault ending at the instant another starts before applying it', async () => {
    const { clock, backends, run } = setup([
      { fault: 'nodePause', at: '5s', duration: '5s', node: 'eu/n1' },
      { fault: 'nodePause', at: '10s', duration: '5s', node: 'eu/n1' },
    ]);
    await clock.advanceTo(ORIGIN + 20_000);
    await run.done;
    expect(backends.calls).toEqual([
      't=5000 SIGSTOP eu/n1',
      't=10000 SIGCONT eu/n1',
      't=10000 SIGSTOP eu/n1',
      't=15000 SIGCONT eu/n1',
      't=15000 reset',
    ]);
  });

  it('keeps a proxy down while any overlapping fault still holds it', async () => {
    const { clock, backends, run } = setup([
      { fault: 'regionIsolation', at: '1s', duration: '9s', region: 'eu' },
      { fault: 'partition', at: '5s', duration: '15s', groups: [['eu'], ['us']] },
    ]);
    await clock.advanceTo(ORIGIN + 12_000);
    // The isolation ended, but the partition still holds the links: only directory proxies heal.
    expect(backends.state.disabled).toEqual(
      new Set(topology.proxies.filter((p) => p.kind === 'link').map((p) => p.name)),
    );
    expect(backends.calls.filter((c) => c.includes('enable link:'))).toEqual([]);
    await clock.advanceTo(ORIGIN + 25_000);
    await run.done;
    expect(backends.calls.filter((c) => c.startsWith('t=20000 enable link:'))).toHaveLength(4);
    // Each proxy went down exactly once, however many faults wanted it down.
    expect(backends.calls.filter((c) => c.includes('disable link:eu->us/n1'))).toHaveLength(1);
    expect(backends.clean()).toBe(true);
  });

  it('toggles a flapping link every half period and leaves it up', async () => {
    const { clock, backends, run } = setup([
      { fault: 'flap', at: '4s', duration: '5s', link: { from: 'eu', to: 'us' }, period: '2s' },
    ]);
    await clock.advanceTo(ORIGIN + 10_000);
    await run.done;
    const toggles = backends.calls.filter((c) => c.endsWith('link:eu->us/n1'));
    expect(toggles).toEqual([
      't=4000 disable link:eu->us/n1',
      't=5000 enable link:eu->us/n1',
      't=6000 disable link:eu->us/n1',
      't=7000 enable link:eu->us/n1',
      't=8000 disable link:eu->us/n1',
      't=9000 enable link:eu->us/n1',
    ]);
    expect(backends.clean()).toBe(true);
  });

  it('records failed actions, carries on, and heals everything at the end', async () => {
    const { clock, backends, run } = setup([
      { fault: 'regionOutage', at: '1s', duration: '4s', region: 'us' },
      { fault: 'clockSkew', at: '2s', node: 'eu/n2', offsetMs: 3000 },
    ]);
    backends.failOn('disable edge:clients->us/n1');
    backends.failOn('restart us/n2');
    await clock.advanceTo(ORIGIN + 6_000);
    // The failed disable did not stop the rest of the outage.
    expect(backends.calls).toContain('t=1000 disable dir:us/n2');
    expect(backends.calls).toContain('t=2000 clock eu/n2 3000');
    expect(run.active().map((f) => f.id)).toEqual(['f2-clockSkew']);
    await run.healAll();
    const records = await run.done;
    expect(records[0]?.error).toContain('disable edge:clients->us/n1: injected failure');
    expect(records[0]?.error).toContain('restart us/n2: injected failure');
    expect(records[0]?.revertedAt).toBe(5_000);
    expect(records[1]?.error).toBeUndefined();
    expect(records[1]?.revertedAt).toBe(6_000);
    // The sweep tried the failed restart again; it still fails, so it is reported.
    expect(run.healErrors()).toEqual([expect.stringContaining('restart us/n2')]);
    expect(backends.state.clocks.get('eu/n2')).toBe(0);
    expect(backends.state.disabled.size).toBe(0);
  });

  it('an abort mid-fault heals everything and never starts later faults', async () => {
    const { clock, backends, run, controller, events } = setup([
      { fault: 'nodePause', at: '1s', region: 'eu', pick: 'all' },
      { fault: 'blackhole', at: '2s', region: 'us' },
      { fault: 'regionOutage', at: '3s', region: 'eu' },
      { fault: 'nodeCrash', at: '30s', node: 'us/n1' },
    ]);
    await clock.advanceTo(ORIGIN + 3_500);
    expect(backends.state.paused.size).toBe(0); // killed by the outage
    expect(backends.state.dead.size).toBe(2);
    expect(backends.state.toxics.size).toBeGreaterThan(0);
    controller.abort();
    const records = await run.done;
    expect(backends.clean()).toBe(true);
    expect(run.active()).toEqual([]);
    expect(records.map((r) => [r.id, r.appliedAt, r.revertedAt])).toEqual([
      ['f1-nodePause', 1_000, 3_500],
      ['f2-blackhole', 2_000, 3_500],
      ['f3-regionOutage', 3_000, 3_500],
      ['f4-nodeCrash', null, null],
    ]);
    // Reverted newest first, then swept.
    expect(events.filter((e) => e.type === 'fault_stop').map((e) => e.faultId)).toEqual([
      'f3-regionOutage',
      'f2-blackhole',
      'f1-nodePause',
    ]);
    expect(backends.calls.at(-1)).toBe('t=3500 reset');
    await clock.advanceTo(ORIGIN + 40_000);
    expect(backends.calls.some((c) => c.includes('us/n1') && c.includes('SIGKILL'))).toBe(false);
    expect(clock.pending()).toBe(0);
  });

  it('resumes a paused node on healAll even when its own revert failed', async () => {
    const { clock, backends, run } = setup([{ fault: 'nodePause', at: '1s', node: 'us/n1' }]);
    backends.failOn('SIGCONT us/n1');
    await clock.advanceTo(ORIGIN + 2_000);
    const healing = run.healAll();
    // The revert fails, so the sweep tries SIGCONT again (and here fails again, which is reported).
    expect(run.healAll()).toBe(healing);
    await healing;
    expect(backends.calls.filter((c) => c.includes('SIGCONT us/n1'))).toHaveLength(2);
    expect((await run.done)[0]?.error).toContain('SIGCONT us/n1');
    expect(run.healErrors()).toEqual([expect.stringContaining('SIGCONT us/n1')]);
  });

  it('keeps open-ended faults until healAll, which is idempotent', async () => {
    const { clock, backends, run } = setup([
      { fault: 'brownout', at: '1s', region: 'eu', share: 0.5 },
      { fault: 'scaleOut', at: '2s', region: 'us', count: 2 },
    ]);
    let resolved = false;
    void run.done.then(() => {
      resolved = true;
    });
    await clock.advanceTo(ORIGIN + 59_000);
    expect(resolved).toBe(false);
    expect(run.active().map((f) => f.id)).toEqual(['f1-brownout']);
    await Promise.all([run.healAll(), run.healAll()]);
    await settle();
    expect(resolved).toBe(true);
    const records = await run.done;
    expect(records[1]).toMatchObject({
      appliedAt: 2_000,
      revertedAt: null,
      addedNodes: ['us/added1', 'us/added2'],
    });
    expect(backends.calls.filter((c) => c.endsWith('reset'))).toHaveLength(1);
    await run.healAll();
    expect(backends.calls.filter((c) => c.endsWith('reset'))).toHaveLength(1);
    expect(backends.clean()).toBe(true);
  });

  it('heals at once when started with an aborted signal', async () => {
    const clock = createManualClock(0);
    const backends = createFakeBackends(clock);
    const controller = new AbortController();
    controller.abort();
    const faults: ResolvedFault[] = resolveTimeline([{ fault: 'nodePause', at: 0 }], topology, {
      seed: 1,
      loadDurationMs: 1000,
    });
    const run = runTimeline({ faults, backends, clock, signal: controller.signal });
    const records = await run.done;
    expect(records[0]?.appliedAt).toBeNull();
    expect(backends.calls).toEqual(['t=0 reset']);
  });

  it('survives a throwing onEvent callback', async () => {
    const clock = createManualClock(0);
    const backends = createFakeBackends(clock);
    const faults = resolveTimeline([{ fault: 'nodePause', at: 10, duration: 10 }], topology, {
      seed: 1,
      loadDurationMs: 1000,
    });
    const run = runTimeline({
      faults,
      backends,
      clock,
      onEvent: () => {
        throw new Error('reporter bug');
      },
    });
    await clock.advanceTo(100);
    const [record] = await run.done;
    expect(record).toMatchObject({ appliedAt: 10, revertedAt: 20 });
    expect(backends.clean()).toBe(true);
  });
});
