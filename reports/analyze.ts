// What the report draws that the checkers (checks/) do not compute, in one pass over a history:
// latency percentiles per second (by the second each message was meant to be sent), open
// connections and reconnects, fault windows and lanes, how long cut-off clients took to
// reconnect, a seeded sample of individual sends, and the region-to-region delivery matrix.
// Every number the checkers also produce (counts, failover, consistency, phase latencies) is
// taken from them instead, so the report cannot disagree with summary.json. It keeps
// per-message state only where a later event needs it, so a long run is streamed from disk.
// Pure: no I/O, no clock.
//
// Conventions, the same as the checkers': a region is where the session was connected (the
// event's region, else the session's, else the user's home); latencies are measured from
// `intendedAt`, so a stalled generator cannot hide a stall; a message is (conversation, sender,
// cmid); delivery latency counts the first delivery of a message to each user. The
// region-to-region matrix is different: it is by home region, so its rows and columns are fixed
// groups of users, and it counts only members other than the sender.
import type { EventOf, HistoryEvent } from '../contracts/history.ts';
import { createHistogram, type Histogram, merge, percentile, record } from '../lib/histogram.ts';
import { createRandom } from '../lib/random.ts';
import type { FaultLane, FaultWindow, LatencySeries, LatencyStats } from './types.ts';

export interface AnalyzeOptions {
  /** Individual sends kept for the raw-latency scatter; default 4000. */
  sampleLimit?: number;
  /** Time buckets in the charts at most; longer runs get wider buckets. Default 1800. */
  maxPoints?: number;
  /** Seed of the send sample, so one history always gives the same report; default 1. */
  sampleSeed?: number;
}

/** Where every series key for "all regions together" points. */
export const ALL = '*';

type ConnCounter = 'reconnects' | 'failovers';

interface Second {
  counts: Map<string, number>;
  /** Latency histograms by intended second, keyed by region (and ALL). */
  delivery: Map<string, Histogram>;
  ack: Map<string, Histogram>;
  /** Open connections per region after the last connection event in this second. */
  open: Map<string, number> | undefined;
}

interface SendInfo {
  intendedAt: number;
  user: string;
  conv: string;
  /** Where the sender was connected. */
  region: string;
  /** 0 acked, 1 failed, 2 indeterminate, -1 not yet resolved. */
  outcome: number;
}

interface FaultState {
  id: string;
  kind: string;
  target: string;
  regions: string[];
  start: number;
  end: number | null;
  connectedAtStart: Set<string>;
  affected: Map<string, { outageStart: number; recoveredAt: number | null }>;
}

/** Clients a fault disconnected, and how long each took to connect again. */
export interface ReconnectOutcome {
  disconnected: number;
  reconnected: number;
  /** Seconds from losing the connection (the fault start if connected then) to the next one, sorted. */
  samples: number[];
}

export interface RunAnalysis {
  runId: string | null;
  scenario: string | null;
  seed: number | null;
  ackLevel: string | null;
  regions: string[];
  t0: number;
  durationSeconds: number;
  users: number;
  conversations: number;
  phases: { name: string; t: number }[];
  step: number;
  x: number[];
  latency: {
    delivery: { all: LatencySeries; byRegion: Record<string, LatencySeries> };
    ack: { all: LatencySeries; byRegion: Record<string, LatencySeries> };
  };
  connections: {
    open: Record<string, number[]>;
    reconnects: Record<string, number[]>;
    failovers: Record<string, number[]>;
  };
  samples: { t: number[]; ms: number[]; outcome: number[]; total: number };
  lanes: FaultLane[];
  faults: FaultWindow[];
  reconnects: ReconnectOutcome[];
  matrix: {
    from: string;
    to: string;
    deliveries: number;
    p99: number | null;
    expected: number;
    undelivered: number;
  }[];
  faultPhases: {
    fault: number;
    windowSeconds: number;
    before: LatencyStats;
    during: LatencyStats;
    after: LatencyStats;
  }[];
  /** Whole-run delivery latency histogram of each intended second (index = second), for bootstraps. */
  deliveryBySecond: (Histogram | undefined)[];
  /** Seconds [from, to) in which load was generated: load_start..load_stop, else the whole run. */
  loadWindow: [number, number];
  warnings: string[];
}

