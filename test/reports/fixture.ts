// A deterministic stand-in for a run folder: a plausible history (users in regions, Poisson
// sends, acks, fan-out deliveries, a region outage with failover, a latency fault, a partition,
// final reads) plus the summary.json a runner would write for it. The knobs mimic server bugs,
// so report and compare tests can see what a bad run looks like. Ground truth (what was lost,
// who was cut off) is known here by construction, so tests can check the report against it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkHistory } from '../../checks/index.ts';
import type { HistoryEvent } from '../../contracts/history.ts';
import { Summary } from '../../contracts/summary.ts';
import { buildSummary } from '../../harness/results/results.ts';
import { judgeRun } from '../../harness/run/judge.ts';
import type { RunRecord } from '../../harness/run/run-record.ts';
import { validateThresholds } from '../../harness/scenario/thresholds.ts';
import { createRandom } from '../../lib/random.ts';

export interface FixtureFault {
  kind: 'region_outage' | 'latency' | 'partition';
  target: string;
  regions: string[];
  /** Start and stop as fractions of the run's duration. */
  at: number;
  until: number;
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
  bugs?: {
    /** Probability an acked message is then lost: in no final read, delivered to nobody. */
    loseAcked?: number;
    /** Probability a delivery reaches its session twice. */
    duplicate?: number;
    /** Multiplies every latency: a slower build. */
    slowdown?: number;
  };
}

export interface Fixture {
  events: HistoryEvent[];
  summary: Summary;
  truth: {
    lost: string[];
    duplicates: number;
    faults: { affected: number; recovered: number; censored: number; samples: number[] }[];
  };
}

export const T0 = 1_767_225_600_000;

export function defaultFaults(regions: string[]): FixtureFault[] {
  const [a = 'r0', b = 'r1', c = 'r2'] = regions;
  return [
    { kind: 'region_outage', target: a, regions: [a], at: 0.25, until: 0.5 },
    { kind: 'latency', target: b, regions: [b], at: 0.58, until: 0.75 },
    { kind: 'partition', target: `${a}|${c}`, regions: [a, c], at: 0.66, until: 0.83 },
  ];
}

interface Down {
  down: number;
  up: number | null;
  fault: number;
}

