// Pins what the console shows of a session (harness/console/state.ts, traffic.ts, nodes.ts,
// scrape.ts, catalogue.ts): hand-built history events go in, and the snapshot must give the
// per-second traffic with latency from each message's intended send time, the totals, clients
// per region, failovers with their outage seconds, the phase, the faults with their planned
// ends, and every node's and region's state from the active faults and the scrapes. The page
// draws these numbers as they are, so each is checked against a value worked out by hand.
import { describe, expect, it } from 'vitest';
import { FAULT_KINDS, type FaultSpec } from '../../chaos/index.ts';
import { type ResolvedFault, resolveTimeline } from '../../chaos/timeline.ts';
import type { HistoryEvent } from '../../contracts/history.ts';
import { consoleCatalogue, faultKinds } from '../../harness/console/catalogue.ts';
import { consoleRegions, faultEffects, type NodeReading } from '../../harness/console/nodes.ts';
import { readGauges, readingOf } from '../../harness/console/scrape.ts';
import { createSessionModel, type SnapshotInputs } from '../../harness/console/state.ts';
import { createTrafficModel, SERIES_SECONDS } from '../../harness/console/traffic.ts';
import { planLayout } from '../../harness/local/layout.ts';
import { chaosTopologyOfLayout, prepareScenario } from '../../harness/scenario/prepare.ts';
import { parseScenario } from '../../harness/scenario/scenario.ts';

const REGIONS = ['eu-west', 'us-east', 'ap-south'];
const topology = chaosTopologyOfLayout(planLayout(REGIONS, 1));
const T0 = 1_700_000_000_000;

type WithoutAt<T> = T extends unknown ? Omit<T, 'at'> & { at?: string } : never;

/** Faults resolved against the real topology, starting at load start unless `at` says. */
function faults(...specs: WithoutAt<FaultSpec>[]): ResolvedFault[] {
  return resolveTimeline(
    specs.map((s) => ({ at: '0s', ...s }) as FaultSpec),
    topology,
    { seed: 1, loadDurationMs: 600_000 },
  );
}

// History events, with only the fields each model reads varying.
const send = (t: number, intendedAt: number, cmid: string, user = 'u1', conv = 'c1'): HistoryEvent => ({
  type: 'send',
  t,
  intendedAt,
  user,
  conv,
  cmid,
});
const ack = (t: number, cmid: string): HistoryEvent => ({
  type: 'ack',
  t,
  user: 'u1',
  conv: 'c1',
  cmid,
  seq: 1,
});
const deliver = (t: number, cmid: string, from = 'u1', conv = 'c1'): HistoryEvent => ({
  type: 'deliver',
  t,
  user: 'u2',
  session: 's2',
  conv,
  cmid,
  from,
  seq: 1,
  via: 'push',
});
const failed = (t: number, cmid: string): HistoryEvent => ({
  type: 'send_failed',
  t,
  user: 'u1',
  conv: 'c1',
  cmid,
  reason: 'refused',
});
const lost = (t: number, cmid: string): HistoryEvent => ({
  type: 'send_indeterminate',
  t,
  user: 'u1',
  conv: 'c1',
  cmid,
  reason: 'timeout',
});
const up = (t: number, session: string, region: string): HistoryEvent => ({
  type: 'conn_up',
  t,
  user: `user-${session}`,
  session,
  region,
});
const down = (t: number, session: string, region: string): HistoryEvent => ({
  type: 'conn_down',
  t,
  user: `user-${session}`,
  session,
  region,
  reason: 'closed',
});
const failover = (t: number, session: string, from: string, to: string): HistoryEvent => ({
  type: 'failover',
  t,
  user: `user-${session}`,
  session,
  from,
  to,
});
const phase = (t: number, name: 'load_start' | 'load_stop' | 'final_reads'): HistoryEvent => ({
  type: 'phase',
  t,
  name,
});
const faultStart = (t: number, f: ResolvedFault): HistoryEvent => ({
  type: 'fault_start',
  t,
  faultId: f.id,
  kind: f.kind,
  target: f.target,
  regions: f.regions,
});
const faultStop = (t: number, id: string): HistoryEvent => ({ type: 'fault_stop', t, faultId: id });

/** Within the histogram's 1% bucket width, never below the true value. */
function near(actual: number | null, expected: number): void {
  expect(actual).not.toBeNull();
  expect(actual as number).toBeGreaterThanOrEqual(expected - 1e-9);
  expect(actual as number).toBeLessThanOrEqual(expected * 1.01);
}

