// A game day in mid-flight as the console's API would describe it: three regions (two with two
// nodes, one with one), a planned fault that came and went, a manual one still active, a minute
// of traffic, and a catalogue covering every field type the inject form draws.
import type {
  ConsoleCatalogue,
  ConsoleFault,
  ConsoleNode,
  ConsoleRegion,
  ConsoleState,
  NodeState,
} from '../../contracts/console.ts';

export const NOW = Date.UTC(2026, 11, 7, 10, 0, 0);
const LOAD_START = NOW - 60_000;

function node(id: string, state: NodeState = 'up', faults: string[] = []): ConsoleNode {
  return {
    id,
    region: id.split('/')[0] ?? id,
    state,
    faults,
    homed: 12,
    lagSeconds: state === 'up' ? 0.4 : null,
    lagMessages: state === 'up' ? 3 : null,
  };
}

function region(name: string, nodes: ConsoleNode[], clients: number): ConsoleRegion {
  const states = new Set(nodes.map((n) => n.state));
  const state: NodeState = states.size === 1 ? (nodes[0]?.state ?? 'up') : 'degraded';
  return { name, state, nodes, homed: nodes.reduce((s, n) => s + (n.homed ?? 0), 0), clients };
}

const PLANNED: ConsoleFault = {
  id: 'latency-1',
  kind: 'latency',
  target: 'link us-east -> eu-west',
  regions: ['us-east', 'eu-west'],
  startedAt: NOW - 50_000,
  stoppedAt: NOW - 35_000,
  endsAt: NOW - 35_000,
  manual: false,
};

export const ACTIVE: ConsoleFault = {
  id: 'pause-ap',
  kind: 'nodePause',
  target: 'node ap-south/n1',
  regions: ['ap-south'],
  startedAt: NOW - 20_000,
  stoppedAt: null,
  endsAt: null,
  manual: true,
};

/** The session under load, nothing down but ap-south's node paused by hand. */
export function loadState(): ConsoleState {
  return {
    session: {
      scenario: 'game-day',
      target: 'reference',
      seed: 42,
      runDir: '/srv/runs/2026-12-07T10-00-00Z-game-day',
      phase: 'load',
      startedAt: LOAD_START - 5_000,
      loadStartedAt: LOAD_START,
      now: NOW,
      maxDurationMs: 600_000,
      result: null,
    },
    regions: [
      region('eu-west', [node('eu-west/n1'), node('eu-west/n2')], 40),
      region('us-east', [node('us-east/n1'), node('us-east/n2')], 38),
      region('ap-south', [node('ap-south/n1', 'paused', ['pause-ap'])], 22),
    ],
    totals: { sent: 6000, acked: 5990, delivered: 5985, failed: 10, indeterminate: 0 },
    series: Array.from({ length: 60 }, (_, i) => ({
      t: LOAD_START + i * 1000,
      sent: 100,
      acked: 99 + (i % 2),
      delivered: 98 + (i % 3),
      failed: i % 10 === 0 ? 2 : 0,
      p50Ms: 20 + (i % 5),
      p99Ms: i === 7 ? null : 80 + (i % 7) * 10,
    })),
    faults: [PLANNED, ACTIVE],
    failovers: {
      count: 0,
      disconnected: 0,
      p50Seconds: null,
      p99Seconds: null,
      maxSeconds: null,
      recent: [],
    },
    consistency: [
      { name: 'duplicates', label: 'duplicate deliveries', count: 0 },
      { name: 'lost', label: 'lost messages', count: 3 },
      { name: 'order', label: 'out-of-order deliveries', count: 0 },
    ],
    log: [
      { t: LOAD_START, level: 'info', text: 'load started: 100 msg/s' },
      { t: NOW - 50_000, level: 'warn', text: 'fault latency-1 applied' },
      { t: NOW - 20_000, level: 'error', text: 'node ap-south/n1 stopped answering' },
    ],
  };
}

/** The same session a few seconds after eu-west went down: its sessions failed over. */
export function outageState(): ConsoleState {
  const s = loadState();
  s.session.now = NOW + 5_000;
  s.regions[0] = region(
    'eu-west',
    [node('eu-west/n1', 'down', ['outage-1']), node('eu-west/n2', 'down', ['outage-1'])],
    0,
  );
  s.faults.push({
    ...ACTIVE,
    id: 'outage-1',
    kind: 'regionOutage',
    target: 'region eu-west',
    startedAt: NOW + 1_000,
  });
  s.failovers = {
    count: 40,
    disconnected: 2,
    p50Seconds: 1.5,
    p99Seconds: 4.2,
    maxSeconds: 4.8,
    recent: [{ t: NOW + 4_000, from: 'eu-west', to: 'us-east', seconds: 1.5 }],
  };
  return s;
}

/** The session judged: failed, one check over its bound. */
export function endedState(): ConsoleState {
  const s = loadState();
  s.session.phase = 'ended';
  s.session.result = {
    exitCode: 1,
    passed: false,
    runDir: s.session.runDir,
    report: `${s.session.runDir}/report.html`,
    failures: ['consistency: 3 lost messages (allowed 0)'],
  };
  s.faults = s.faults.map((f) => ({ ...f, stoppedAt: f.stoppedAt ?? NOW + 9_000 }));
  return s;
}

export const CATALOGUE: ConsoleCatalogue = {
  kinds: [
    {
      kind: 'regionOutage',
      description: 'Takes every node of a region down, as a cloud region outage would.',
      fields: [
        { name: 'region', type: 'region', required: true, help: 'The region to take down.' },
        { name: 'duration', type: 'duration', required: false, help: 'How long; blank: until healed.' },
      ],
    },
    {
      kind: 'latency',
      description: 'Adds latency to the selected network paths.',
      fields: [
        { name: 'region', type: 'region', required: false, help: 'Every proxy into or out of the region.' },
        { name: 'link', type: 'link', required: false, help: 'Link proxies from one region to another.' },
        { name: 'pick', type: 'pick', required: false, help: "Which proxies (default 'all')." },
        { name: 'latency', type: 'number', required: true, min: 0, max: 3_600_000, help: 'Added delay, ms.' },
        {
          name: 'stream',
          type: 'enum',
          required: false,
          choices: ['upstream', 'downstream', 'both'],
          help: 'Which way.',
        },
        { name: 'duration', type: 'duration', required: false, help: 'How long; blank: until healed.' },
      ],
    },
    {
      kind: 'partition',
      description: 'Cuts the links between groups of regions.',
      fields: [
        { name: 'groups', type: 'groups', required: true, help: 'Groups of regions, "a,b | c".' },
        { name: 'oneWay', type: 'boolean', required: false, help: 'Drop only what groups[0] sends.' },
        { name: 'duration', type: 'duration', required: false, help: 'How long; blank: until healed.' },
      ],
    },
    {
      kind: 'nodeCrash',
      description: 'Kills a node process.',
      fields: [
        { name: 'node', type: 'node', required: false, help: 'One node by id.' },
        { name: 'restartAfter', type: 'duration', required: false, help: 'Restart it after this long.' },
      ],
    },
  ],
  regions: ['eu-west', 'us-east', 'ap-south'],
  nodes: ['eu-west/n1', 'eu-west/n2', 'us-east/n1', 'us-east/n2', 'ap-south/n1'],
  aliases: { '@busiest': 'eu-west' },
  presets: [
    {
      name: 'slow-transatlantic',
      spec: {
        fault: 'latency',
        link: { from: 'us-east', to: 'eu-west' },
        latency: 250,
        pick: { percent: 50 },
        duration: '20s',
      },
    },
  ],
};
