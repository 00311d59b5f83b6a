// A deterministic stand-in for a run folder: a plausible history (users in regions, Poisson
// sends, acks, fan-out deliveries, a region outage with failover, a latency fault, a partition,
// final reads) plus the summary.json a runner would write for it. The knobs mimic server bugs,
// so report and compare tests can see what a bad run looks like. Ground truth (what was lost,
// who was cut off) is known by construction, so tests can check the report against it. The
// history comes from the one generator (test/support/history.ts); this file gives it the shape
// of a run of `durationSeconds`, adds the summary and writes the folder.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkHistory } from '../../checks/index.ts';
import type { HistoryEvent } from '../../contracts/history.ts';
import { Summary } from '../../contracts/summary.ts';
import { buildSummary } from '../../harness/results/results.ts';
import { judgeRun } from '../../harness/run/judge.ts';
import type { RunRecord } from '../../harness/run/run-record.ts';
import { validateThresholds } from '../../harness/scenario/thresholds.ts';
import {
  type FaultPlan,
  type FaultSpan,
  generateHistory,
  type HistoryBugs,
  type HistoryTruth,
  T0,
  withDefaults,
} from '../support/history.ts';

export interface FixtureFault extends FaultSpan {
  kind: 'region_outage' | 'latency' | 'partition';
}

export interface FixtureOptions {
  seed?: number;
  durationSeconds?: number;
  regions?: string[];
  users?: number;
  ratePerSecond?: number;
  faults?: FixtureFault[];
  /** Users of the outage region that never reconnect (censored failovers). */
  censoredUsers?: number;
  /** Server bugs to mimic: lose acked messages, duplicate deliveries, slow down. */
  bugs?: HistoryBugs;
}

export interface Fixture {
  events: HistoryEvent[];
  summary: Summary;
  /** What the bug knobs lost and duplicated, and what each fault did to the clients. */
  truth: HistoryTruth;
}

export { T0 };

export function defaultFaults(regions: string[]): FixtureFault[] {
  const [a = 'r0', b = 'r1', c = 'r2'] = regions;
  return [
    { kind: 'region_outage', target: a, regions: [a], at: 0.25, until: 0.5 },
    { kind: 'latency', target: b, regions: [b], at: 0.58, until: 0.75 },
    { kind: 'partition', target: `${a}|${c}`, regions: [a, c], at: 0.66, until: 0.83 },
  ];
}

/** Defaults; `faults` defaults to defaultFaults(regions) and `bugs` to none. */
const FIXTURE_DEFAULTS: Required<Omit<FixtureOptions, 'faults' | 'bugs'>> = {
  seed: 7,
  durationSeconds: 60,
  regions: ['us-east', 'eu-west', 'ap-south'],
  users: 30,
  ratePerSecond: 20,
  censoredUsers: 1,
};

/** Load runs from 1 s in to 4 s before the end, which leaves room for the heal and the final reads. */
const UNLOADED_SECONDS = 5;

function toPlan(f: FixtureFault): FaultPlan {
  return { ...f, effect: f.kind === 'region_outage' ? 'outage' : f.kind };
}

export function generateFixture(options: FixtureOptions = {}): Fixture {
  const o = withDefaults(FIXTURE_DEFAULTS, options);
  const faults = options.faults ?? defaultFaults(o.regions);
  const loadSeconds = Math.max(0, o.durationSeconds - UNLOADED_SECONDS);
  const { events, truth } = generateHistory({
    seed: o.seed,
    name: 'fixture',
    regions: o.regions,
    users: o.users,
    conversations: Math.max(1, Math.floor(o.users / 2)),
    members: [2, 4],
    messages: Math.round(o.ratePerSecond * loadSeconds),
    loadMs: loadSeconds * 1000,
    durationMs: o.durationSeconds * 1000,
    faults: faults.map(toPlan),
    censoredUsers: o.censoredUsers,
    failShare: 0.002,
    bugs: options.bugs,
  });
  const bugs = Object.entries(options.bugs ?? {})
    .filter(([, v]) => v !== undefined && v !== 0 && v !== 1)
    .map(([k]) => k);
  return { events, summary: summarize(events, { seed: o.seed, regions: o.regions, faults, bugs }), truth };
}

/** The summary.json the runner writes for this history: its own judge and builder, not a copy. */
function summarize(
  events: HistoryEvent[],
  o: { seed: number; regions: string[]; faults: FixtureFault[]; bugs: string[] },
): Summary {
  const raw = { delivery_latency_ms: ['p(99)<3000'], failover_seconds: ['p(99)<10'] };
  const report = checkHistory(events);
  const loadStart = report.phases.marks.find((m) => m.name === 'load_start')?.at ?? 0;
  const record: RunRecord = {
    schemaVersion: 1,
    runId: `fixture-${o.seed}`,
    scenario: {
      name: 'fixture',
      description: 'generated history: an outage, a latency fault and a partition',
      path: 'fixture',
      durationMs: report.load.loadSeconds * 1000,
      topology: { regions: o.regions, nodesPerRegion: 2, ack: 'replicated', leaseMs: 2000, bugs: o.bugs },
      workload: {},
      chaos: [],
      thresholds: raw,
      convergenceDeadlineMs: 30_000,
    },
    seed: o.seed,
    startedAt: new Date(T0).toISOString(),
    endedAt: new Date(T0 + report.run.durationSeconds * 1000).toISOString(),
    wallSeconds: report.run.durationSeconds,
    host: 'fixture',
    topology: { regions: o.regions.map((name) => ({ name, nodes: [`${name}-1`, `${name}-2`] })) },
    aliases: {},
    thresholds: raw,
    faults: report.faults.map((f) => {
      const at = Math.round((f.at - loadStart) * 1000);
      const until = f.until === null ? null : Math.round((f.until - loadStart) * 1000);
      return { ...f, plannedAt: at, plannedUntil: until, appliedAt: at, revertedAt: until };
    }),
    load: null,
    convergence: null,
    interrupted: null,
    errors: [],
    warnings: [],
  };
  const judgement = judgeRun({ runDir: '', record, thresholds: validateThresholds(raw), events });
  return Summary.parse(buildSummary(record, judgement));
}

/** Writes a run folder (history.jsonl, summary.json) and returns the fixture. */
export function writeFixtureRun(dir: string, options: FixtureOptions = {}): Fixture {
  const fixture = generateFixture(options);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'history.jsonl'), `${fixture.events.map((e) => JSON.stringify(e)).join('\n')}\n`);
  writeFileSync(join(dir, 'summary.json'), `${JSON.stringify(fixture.summary, null, 2)}\n`);
  return fixture;
}