describe('traffic model', () => {
  it('counts each second’s sends, acks, deliveries and failures, and the totals', () => {
    const traffic = createTrafficModel();
    for (const e of [
      send(T0 + 100, T0 + 100, 'a'),
      send(T0 + 900, T0 + 900, 'b'),
      ack(T0 + 950, 'a'),
      send(T0 + 1_100, T0 + 1_100, 'c'),
      failed(T0 + 1_200, 'c'),
      lost(T0 + 1_300, 'b'),
      deliver(T0 + 1_400, 'a'),
    ])
      traffic.observe(e);
    const snap = traffic.snapshot();
    expect(snap.totals).toEqual({ sent: 3, acked: 1, delivered: 1, failed: 1, indeterminate: 1 });
    expect(snap.series.map(({ p50Ms: _a, p99Ms: _b, ...counts }) => counts)).toEqual([
      { t: T0, sent: 2, acked: 1, delivered: 0, failed: 0 },
      { t: T0 + 1_000, sent: 1, acked: 0, delivered: 1, failed: 2 },
    ]);
    expect(snap.series[0]?.p50Ms).toBeNull();
  });

  it('puts a late event in its own second, in time order, and keeps the last 600 seconds', () => {
    const traffic = createTrafficModel();
    traffic.observe(send(T0 + 2_500, T0 + 2_500, 'a'));
    traffic.observe(ack(T0 + 200, 'late'));
    traffic.observe(send(T0 + 2_600, T0 + 2_600, 'b'));
    expect(traffic.snapshot().series.map((p) => [p.t - T0, p.sent, p.acked])).toEqual([
      [0, 0, 1],
      [2_000, 2, 0],
    ]);
    for (let s = 3; s < 3 + SERIES_SECONDS; s++)
      traffic.observe(send(T0 + s * 1_000, T0 + s * 1_000, `s${s}`));
    const series = traffic.snapshot().series;
    expect(series).toHaveLength(SERIES_SECONDS);
    expect(series[0]?.t).toBe(T0 + 3_000);
    expect(series.at(-1)?.t).toBe(T0 + (2 + SERIES_SECONDS) * 1_000);
    // The totals still count everything.
    expect(traffic.snapshot().totals.sent).toBe(2 + SERIES_SECONDS);
  });

  it('measures delivery latency from the intended send time, per second', () => {
    const traffic = createTrafficModel();
    // Sent 200 ms late (a stalled generator): the latency still counts from the schedule.
    traffic.observe(send(T0 + 200, T0, 'late'));
    traffic.observe(deliver(T0 + 300, 'late'));
    for (let i = 0; i < 100; i++) traffic.observe(send(T0 + 2_000, T0 + 2_000, `m${i}`));
    for (let i = 0; i < 100; i++) traffic.observe(deliver(T0 + 2_000 + 10 * (i + 1), `m${i}`));
    const [first, second] = traffic.snapshot().series.filter((p) => p.delivered > 0);
    near(first?.p50Ms ?? null, 300);
    near(first?.p99Ms ?? null, 300);
    expect(first?.t).toBe(T0);
    // Latencies 10, 20 … 1000 ms: p50 is 500, p99 990.
    near(second?.p50Ms ?? null, 500);
    near(second?.p99Ms ?? null, 990);
    expect(second?.t).toBe(T0 + 2_000);
  });

  it('matches a delivery to its send by conversation, sender and client id', () => {
    const traffic = createTrafficModel();
    traffic.observe(send(T0, T0, 'x', 'alice', 'c1'));
    traffic.observe(send(T0, T0 - 5_000, 'x', 'bob', 'c1'));
    traffic.observe(deliver(T0 + 40, 'x', 'alice', 'c1'));
    near(traffic.snapshot().series[0]?.p99Ms ?? null, 40);
  });

  it('counts clients per region from connections up and down', () => {
    const traffic = createTrafficModel();
    for (const e of [
      up(T0, 's1', 'eu-west'),
      up(T0, 's2', 'eu-west'),
      up(T0, 's3', 'us-east'),
      down(T0 + 10, 's2', 'eu-west'),
    ])
      traffic.observe(e);
    const snap = traffic.snapshot();
    expect(Object.fromEntries(snap.clients)).toEqual({ 'eu-west': 1, 'us-east': 1 });
    expect(snap.failovers.disconnected).toBe(1);
  });

  it('counts failovers and lists each with the seconds its session was without service', () => {
    const traffic = createTrafficModel();
    for (const e of [
      up(T0, 's1', 'eu-west'),
      up(T0, 's2', 'eu-west'),
      up(T0, 's3', 'us-east'),
      down(T0 + 1_000, 's1', 'eu-west'),
      down(T0 + 1_000, 's2', 'eu-west'),
      failover(T0 + 2_000, 's1', 'eu-west', 'us-east'),
      up(T0 + 3_500, 's1', 'us-east'),
      failover(T0 + 2_000, 's2', 'eu-west', 'ap-south'),
      up(T0 + 5_000, 's2', 'ap-south'),
      // A reconnect to the same region is an outage, not a failover.
      down(T0 + 6_000, 's3', 'us-east'),
      up(T0 + 6_500, 's3', 'us-east'),
    ])
      traffic.observe(e);
    const { failovers, clients } = traffic.snapshot();
    expect(failovers.count).toBe(2);
    expect(failovers.disconnected).toBe(0);
    expect(failovers.recent).toEqual([
      { t: T0 + 3_500, from: 'eu-west', to: 'us-east', seconds: 2.5 },
      { t: T0 + 5_000, from: 'eu-west', to: 'ap-south', seconds: 4 },
    ]);
    near(failovers.maxSeconds, 4);
    near(failovers.p50Seconds, 2.5);
    expect(Object.fromEntries(clients)).toEqual({ 'us-east': 2, 'ap-south': 1 });
  });
});