export function generateFixture(options: FixtureOptions = {}): Fixture {
  const seed = options.seed ?? 7;
  const rnd = createRandom(seed).fork('fixture');
  const duration = options.durationSeconds ?? 60;
  const regions = options.regions ?? ['us-east', 'eu-west', 'ap-south'];
  const nUsers = options.users ?? 30;
  const rate = options.ratePerSecond ?? 20;
  const faults = options.faults ?? defaultFaults(regions);
  const slow = options.bugs?.slowdown ?? 1;
  const loseP = options.bugs?.loseAcked ?? 0;
  const dupP = options.bugs?.duplicate ?? 0;
  const events: HistoryEvent[] = [];
  const push = (e: HistoryEvent): void => {
    events.push(e);
  };
  const ms = (s: number): number => T0 + s * 1000;
  const endLoad = ms(duration - 4);

  push({
    type: 'run_start',
    t: T0,
    runId: `fixture-${seed}`,
    scenario: 'fixture',
    seed,
    regions,
    ackLevel: 'replicated',
  });
  const users = Array.from({ length: nUsers }, (_, i) => `u${i}`);
  const home = new Map(users.map((u, i) => [u, regions[i % regions.length] as string]));
  for (const u of users) push({ type: 'user', t: T0 + 1, user: u, region: home.get(u) as string });
  const convs: { id: string; members: string[] }[] = [];
  for (let j = 0; j < Math.max(1, Math.floor(nUsers / 2)); j++) {
    const members = new Set([users[(2 * j) % nUsers] as string]);
    const size = rnd.int(2, 4);
    for (const u of rnd.shuffle(users)) if (members.size < size) members.add(u);
    convs.push({ id: `c${j}`, members: [...members] });
    push({ type: 'conversation', t: T0 + 2, conv: `c${j}`, members: [...members] });
  }
  const convsOf = new Map(users.map((u) => [u, convs.filter((c) => c.members.includes(u))]));

  // Connections: everyone connects home; an outage drops its region's users, who fail over.
  const region = new Map(home);
  const downs = new Map<string, Down[]>();
  let sessionNo = 0;
  const session = new Map<string, string>();
  for (const u of users) {
    const s = `s${sessionNo++}`;
    session.set(u, s);
    push({
      type: 'conn_up',
      t: T0 + 100 + users.indexOf(u),
      user: u,
      session: s,
      region: home.get(u) as string,
    });
  }
  push({ type: 'phase', t: ms(1), name: 'load_start' });
  const truthFaults: Fixture['truth']['faults'] = [];
  faults.forEach((f, fi) => {
    const start = ms(f.at * duration);
    const stop = ms(f.until * duration);
    push({
      type: 'fault_start',
      t: start,
      faultId: `f${fi}`,
      kind: f.kind,
      target: f.target,
      regions: f.regions,
    });
    push({ type: 'fault_stop', t: stop, faultId: `f${fi}` });
    const truth = { affected: 0, recovered: 0, censored: 0, samples: [] as number[] };
    if (f.kind === 'region_outage') {
      let censored = options.censoredUsers ?? 1;
      const others = regions.filter((r) => !f.regions.includes(r));
      for (const u of users) {
        if (!f.regions.includes(region.get(u) as string)) continue;
        truth.affected++;
        const down = start + rnd.int(150, 700) * slow;
        const old = session.get(u) as string;
        push({
          type: 'conn_down',
          t: down,
          user: u,
          session: old,
          region: region.get(u) as string,
          reason: 'heartbeat timeout',
        });
        if (censored > 0) {
          censored--;
          truth.censored++;
          downs.set(u, [...(downs.get(u) ?? []), { down, up: null, fault: fi }]);
          continue;
        }
        const to = rnd.pick(others);
        const up = down + rnd.int(300, 2500) * slow;
        const s = `s${sessionNo++}`;
        push({ type: 'failover', t: up - 1, user: u, session: s, from: region.get(u) as string, to });
        push({ type: 'conn_up', t: up, user: u, session: s, region: to });
        session.set(u, s);
        region.set(u, to);
        truth.recovered++;
        truth.samples.push((up - start) / 1000);
        downs.set(u, [...(downs.get(u) ?? []), { down, up, fault: fi }]);
      }
    }
    truthFaults.push(truth);
  });
  const availableAt = (u: string, t: number): number | null => {
    for (const d of downs.get(u) ?? []) if (t >= d.down && (d.up === null || t < d.up)) return d.up;
    return t;
  };
  const extra = (from: string, to: string, t: number): number => {
    let add = 0;
    faults.forEach((f) => {
      const on = t >= ms(f.at * duration) && t < ms(f.until * duration);
      if (!on) return;
      if (f.kind === 'latency' && (f.regions.includes(from) || f.regions.includes(to))) add += 250;
      if (f.kind === 'partition' && from !== to && f.regions.includes(from) && f.regions.includes(to)) {
        add += ms(f.until * duration) - t + 200;
      }
    });
    return add;
  };
  const hop = (from: string, to: string): number =>
    from === to ? 6 : 30 + 25 * Math.abs(regions.indexOf(from) - regions.indexOf(to));

  // Sends, resolved in time order; seq per conversation follows ack order.
  interface Msg {
    cmid: string;
    user: string;
    conv: string;
    intendedAt: number;
    ackT: number | null;
    seq: number;
    lost: boolean;
  }
  const msgs: Msg[] = [];
  let t = ms(1);
  let n = 0;
  while (true) {
    t += rnd.exponential(1000 / rate);
    if (t >= endLoad) break;
    const user = rnd.pick(users);
    const mine = convsOf.get(user) ?? [];
    const conv = rnd.pick(mine.length > 0 ? mine : convs);
    const cmid = `m${n++}`;
    push({
      type: 'send',
      t: t + rnd.next() * 2,
      intendedAt: t,
      user,
      conv: conv.id,
      cmid,
      region: region.get(user),
    });
    const up = availableAt(user, t);
    const base =
      (4 + rnd.exponential(6)) * slow + extra(home.get(user) as string, home.get(user) as string, t);
    if (rnd.chance(0.002)) {
      push({ type: 'send_failed', t: t + base, user, conv: conv.id, cmid, reason: 'rate_limited' });
      continue;
    }
    if (up === null || (up !== t && rnd.chance(0.05))) {
      push({ type: 'send_indeterminate', t: t + 10_000, user, conv: conv.id, cmid, reason: 'timeout' });
      continue;
    }
    const ackT = Math.max(up, t) + base;
    msgs.push({ cmid, user, conv: conv.id, intendedAt: t, ackT, seq: 0, lost: rnd.chance(loseP) });
  }
  const seqs = new Map<string, number>();
  for (const m of [...msgs].sort((a, b) => (a.ackT ?? 0) - (b.ackT ?? 0))) {
    const next = (seqs.get(m.conv) ?? 0) + 1;
    seqs.set(m.conv, next);
    m.seq = next;
  }
  let duplicates = 0;
  // In seq order, and each member receives a conversation in order, as a correct server delivers.
  const lastAt = new Map<string, number>();
  for (const m of [...msgs].sort((x, y) => x.seq - y.seq || (x.ackT ?? 0) - (y.ackT ?? 0))) {
    const ackT = m.ackT as number;
    push({ type: 'ack', t: ackT, user: m.user, conv: m.conv, cmid: m.cmid, seq: m.seq, level: 'replicated' });
    if (m.lost) continue;
    const conv = convs.find((c) => c.id === m.conv);
    for (const member of conv?.members ?? []) {
      if (member === m.user) continue;
      const from = home.get(m.user) as string;
      const to = home.get(member) as string;
      let at = ackT + (hop(from, to) + rnd.exponential(5)) * slow + extra(from, to, ackT);
      const up = availableAt(member, at);
      if (up === null) continue;
      const via = up === at ? 'push' : 'sync';
      at = Math.max(at, up + 20 * slow, (lastAt.get(`${member}/${m.conv}`) ?? 0) + 0.5);
      lastAt.set(`${member}/${m.conv}`, at);
      const deliver: HistoryEvent = {
        type: 'deliver',
        t: at,
        user: member,
        session: session.get(member) as string,
        conv: m.conv,
        cmid: m.cmid,
        from: m.user,
        seq: m.seq,
        via,
        region: region.get(member),
      };
      push(deliver);
      if (rnd.chance(dupP)) {
        duplicates++;
        push({ ...deliver, t: at + 3 });
      }
    }
  }
  const loadStop = endLoad;
  push({ type: 'phase', t: loadStop, name: 'load_stop' });
  for (let s = 10; s < duration; s += 10) {
    push({ type: 'health', t: ms(s), sendLagP99Ms: 1.2, sendLagMaxMs: 3, eventLoopDelayP99Ms: 4, ok: true });
  }
  push({ type: 'phase', t: ms(duration - 2), name: 'healed' });
  push({ type: 'phase', t: ms(duration - 1.5), name: 'final_reads' });
  for (const conv of convs) {
    const log = msgs
      .filter((m) => m.conv === conv.id && !m.lost)
      .sort((a, b) => a.seq - b.seq)
      .map((m) => ({ seq: m.seq, cmid: m.cmid, from: m.user }));
    for (const r of regions)
      push({ type: 'final_read', t: ms(duration - 1), region: r, conv: conv.id, ok: true, messages: log });
  }
  push({ type: 'run_end', t: ms(duration) });
  events.sort((a, b) => a.t - b.t);

  const lost = msgs.filter((m) => m.lost);
  const bugs = Object.entries(options.bugs ?? {})
    .filter(([, v]) => v !== undefined && v !== 0 && v !== 1)
    .map(([k]) => k);
  return {
    events,
    summary: summarize(events, { seed, regions, faults, bugs }),
    truth: { lost: lost.map((m) => m.cmid), duplicates, faults: truthFaults },
  };
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
