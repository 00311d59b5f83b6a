// Pins the live timeline (chaos/live.ts) that `chatquake up` injects faults through: a fault is
// applied the moment it is asked for, heals itself at the end of its duration or when healed by
// hand, never heals what an overlapping fault still holds, and healAll (or an abort) leaves the
// system clean with every record timed from load start. A manual clock and recording backends
// make every call's time and order exact.
import { describe, expect, it } from 'vitest';
import type { FaultSpec } from '../../chaos/faults/spec.ts';
import { createLiveTimeline } from '../../chaos/live.ts';
import { type ResolvedFault, resolveTimeline, type TimelineEvent } from '../../chaos/timeline.ts';
import { createFakeBackends } from './fixtures/fake-backends.ts';
import { createManualClock } from './fixtures/manual-clock.ts';
import { makeTopology } from './fixtures/topology.ts';

const topology = makeTopology(['eu', 'us'], 2);

/** A scenario fault without `at` (the console's), each kind keeping its own fields. */
type WithoutAt<T> = T extends unknown ? Omit<T, 'at'> & { at?: string } : never;
type LiveSpec = WithoutAt<FaultSpec>;
const ORIGIN = 1_000_000;

/** One fault as the console resolves it: starting now (at 0). */
function fault(spec: LiveSpec, loadDurationMs = 600_000): ResolvedFault {
  const [resolved] = resolveTimeline([{ at: '0s', ...spec } as FaultSpec], topology, {
    seed: 1,
    loadDurationMs,
  });
  if (resolved === undefined) throw new Error('resolveTimeline gave nothing');
  return resolved;
}

function setup() {
  const clock = createManualClock(ORIGIN);
  const backends = createFakeBackends(clock, ORIGIN);
  const events: TimelineEvent[] = [];
  const controller = new AbortController();
  const live = createLiveTimeline({
    backends,
    clock,
    startAt: ORIGIN,
    signal: controller.signal,
    onEvent: (e) => events.push(e),
  });
  const shown = () => events.map((e) => `${e.t - ORIGIN} ${e.type} ${e.faultId}`);
  return { clock, backends, events, shown, live, controller };
}