describe('session model', () => {
  const prepared = prepareScenario(
    parseScenario({
      name: 'console',
      description: 'a session for the console model',
      duration: '60s',
      seed: 1,
      topology: { regions: REGIONS, nodesPerRegion: 1 },
      workload: { users: 3, rate: 1 },
      chaos: [{ fault: 'regionOutage', region: 'eu-west', at: '2s', duration: '3s' }],
    }),
    'console.ts',
    1,
  );
  const inputs = (readings: [string, NodeReading][] = []): SnapshotInputs => ({
    topology,
    readings: new Map(readings),
    violations: { duplicates: 2, order: 1 },
    runDir: '/runs/x',
  });

  it('follows the phases load → settling → judging from phase events', () => {
    const model = createSessionModel(prepared, 3_600_000);
    expect(model.snapshot(inputs()).session.phase).toBe('starting');
    model.observe(phase(T0, 'load_start'));
    let session = model.snapshot(inputs()).session;
    expect(session).toMatchObject({ phase: 'load', loadStartedAt: T0, maxDurationMs: 3_600_000 });
    expect(session).toMatchObject({ scenario: 'console', seed: 1, runDir: '/runs/x' });
    model.observe(phase(T0 + 10_000, 'load_stop'));
    expect(model.phase()).toBe('settling');
    model.observe(phase(T0 + 20_000, 'final_reads'));
    session = model.snapshot(inputs()).session;
    expect(session.phase).toBe('judging');
    expect(session.loadStartedAt).toBe(T0);
    model.finish(null, 'ended');
    expect(model.phase()).toBe('ended');
    const log = model.snapshot(inputs()).log;
    expect(log.map((l) => l.t)).toEqual([T0, T0 + 10_000, T0 + 20_000]);
  });

  it('shows a planned fault with its end from the plan, and when it stopped', () => {
    const model = createSessionModel(prepared, 3_600_000);
    const planned = prepared.faults[0] as ResolvedFault;
    model.observe(faultStart(T0 + 2_000, planned));
    let [shown] = model.snapshot(inputs()).faults;
    expect(shown).toEqual({
      id: 'f1-regionOutage',
      kind: 'regionOutage',
      target: 'region eu-west',
      regions: ['eu-west'],
      startedAt: T0 + 2_000,
      stoppedAt: null,
      endsAt: T0 + 5_000,
      manual: false,
    });
    const regions = model.snapshot(inputs()).regions;
    expect(regions.find((r) => r.name === 'eu-west')?.state).toBe('down');
    expect(regions.find((r) => r.name === 'eu-west')?.nodes[0]?.faults).toEqual(['f1-regionOutage']);
    model.observe(faultStop(T0 + 5_100, 'f1-regionOutage'));
    const snap = model.snapshot(inputs());
    [shown] = snap.faults;
    expect(shown?.stoppedAt).toBe(T0 + 5_100);
    expect(snap.regions.map((r) => r.state)).toEqual(['up', 'up', 'up']);
  });

  it('marks a console fault manual, with its end from its duration or none', () => {
    const model = createSessionModel({ ...prepared, faults: [] }, 3_600_000);
    const [timed, open] = faults(
      { fault: 'nodePause', node: 'us-east/n1', duration: '30s', name: 'm1-nodePause' },
      { fault: 'nodeCrash', node: 'ap-south/n1', name: 'm2-nodeCrash' },
    );
    model.markManual({ ...(timed as ResolvedFault), at: 7_000, until: 37_000 });
    model.markManual(open as ResolvedFault);
    model.observe(faultStart(T0 + 7_000, timed as ResolvedFault));
    model.observe(faultStart(T0 + 8_000, open as ResolvedFault));
    const snap = model.snapshot(inputs());
    expect(snap.faults.map((f) => [f.id, f.manual, f.endsAt])).toEqual([
      ['m1-nodePause', true, T0 + 37_000],
      ['m2-nodeCrash', true, null],
    ]);
    expect(snap.regions.map((r) => [r.name, r.state])).toEqual([
      ['eu-west', 'up'],
      ['us-east', 'paused'],
      ['ap-south', 'down'],
    ]);
  });

  it('shows an instant fault (scaleOut) as done once applied: nothing of it is left to heal', () => {
    const model = createSessionModel({ ...prepared, faults: [] }, 3_600_000);
    const [grow] = faults({ fault: 'scaleOut', region: 'eu-west', name: 'm1-scaleOut' });
    expect(grow?.instant).toBe(true);
    model.markManual(grow as ResolvedFault);
    model.observe(faultStart(T0 + 4_000, grow as ResolvedFault));
    const [shown] = model.snapshot(inputs()).faults;
    expect(shown).toMatchObject({
      id: 'm1-scaleOut',
      manual: true,
      startedAt: T0 + 4_000,
      stoppedAt: T0 + 4_000,
    });
  });

  it('joins the traffic, clients, failovers and the live judge into the snapshot', () => {
    const model = createSessionModel(prepared, 3_600_000);
    for (const e of [
      up(T0, 's1', 'eu-west'),
      up(T0, 's2', 'us-east'),
      send(T0 + 10, T0 + 10, 'a'),
      deliver(T0 + 60, 'a'),
      failed(T0 + 70, 'b'),
      down(T0 + 100, 's1', 'eu-west'),
      failover(T0 + 200, 's1', 'eu-west', 'us-east'),
      up(T0 + 1_100, 's1', 'us-east'),
    ])
      model.observe(e);
    const snap = model.snapshot(inputs());
    expect(snap.totals).toEqual({ sent: 1, acked: 0, delivered: 1, failed: 1, indeterminate: 0 });
    expect(snap.regions.map((r) => [r.name, r.clients])).toEqual([
      ['eu-west', 0],
      ['us-east', 2],
      ['ap-south', 0],
    ]);
    expect(snap.failovers.count).toBe(1);
    expect(snap.failovers.recent).toEqual([{ t: T0 + 1_100, from: 'eu-west', to: 'us-east', seconds: 1 }]);
    expect(snap.consistency.map((c) => [c.name, c.count])).toEqual([
      ['duplicates', 2],
      ['order', 1],
      ['send_failed', 1],
      ['send_indeterminate', 0],
    ]);
  });
});