export interface Analyzer {
  add(event: HistoryEvent): void;
  finish(): RunAnalysis;
}

const round = (value: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};

/** Percentile as a JSON-safe number: null for no samples, rounded to 0.01. */
export function pct(h: Histogram | undefined, p: number): number | null {
  if (h === undefined || h.count === 0) return null;
  const v = percentile(h, p);
  return Number.isFinite(v) ? round(v, 2) : null;
}

export function latencyStats(h: Histogram | undefined): LatencyStats {
  return { count: h?.count ?? 0, p50: pct(h, 50), p95: pct(h, 95), p99: pct(h, 99), max: pct(h, 100) };
}

/** p-th percentile of sorted numbers by nearest rank; null when empty. */
export function sortedPercentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

const messageKey = (conv: string, from: string, cmid: string): string => `${conv}\u0000${from}\u0000${cmid}`;

function bump(map: Map<string, number>, key: string, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

function histOf(map: Map<string, Histogram>, key: string): Histogram {
  let h = map.get(key);
  if (h === undefined) {
    h = createHistogram();
    map.set(key, h);
  }
  return h;
}

export function createAnalyzer(options: AnalyzeOptions = {}): Analyzer {
  const sampleLimit = Math.max(0, options.sampleLimit ?? 4000);
  const maxPoints = Math.max(10, options.maxPoints ?? 1800);
  const sampleRandom = createRandom(options.sampleSeed ?? 1).fork('report-sample');

  let t0: number | undefined;
  let lastT = Number.NEGATIVE_INFINITY;
  let runStart: EventOf<'run_start'> | undefined;
  let runEndT: number | undefined;
  const seconds: Second[] = [];
  const userHome = new Map<string, string>();
  const regionsSeen = new Set<string>();
  const convMembers = new Map<string, string[]>();
  const sends = new Map<string, SendInfo>();
  const pending: HistoryEvent[] = [];
  const deliveredPairs = new Set<string>();
  const pairHist = new Map<string, Histogram>();
  const faults: FaultState[] = [];
  const faultById = new Map<string, FaultState>();
  const sessionRegion = new Map<string, string>();
  const openSessions = new Map<string, { user: string; region: string }>();
  const openByRegion = new Map<string, number>();
  const everConnected = new Set<string>();
  const awaitingRecovery = new Map<string, FaultState[]>();
  const phases: { name: string; t: number }[] = [];
  const warnings = new Set<string>();
  const sample: { intendedAt: number; ms: number; outcome: number }[] = [];
  let sampleSeen = 0;

  const secondAt = (t: number): Second => {
    const i = Math.max(0, Math.floor((t - (t0 ?? t)) / 1000));
    let s = seconds[i];
    if (s === undefined) {
      s = { counts: new Map(), delivery: new Map(), ack: new Map(), open: undefined };
      seconds[i] = s;
    }
    return s;
  };
  const regionOf = (user: string, eventRegion?: string, session?: string): string =>
    eventRegion ??
    (session === undefined ? undefined : sessionRegion.get(session)) ??
    userHome.get(user) ??
    'unknown';
  const count = (metric: ConnCounter, t: number, region: string): void => {
    const s = secondAt(t);
    bump(s.counts, `${metric}\u0000${region}`);
    regionsSeen.add(region);
  };

  const keepSample = (intendedAt: number, ms: number, outcome: number): void => {
    if (sampleLimit === 0) return;
    sampleSeen++;
    if (sample.length < sampleLimit) sample.push({ intendedAt, ms, outcome });
    else {
      const j = Math.floor(sampleRandom.next() * sampleSeen);
      if (j < sampleLimit) sample[j] = { intendedAt, ms, outcome };
    }
  };

  /** Applies a send's first outcome; false when its send is not known yet. */
  const resolve = (
    event: EventOf<'ack'> | EventOf<'send_failed'> | EventOf<'send_indeterminate'>,
    outcome: number,
  ): boolean => {
    const send = sends.get(messageKey(event.conv, event.user, event.cmid));
    if (send === undefined) return false;
    if (send.outcome !== -1) return true;
    send.outcome = outcome;
    const ms = Math.max(0, event.t - send.intendedAt);
    if (outcome === 0) {
      const region = event.type === 'ack' && event.region !== undefined ? event.region : send.region;
      regionsSeen.add(region);
      const s = secondAt(send.intendedAt);
      record(histOf(s.ack, region), ms);
      record(histOf(s.ack, ALL), ms);
    }
    keepSample(send.intendedAt, ms, outcome);
    return true;
  };

  const deliver = (event: EventOf<'deliver'>): boolean => {
    const key = messageKey(event.conv, event.from, event.cmid);
    const send = sends.get(key);
    if (send === undefined) return false;
    const pair = `${key}\u0000${event.user}`;
    if (deliveredPairs.has(pair)) return true;
    deliveredPairs.add(pair);
    const to = regionOf(event.user, event.region, event.session);
    regionsSeen.add(to);
    const ms = Math.max(0, event.t - send.intendedAt);
    const s = secondAt(send.intendedAt);
    record(histOf(s.delivery, to), ms);
    record(histOf(s.delivery, ALL), ms);
    // The matrix is by home region: a stable population, whatever a fault moved.
    if (event.user !== send.user) {
      record(histOf(pairHist, `${regionOf(send.user)}\u0000${regionOf(event.user)}`), ms);
    }
    return true;
  };

  const snapshotOpen = (t: number): void => {
    secondAt(t).open = new Map(openByRegion);
  };

  const add = (event: HistoryEvent): void => {
    if (t0 === undefined) t0 = event.t;
    if (event.t > lastT) lastT = event.t;
    switch (event.type) {
      case 'run_start':
        runStart = event;
        for (const r of event.regions) regionsSeen.add(r);
        break;
      case 'conversation':
        convMembers.set(event.conv, event.members);
        break;
      case 'user':
        userHome.set(event.user, event.region);
        regionsSeen.add(event.region);
        break;
      case 'send': {
        const key = messageKey(event.conv, event.user, event.cmid);
        if (!sends.has(key)) {
          const region = regionOf(event.user, event.region);
          regionsSeen.add(region);
          sends.set(key, {
            intendedAt: event.intendedAt,
            user: event.user,
            conv: event.conv,
            region,
            outcome: -1,
          });
        }
        break;
      }
      case 'ack':
        if (!resolve(event, 0)) pending.push(event);
        break;
      case 'send_failed':
        if (!resolve(event, 1)) pending.push(event);
        break;
      case 'send_indeterminate':
        if (!resolve(event, 2)) pending.push(event);
        break;
      case 'deliver':
        if (!deliver(event)) pending.push(event);
        break;
      case 'conn_up': {
        sessionRegion.set(event.session, event.region);
        openSessions.set(event.session, { user: event.user, region: event.region });
        bump(openByRegion, event.region);
        regionsSeen.add(event.region);
        snapshotOpen(event.t);
        if (everConnected.has(event.user)) count('reconnects', event.t, event.region);
        everConnected.add(event.user);
        const waiting = awaitingRecovery.get(event.user);
        if (waiting !== undefined) {
          for (const fault of waiting) {
            const entry = fault.affected.get(event.user);
            if (entry !== undefined && entry.recoveredAt === null) entry.recoveredAt = event.t;
          }
          awaitingRecovery.delete(event.user);
        }
        break;
      }
      case 'conn_down': {
        const open = openSessions.get(event.session);
        const region = open?.region ?? event.region;
        if (open !== undefined) {
          openSessions.delete(event.session);
          bump(openByRegion, region, -1);
          snapshotOpen(event.t);
        }
        for (const fault of faults) {
          const active = fault.start <= event.t && (fault.end === null || event.t <= fault.end);
          const touches = fault.regions.length === 0 || fault.regions.includes(region);
          if (!active || !touches || fault.affected.has(event.user)) continue;
          const outageStart = fault.connectedAtStart.has(event.user) ? fault.start : event.t;
          fault.affected.set(event.user, { outageStart, recoveredAt: null });
          const list = awaitingRecovery.get(event.user) ?? [];
          list.push(fault);
          awaitingRecovery.set(event.user, list);
        }
        break;
      }
      case 'failover':
        count('failovers', event.t, event.to);
        break;
      case 'fault_start': {
        const connectedAtStart = new Set<string>();
        for (const s of openSessions.values()) {
          if (event.regions.length === 0 || event.regions.includes(s.region)) connectedAtStart.add(s.user);
        }
        const fault: FaultState = {
          id: event.faultId,
          kind: event.kind,
          target: event.target,
          regions: event.regions,
          start: event.t,
          end: null,
          connectedAtStart,
          affected: new Map(),
        };
        faults.push(fault);
        faultById.set(event.faultId, fault);
        break;
      }
      case 'fault_stop': {
        const fault = faultById.get(event.faultId);
        if (fault === undefined) warnings.add(`fault_stop for unknown fault ${event.faultId}`);
        else if (fault.end === null) fault.end = event.t;
        break;
      }
      case 'phase':
        phases.push({ name: event.name, t: event.t });
        break;
      case 'run_end':
        runEndT = event.t;
        break;
      default:
        break;
    }
  };

  const finish = (): RunAnalysis => {
    for (const event of pending) {
      if (event.type === 'ack') resolve(event, 0);
      else if (event.type === 'send_failed') resolve(event, 1);
      else if (event.type === 'send_indeterminate') resolve(event, 2);
      else if (event.type === 'deliver') deliver(event);
    }

    const origin = t0 ?? 0;
    const endT = Math.max(runEndT ?? lastT, origin);
    const durationSeconds = round((endT - origin) / 1000, 3);
    const nSeconds = Math.max(1, Math.ceil(durationSeconds), seconds.length);
    const step = Math.max(1, Math.ceil(nSeconds / maxPoints));
    const nBuckets = Math.ceil(nSeconds / step);
    const rel = (t: number): number => round((t - origin) / 1000, 3);
    const regions = orderedRegions(runStart?.regions ?? [], regionsSeen);

    const series = (metric: ConnCounter, region: string): number[] => {
      const out = new Array<number>(nBuckets).fill(0);
      seconds.forEach((s, i) => {
        const n = s?.counts.get(`${metric}\u0000${region}`);
        if (n !== undefined) out[Math.floor(i / step)] = (out[Math.floor(i / step)] ?? 0) + n;
      });
      return out;
    };
    const latencyOf = (kind: 'delivery' | 'ack', region: string): LatencySeries => {
      const out: LatencySeries = { p50: [], p95: [], p99: [], max: [] };
      for (let b = 0; b < nBuckets; b++) {
        const h = createHistogram();
        for (let i = b * step; i < Math.min((b + 1) * step, seconds.length); i++) {
          const part = seconds[i]?.[kind].get(region);
          if (part !== undefined) merge(h, part);
        }
        out.p50.push(pct(h, 50));
        out.p95.push(pct(h, 95));
        out.p99.push(pct(h, 99));
        out.max.push(pct(h, 100));
      }
      return out;
    };

    const open: Record<string, number[]> = {};
    for (const region of regions) {
      const values: number[] = [];
      let current = 0;
      for (let b = 0; b < nBuckets; b++) {
        for (let i = b * step; i < Math.min((b + 1) * step, seconds.length); i++) {
          const snap = seconds[i]?.open;
          if (snap !== undefined) current = snap.get(region) ?? 0;
        }
        values.push(current);
      }
      open[region] = values;
    }
    const byRegion = <T>(make: (region: string) => T): Record<string, T> =>
      Object.fromEntries(regions.map((r) => [r, make(r)]));

    const lanes: FaultLane[] = [];
    const laneIndex = new Map<string, number>();
    const windows: FaultWindow[] = faults.map((f) => {
      const key = `${f.kind}\u0000${f.target}`;
      let lane = laneIndex.get(key);
      if (lane === undefined) {
        lane = lanes.length;
        lanes.push({ kind: f.kind, target: f.target });
        laneIndex.set(key, lane);
      }
      return {
        id: f.id,
        kind: f.kind,
        target: f.target,
        regions: f.regions,
        lane,
        start: rel(f.start),
        end: f.end === null ? null : rel(f.end),
      };
    });
    const windowEnd = (w: FaultWindow): number => w.end ?? durationSeconds;

    const reconnects: ReconnectOutcome[] = faults.map((f) => {
      const samples: number[] = [];
      for (const entry of f.affected.values()) {
        if (entry.recoveredAt !== null)
          samples.push(round((entry.recoveredAt - entry.outageStart) / 1000, 3));
      }
      samples.sort((a, b) => a - b);
      return { disconnected: f.affected.size, reconnected: samples.length, samples };
    });

    // Owed deliveries: every member but the sender, of every acked send.
    const owed = new Map<string, { expected: number; undelivered: number }>();
    for (const [message, send] of sends) {
      if (send.outcome !== 0) continue;
      for (const member of convMembers.get(send.conv) ?? []) {
        if (member === send.user) continue;
        const key = `${regionOf(send.user)}\u0000${regionOf(member)}`;
        const cell = owed.get(key) ?? { expected: 0, undelivered: 0 };
        cell.expected++;
        if (!deliveredPairs.has(`${message}\u0000${member}`)) cell.undelivered++;
        owed.set(key, cell);
      }
    }
    const matrix = regions.flatMap((from) =>
      regions.map((to) => {
        const h = pairHist.get(`${from}\u0000${to}`);
        const c = owed.get(`${from}\u0000${to}`);
        return {
          from,
          to,
          deliveries: h?.count ?? 0,
          p99: pct(h, 99),
          expected: c?.expected ?? 0,
          undelivered: c?.undelivered ?? 0,
        };
      }),
    );

    // Each fault against equal windows just before and after it, by intended send second.
    const gather = (from: number, to: number): Histogram => {
      const h = createHistogram();
      seconds.forEach((s, i) => {
        const part = s?.delivery.get(ALL);
        const center = i + 0.5;
        if (part !== undefined && center >= from && center < to) merge(h, part);
      });
      return h;
    };
    const faultPhases = windows.map((w, fault) => {
      const end = windowEnd(w);
      const windowSeconds = Math.min(60, Math.max(5, end - w.start));
      return {
        fault,
        windowSeconds: round(windowSeconds, 3),
        before: latencyStats(gather(w.start - windowSeconds, w.start)),
        during: latencyStats(gather(w.start, end)),
        after: latencyStats(gather(end, end + windowSeconds)),
      };
    });

    const phaseTime = (name: string): number | undefined => phases.find((p) => p.name === name)?.t;
    const loadStart = phaseTime('load_start');
    const loadStop = phaseTime('load_stop');
    const loadWindow: [number, number] = [
      loadStart === undefined ? 0 : Math.floor(rel(loadStart)),
      loadStop === undefined ? nSeconds : Math.max(1, Math.ceil(rel(loadStop))),
    ];

    sample.sort((a, b) => a.intendedAt - b.intendedAt);

    return {
      runId: runStart?.runId ?? null,
      scenario: runStart?.scenario ?? null,
      seed: runStart?.seed ?? null,
      ackLevel: runStart?.ackLevel ?? null,
      regions,
      t0: origin,
      durationSeconds,
      users: userHome.size,
      conversations: convMembers.size,
      phases: phases.map((p) => ({ name: p.name, t: rel(p.t) })),
      step,
      x: Array.from({ length: nBuckets }, (_, b) => b * step),
      latency: {
        delivery: { all: latencyOf('delivery', ALL), byRegion: byRegion((r) => latencyOf('delivery', r)) },
        ack: { all: latencyOf('ack', ALL), byRegion: byRegion((r) => latencyOf('ack', r)) },
      },
      connections: {
        open,
        reconnects: byRegion((r) => series('reconnects', r)),
        failovers: byRegion((r) => series('failovers', r)),
      },
      samples: {
        t: sample.map((s) => rel(s.intendedAt)),
        ms: sample.map((s) => round(s.ms, 2)),
        outcome: sample.map((s) => s.outcome),
        total: sampleSeen,
      },
      lanes,
      faults: windows,
      reconnects,
      matrix,
      faultPhases,
      deliveryBySecond: Array.from({ length: nSeconds }, (_, i) => seconds[i]?.delivery.get(ALL)),
      loadWindow,
      warnings: [...warnings],
    };
  };

  return { add, finish };
}

/** Regions in the order the run declared them, then any others seen, alphabetically. */
function orderedRegions(declared: readonly string[], seen: Set<string>): string[] {
  const out = [...declared];
  const extra = [...seen].filter((r) => !out.includes(r) && r !== 'unknown').sort();
  out.push(...extra);
  if (seen.has('unknown')) out.push('unknown');
  return out;
}

export function analyzeHistory(events: Iterable<HistoryEvent>, options: AnalyzeOptions = {}): RunAnalysis {
  const analyzer = createAnalyzer(options);
  for (const event of events) analyzer.add(event);
  return analyzer.finish();
}