describe('createLiveTimeline', () => {
  it('applies an injected fault at once and reports its start', async () => {
    const { clock, backends, live, events, shown } = setup();
    await clock.advanceTo(ORIGIN + 5_000);
    const record = await live.inject(fault({ fault: 'nodePause', node: 'eu/n1', name: 'p1' }));
    expect(backends.calls).toEqual(['t=5000 SIGSTOP eu/n1']);
    expect(record).toEqual({
      id: 'p1',
      kind: 'nodePause',
      target: 'node eu/n1 paused',
      regions: ['eu'],
      appliedAt: 5_000,
      revertedAt: null,
    });
    expect(shown()).toEqual(['5000 fault_start p1']);
    expect(events[0]).toMatchObject({ kind: 'nodePause', target: 'node eu/n1 paused', regions: ['eu'] });
    expect(live.active().map((f) => f.id)).toEqual(['p1']);
  });

  it('passes the fault shifted to load time to onScheduled before applying it', async () => {
    const { clock, live, backends } = setup();
    await clock.advanceTo(ORIGIN + 4_000);
    const seen: ResolvedFault[] = [];
    const callsWhenScheduled: number[] = [];
    await live.inject(fault({ fault: 'nodePause', node: 'eu/n1', duration: '3s' }), (s) => {
      seen.push(s);
      callsWhenScheduled.push(backends.calls.length);
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ at: 4_000, until: 7_000 });
    expect(callsWhenScheduled).toEqual([0]);
  });

  it('heals a fault with a duration at its end, measured from the injection', async () => {
    const { clock, backends, live, shown } = setup();
    await clock.advanceTo(ORIGIN + 5_000);
    await live.inject(fault({ fault: 'nodePause', node: 'eu/n1', duration: '3s', name: 'p1' }));
    await clock.advanceTo(ORIGIN + 7_999);
    expect(backends.calls).toEqual(['t=5000 SIGSTOP eu/n1']);
    await clock.advanceTo(ORIGIN + 10_000);
    expect(backends.calls).toEqual(['t=5000 SIGSTOP eu/n1', 't=8000 SIGCONT eu/n1']);
    expect(shown()).toEqual(['5000 fault_start p1', '8000 fault_stop p1']);
    expect(live.active()).toEqual([]);
    expect(live.all()).toMatchObject([{ id: 'p1', appliedAt: 5_000, revertedAt: 8_000 }]);
    expect(backends.clean()).toBe(true);
  });

  it('heals a region outage at its end in order: network first, then the restarts', async () => {
    const { clock, backends, live } = setup();
    await clock.advanceTo(ORIGIN + 1_000);
    await live.inject(fault({ fault: 'regionOutage', region: 'us', duration: '2s', name: 'out' }));
    const applied = backends.calls.slice();
    expect(applied.slice(0, 2).sort()).toEqual(['t=1000 SIGKILL us/n1', 't=1000 SIGKILL us/n2']);
    expect(applied.slice(2).every((c) => c.startsWith('t=1000 disable '))).toBe(true);
    await clock.advanceTo(ORIGIN + 5_000);
    const healed = backends.calls.slice(applied.length);
    expect(healed.slice(0, -2).every((c) => c.startsWith('t=3000 enable '))).toBe(true);
    expect(healed.slice(-2).sort()).toEqual(['t=3000 restart us/n1', 't=3000 restart us/n2']);
    expect(healed.length - 2).toBe(applied.length - 2);
    expect(live.all()).toMatchObject([{ id: 'out', appliedAt: 1_000, revertedAt: 3_000 }]);
    expect(backends.clean()).toBe(true);
  });

  it('runs a flap’s toggles at their times relative to the injection, and leaves the link up', async () => {
    const { clock, backends, live } = setup();
    await clock.advanceTo(ORIGIN + 2_000);
    await live.inject(
      fault({ fault: 'flap', link: { from: 'eu', to: 'us' }, period: '2s', duration: '5s', name: 'fl' }),
    );
    await clock.advanceTo(ORIGIN + 10_000);
    expect(backends.calls.filter((c) => c.endsWith(' link:eu->us/n1'))).toEqual([
      't=2000 disable link:eu->us/n1',
      't=3000 enable link:eu->us/n1',
      't=4000 disable link:eu->us/n1',
      't=5000 enable link:eu->us/n1',
      't=6000 disable link:eu->us/n1',
      't=7000 enable link:eu->us/n1',
    ]);
    expect(backends.clean()).toBe(true);
  });

  it('schedules a long flap without a listener-leak warning on the terminal', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => void warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      const { clock, live } = setup();
      // A flap left to run for a minute: 59 toggles, as a game day would inject it.
      await live.inject(fault({ fault: 'flap', region: 'us', period: '2s', duration: '60s', name: 'fl' }));
      await clock.advanceTo(ORIGIN + 1_000);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
      await live.healAll();
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('heals one fault by id, leaving the others, and answers false for unknown or healed ids', async () => {
    const { clock, backends, live, shown } = setup();
    await live.inject(fault({ fault: 'nodePause', node: 'eu/n1', name: 'a' }));
    await live.inject(fault({ fault: 'nodeCrash', node: 'us/n2', name: 'b' }));
    await clock.advanceTo(ORIGIN + 1_000);
    expect(await live.heal('a')).toBe(true);
    expect(backends.calls).toEqual(['t=0 SIGSTOP eu/n1', 't=0 SIGKILL us/n2', 't=1000 SIGCONT eu/n1']);
    expect(backends.state.dead).toEqual(new Set(['us/n2']));
    expect(live.active().map((f) => f.id)).toEqual(['b']);
    expect(await live.heal('a')).toBe(false);
    expect(await live.heal('nope')).toBe(false);
    expect(backends.calls).toHaveLength(3);
    expect(shown()).toEqual(['0 fault_start a', '0 fault_start b', '1000 fault_stop a']);
  });

  it('does not heal a fault a second time at its end once healed by hand', async () => {
    const { clock, backends, live, shown } = setup();
    await live.inject(fault({ fault: 'nodePause', node: 'eu/n1', duration: '10s', name: 'p' }));
    await clock.advanceTo(ORIGIN + 2_000);
    expect(await live.heal('p')).toBe(true);
    // Paused again by another fault: the first one's end must not release it.
    await live.inject(fault({ fault: 'nodePause', node: 'eu/n1', name: 'q' }));
    await clock.advanceTo(ORIGIN + 20_000);
    expect(backends.calls).toEqual(['t=0 SIGSTOP eu/n1', 't=2000 SIGCONT eu/n1', 't=2000 SIGSTOP eu/n1']);
    expect(shown()).toEqual(['0 fault_start p', '2000 fault_stop p', '2000 fault_start q']);
    expect(backends.state.paused).toEqual(new Set(['eu/n1']));
  });

  it('keeps a node paused by two faults until both are healed', async () => {
    const { live, backends } = setup();
    await live.inject(fault({ fault: 'nodePause', node: 'eu/n1', name: 'one' }));
    await live.inject(fault({ fault: 'nodePause', node: 'eu/n1', name: 'two' }));
    expect(backends.calls).toEqual(['t=0 SIGSTOP eu/n1']);
    expect(await live.heal('one')).toBe(true);
    expect(backends.state.paused).toEqual(new Set(['eu/n1']));
    expect(backends.calls).toEqual(['t=0 SIGSTOP eu/n1']);
    expect(await live.heal('two')).toBe(true);
    expect(backends.calls).toEqual(['t=0 SIGSTOP eu/n1', 't=0 SIGCONT eu/n1']);
    expect(backends.clean()).toBe(true);
  });

  it('keeps a node crashed by a nodeCrash down when the region outage around it heals', async () => {
    const { live, backends } = setup();
    await live.inject(fault({ fault: 'regionOutage', region: 'eu', name: 'out' }));
    await live.inject(fault({ fault: 'nodeCrash', node: 'eu/n1', name: 'crash' }));
    expect(await live.heal('out')).toBe(true);
    expect(backends.calls.filter((c) => c.includes('restart'))).toEqual(['t=0 restart eu/n2']);
    expect(backends.state.dead).toEqual(new Set(['eu/n1']));
    // The network the outage cut is open again.
    expect(backends.state.disabled).toEqual(new Set());
    expect(await live.heal('crash')).toBe(true);
    expect(backends.calls.filter((c) => c.includes('restart'))).toEqual([
      't=0 restart eu/n2',
      't=0 restart eu/n1',
    ]);
    expect(backends.clean()).toBe(true);
  });

  it('heals every active fault newest first on healAll, sweeps, and resolves done with every record', async () => {
    const { clock, backends, live, shown } = setup();
    await clock.advanceTo(ORIGIN + 1_000);
    await live.inject(fault({ fault: 'nodePause', node: 'eu/n1', name: 'old' }));
    await clock.advanceTo(ORIGIN + 2_000);
    await live.inject(fault({ fault: 'nodePause', node: 'us/n1', name: 'gone', duration: '1s' }));
    await clock.advanceTo(ORIGIN + 4_000);
    await live.inject(fault({ fault: 'nodeCrash', node: 'us/n2', name: 'new' }));
    await clock.advanceTo(ORIGIN + 6_000);
    await live.healAll();
    expect(backends.calls).toEqual([
      't=1000 SIGSTOP eu/n1',
      't=2000 SIGSTOP us/n1',
      't=3000 SIGCONT us/n1',
      't=4000 SIGKILL us/n2',
      't=6000 restart us/n2',
      't=6000 SIGCONT eu/n1',
      't=6000 reset',
    ]);
    expect(await live.done).toEqual([
      {
        id: 'old',
        kind: 'nodePause',
        target: 'node eu/n1 paused',
        regions: ['eu'],
        appliedAt: 1_000,
        revertedAt: 6_000,
      },
      {
        id: 'gone',
        kind: 'nodePause',
        target: 'node us/n1 paused',
        regions: ['us'],
        appliedAt: 2_000,
        revertedAt: 3_000,
      },
      {
        id: 'new',
        kind: 'nodeCrash',
        target: 'node us/n2 crashed',
        regions: ['us'],
        appliedAt: 4_000,
        revertedAt: 6_000,
      },
    ]);
    expect(shown().slice(-2)).toEqual(['6000 fault_stop new', '6000 fault_stop old']);
    expect(live.healErrors()).toEqual([]);
    expect(backends.clean()).toBe(true);
  });

  it('heals the later of two faults injected in the same millisecond first', async () => {
    const { live, backends } = setup();
    await live.inject(fault({ fault: 'nodePause', node: 'eu/n1', name: 'first' }));
    await live.inject(fault({ fault: 'nodePause', node: 'us/n1', name: 'second' }));
    await live.healAll();
    expect(backends.calls).toEqual([
      't=0 SIGSTOP eu/n1',
      't=0 SIGSTOP us/n1',
      't=0 SIGCONT us/n1',
      't=0 SIGCONT eu/n1',
      't=0 reset',
    ]);
  });

  it('stops every pending step and end once healed: nothing runs after healAll', async () => {
    const { clock, backends, live } = setup();
    await live.inject(
      fault({ fault: 'flap', link: { from: 'us', to: 'eu' }, period: '2s', duration: '8s', name: 'fl' }),
    );
    await live.inject(fault({ fault: 'nodePause', node: 'eu/n2', duration: '30s', name: 'p' }));
    await clock.advanceTo(ORIGIN + 500);
    await live.healAll();
    const count = backends.calls.length;
    await clock.advanceTo(ORIGIN + 60_000);
    expect(backends.calls).toHaveLength(count);
    expect(clock.pending()).toBe(0);
    expect(backends.clean()).toBe(true);
  });

  it('refuses a fault after healAll, a taken id and a fault that does not start now', async () => {
    const { live, backends } = setup();
    await live.inject(fault({ fault: 'nodePause', node: 'eu/n1', name: 'p' }));
    await expect(live.inject(fault({ fault: 'nodePause', node: 'eu/n2', name: 'p' }))).rejects.toThrow(
      /"p" was already injected/,
    );
    await expect(
      live.inject(fault({ fault: 'nodePause', node: 'eu/n2', name: 'later', at: '1s' })),
    ).rejects.toThrow(/starts now/);
    expect(backends.calls).toEqual(['t=0 SIGSTOP eu/n1']);
    expect(live.all().map((f) => f.id)).toEqual(['p']);
    await live.healAll();
    await expect(live.inject(fault({ fault: 'nodePause', node: 'us/n1', name: 'q' }))).rejects.toThrow(
      /healing/,
    );
    expect(backends.calls.filter((c) => c.includes('us/n1'))).toEqual([]);
  });

  it('heals everything when its signal aborts', async () => {
    const { live, backends, controller } = setup();
    await live.inject(fault({ fault: 'regionOutage', region: 'us', name: 'out' }));
    await live.inject(fault({ fault: 'latency', link: { from: 'eu', to: 'us' }, latency: 100, name: 'lat' }));
    expect(backends.clean()).toBe(false);
    controller.abort();
    const records = await live.done;
    expect(records.map((r) => [r.id, r.revertedAt])).toEqual([
      ['out', 0],
      ['lat', 0],
    ]);
    expect(backends.clean()).toBe(true);
    expect(live.active()).toEqual([]);
  });

  it('heals at once when created with an aborted signal', async () => {
    const clock = createManualClock(ORIGIN);
    const backends = createFakeBackends(clock, ORIGIN);
    const live = createLiveTimeline({ backends, clock, startAt: ORIGIN, signal: AbortSignal.abort() });
    expect(await live.done).toEqual([]);
    expect(backends.calls).toEqual(['t=0 reset']);
  });

  it('records a failing backend call in the fault’s error and keeps the queue working', async () => {
    const { live, backends } = setup();
    backends.failOn('SIGSTOP eu/n1');
    const failed = await live.inject(fault({ fault: 'nodePause', node: 'eu/n1', name: 'bad' }));
    expect(failed.error).toMatch(/injected failure in "SIGSTOP eu\/n1"/);
    const ok = await live.inject(fault({ fault: 'nodePause', node: 'us/n1', name: 'good' }));
    expect(ok.error).toBeUndefined();
    expect(backends.state.paused).toEqual(new Set(['us/n1']));
    expect(live.all().find((f) => f.id === 'bad')?.error).toMatch(/injected failure/);
    expect(await live.heal('good')).toBe(true);
    expect(backends.state.paused).toEqual(new Set());
  });

  it('ignores an onEvent callback that throws', async () => {
    const clock = createManualClock(ORIGIN);
    const backends = createFakeBackends(clock, ORIGIN);
    const live = createLiveTimeline({
      backends,
      clock,
      startAt: ORIGIN,
      onEvent: () => {
        throw new Error('reporter broke');
      },
    });
    await live.inject(fault({ fault: 'nodePause', node: 'eu/n1', name: 'p' }));
    expect(await live.heal('p')).toBe(true);
    expect(backends.clean()).toBe(true);
  });
});