describe('node and region states', () => {
  const none = new Map<string, NodeReading>();
  const clients = new Map<string, number>();
  const states = (active: ResolvedFault[], readings: ReadonlyMap<string, NodeReading> = none) =>
    Object.fromEntries(
      consoleRegions(topology, faultEffects(active, topology), readings, clients).flatMap((r) => [
        [r.name, r.state],
        ...r.nodes.map((n) => [n.id, n.state]),
      ]),
    );

  it('shows every node up with no fault', () => {
    expect(Object.values(states([]))).toEqual(Array(6).fill('up'));
  });

  it('shows SIGKILL as down and SIGSTOP as paused', () => {
    const s = states(
      faults({ fault: 'nodeCrash', node: 'eu-west/n1' }, { fault: 'nodePause', node: 'us-east/n1' }),
    );
    expect(s).toMatchObject({ 'eu-west/n1': 'down', 'eu-west': 'down', 'us-east/n1': 'paused' });
    expect(s['ap-south/n1']).toBe('up');
  });

  it('shows a region with every link cut as isolated, and its peers with some links cut as degraded', () => {
    const s = states(faults({ fault: 'regionIsolation', region: 'eu-west' }));
    expect(s).toMatchObject({
      'eu-west/n1': 'isolated',
      'eu-west': 'isolated',
      'us-east/n1': 'degraded',
      'ap-south/n1': 'degraded',
    });
  });

  it('shows a node with only some links cut as degraded', () => {
    const s = states(faults({ fault: 'partition', groups: [['eu-west'], ['us-east']] }));
    expect(s).toMatchObject({ 'eu-west/n1': 'degraded', 'us-east/n1': 'degraded', 'ap-south/n1': 'up' });
  });

  it('shows a slowed link as degraded on the nodes it carries traffic for', () => {
    const s = states(faults({ fault: 'latency', link: { from: 'us-east', to: 'eu-west' }, latency: 200 }));
    expect(s).toMatchObject({ 'eu-west/n1': 'degraded', 'us-east/n1': 'degraded', 'ap-south/n1': 'up' });
  });

  it('shows a skewed clock and a brownout as degraded', () => {
    const s = states(
      faults(
        { fault: 'clockSkew', node: 'us-east/n1', offsetMs: 800 },
        { fault: 'brownout', region: 'ap-south', share: 0.5 },
      ),
    );
    expect(s).toMatchObject({ 'us-east/n1': 'degraded', 'ap-south/n1': 'degraded', 'eu-west/n1': 'up' });
  });

  it('shows a node both killed and cut off as down', () => {
    const s = states(
      faults(
        { fault: 'regionIsolation', region: 'eu-west', name: 'iso' },
        { fault: 'nodeCrash', node: 'eu-west/n1', name: 'crash' },
      ),
    );
    expect(s['eu-west/n1']).toBe('down');
    // A region outage kills and cuts at once: down, not isolated.
    expect(states(faults({ fault: 'regionOutage', region: 'us-east' }))['us-east/n1']).toBe('down');
  });

  it('lists every fault acting on a node, even two on the same proxies', () => {
    const active = faults(
      { fault: 'latency', link: { from: 'us-east', to: 'eu-west' }, latency: 100, name: 'slow' },
      { fault: 'latency', link: { from: 'us-east', to: 'eu-west' }, latency: 300, name: 'slower' },
    );
    const effects = faultEffects(active, topology);
    expect(effects.get('eu-west/n1')?.faults.sort()).toEqual(['slow', 'slower']);
  });

  it('shows a node that stops answering with no fault as unreachable, and no stale gauges', () => {
    const readings = new Map<string, NodeReading>([
      ['eu-west/n1', { reachable: false }],
      ['us-east/n1', { reachable: true, homed: 4, lagSeconds: 0.5, lagMessages: 3 }],
      ['ap-south/n1', { reachable: false, homed: 9 }],
    ]);
    const crash = faults({ fault: 'nodeCrash', node: 'ap-south/n1' });
    const regions = consoleRegions(topology, faultEffects(crash, topology), readings, clients);
    const [eu, us, ap] = regions;
    expect(eu?.state).toBe('unreachable');
    expect(us?.nodes[0]).toMatchObject({ state: 'up', homed: 4, lagSeconds: 0.5, lagMessages: 3 });
    expect(us?.homed).toBe(4);
    // Killed and silent: down (the fault explains it), and its last gauges are not shown.
    expect(ap?.nodes[0]).toMatchObject({ state: 'down', homed: null, lagSeconds: null });
    expect(ap?.homed).toBeNull();
  });

  it('gives a region its nodes’ common state, else degraded', () => {
    const two = chaosTopologyOfLayout(planLayout(['eu-west', 'us-east'], 2));
    const crash = resolveTimeline(
      [
        { fault: 'nodeCrash', node: 'eu-west/n1', at: '0s' },
        { fault: 'nodePause', region: 'us-east', pick: 'all', at: '0s' },
      ],
      two,
      { seed: 1, loadDurationMs: 60_000 },
    );
    const regions = consoleRegions(two, faultEffects(crash, two), none, clients);
    expect(regions.map((r) => [r.name, r.state, r.nodes.map((n) => n.state)])).toEqual([
      ['eu-west', 'degraded', ['down', 'up']],
      ['us-east', 'paused', ['paused', 'paused']],
    ]);
  });
});

describe('scrape readings', () => {
  const TEXT = [
    '# HELP chat_homed_conversations Conversations this node sequences',
    '# TYPE chat_homed_conversations gauge',
    'chat_homed_conversations 12',
    'chat_replication_lag_seconds{peer="us-east"} 0.25',
    'chat_replication_lag_seconds{peer="ap-south"} 1.5',
    'chat_replication_lag_messages{peer="us-east"} 3',
    'chat_replication_lag_messages{peer="ap-south"} 4',
    'chat_replication_lag_messages_total 99',
    'chat_other NaN',
    '',
  ].join('\n');

  it('sums and takes the max of every sample of each named metric, and nothing else', () => {
    const found = readGauges(TEXT, ['chat_replication_lag_messages', 'chat_homed_conversations', 'missing']);
    expect(Object.fromEntries(found)).toEqual({
      chat_homed_conversations: { sum: 12, max: 12 },
      chat_replication_lag_messages: { sum: 7, max: 4 },
    });
  });

  it('reads homed as a sum, lag seconds as the max and lag messages as a sum', () => {
    expect(
      readingOf(TEXT, {
        homed: 'chat_homed_conversations',
        lagSeconds: 'chat_replication_lag_seconds',
        lagMessages: 'chat_replication_lag_messages',
      }),
    ).toEqual({ reachable: true, homed: 12, lagSeconds: 1.5, lagMessages: 7 });
  });

  it('reads the value, not the optional timestamp after it', () => {
    const stamped = 'chat_homed_conversations 12 1700000000000\nchat_lag{peer="a b"} 2 1700000000000\n';
    expect(Object.fromEntries(readGauges(stamped, ['chat_homed_conversations', 'chat_lag']))).toEqual({
      chat_homed_conversations: { sum: 12, max: 12 },
      chat_lag: { sum: 2, max: 2 },
    });
  });

  it('reads a lag of 0 when no peer series exist, and leaves unnamed gauges out', () => {
    expect(readingOf('# nothing yet\n', { lagSeconds: 'lag_s', lagMessages: 'lag_m' })).toEqual({
      reachable: true,
      lagSeconds: 0,
      lagMessages: 0,
    });
    expect(readingOf(TEXT, {})).toEqual({ reachable: true });
  });
});

describe('fault catalogue', () => {
  const kinds = faultKinds();
  const field = (kind: string, name: string) =>
    kinds.find((k) => k.kind === kind)?.fields.find((f) => f.name === name);

  it('has an entry with a description for every fault kind, and never an at field', () => {
    expect(kinds.map((k) => k.kind)).toEqual([...FAULT_KINDS]);
    for (const k of kinds) {
      expect(k.description).not.toBe(k.kind);
      expect(k.fields.map((f) => f.name)).not.toContain('at');
      expect(k.fields.map((f) => f.name)).not.toContain('fault');
    }
  });

  it('reads each field’s type, requiredness, choices and bounds from the schema', () => {
    expect(field('regionOutage', 'region')).toMatchObject({ type: 'region', required: true });
    expect(field('regionOutage', 'duration')).toMatchObject({ type: 'duration', required: false });
    expect(field('latency', 'stream')).toMatchObject({
      type: 'enum',
      choices: ['upstream', 'downstream', 'both'],
      required: false,
    });
    expect(field('latency', 'latency')).toMatchObject({ type: 'number', min: 0, required: true });
    expect(field('nodeCrash', 'restartAfter')).toMatchObject({ type: 'duration', required: false });
    expect(field('partition', 'oneWay')).toMatchObject({ type: 'boolean' });
    expect(field('partition', 'groups')).toMatchObject({ type: 'groups', required: true });
    expect(field('flap', 'link')).toMatchObject({ type: 'link' });
    // Required fields come first.
    const latency = kinds.find((k) => k.kind === 'latency')?.fields ?? [];
    expect(latency[0]?.name).toBe('latency');
  });

  it('offers the scenario’s planned faults as presets without their at', () => {
    const catalogue = consoleCatalogue(topology, { '@busiest': 'us-east' }, [
      { fault: 'regionOutage', region: 'eu-west', at: '10s', duration: '30s' },
      { fault: 'nodePause', node: 'us-east/n1', at: '5s', name: 'freeze' },
    ]);
    expect(catalogue.presets).toEqual([
      { name: 'f1-regionOutage', spec: { fault: 'regionOutage', region: 'eu-west', duration: '30s' } },
      { name: 'freeze', spec: { fault: 'nodePause', node: 'us-east/n1', name: 'freeze' } },
    ]);
    expect(catalogue.regions).toEqual(REGIONS);
    expect(catalogue.nodes).toEqual(['eu-west/n1', 'us-east/n1', 'ap-south/n1']);
    expect(catalogue.aliases).toEqual({ '@busiest': 'us-east' });
  });
});
