// What the analyzer keeps between events, as one explicit object, and the lookups every event
// handler shares (the second an instant falls in, the region a user was in). The handlers in
// messages.ts and connections.ts mutate it; finish.ts reads it once at the end.
import type { EventOf, HistoryEvent } from '../../contracts/history.ts';
import { createHistogram, type Histogram } from '../../lib/histogram.ts';
import { createRandom, type Random } from '../../lib/random.ts';
import type { AnalyzeOptions } from './types.ts';

/** Where every series key for "all regions together" points. */
export const ALL = '*';

export type ConnCounter = 'reconnects' | 'failovers';

export interface Second {
  counts: Map<string, number>;
  /** Latency histograms by intended second, keyed by region (and ALL). */
  delivery: Map<string, Histogram>;
  ack: Map<string, Histogram>;
  /** Open connections per region after the last connection event in this second. */
  open: Map<string, number> | undefined;
}

export interface SendInfo {
  intendedAt: number;
  user: string;
  conv: string;
  /** Where the sender was connected. */
  region: string;
  /** 0 acked, 1 failed, 2 indeterminate, -1 not yet resolved. */
  outcome: number;
}

export interface FaultState {
  id: string;
  kind: string;
  target: string;
  regions: string[];
  start: number;
  end: number | null;
  connectedAtStart: Set<string>;
  affected: Map<string, { outageStart: number; recoveredAt: number | null }>;
}

export interface AnalyzerState {
  sampleLimit: number;
  maxPoints: number;
  sampleRandom: Random;
  t0: number | undefined;
  lastT: number;
  runStart: EventOf<'run_start'> | undefined;
  runEndT: number | undefined;
  seconds: Second[];
  userHome: Map<string, string>;
  regionsSeen: Set<string>;
  convMembers: Map<string, string[]>;
  sends: Map<string, SendInfo>;
  /** Outcomes and deliveries that arrived before their send, applied again at the end. */
  pending: HistoryEvent[];
  deliveredPairs: Set<string>;
  /** Delivery latency by home region pair, `from\0to`. */
  pairHist: Map<string, Histogram>;
  faults: FaultState[];
  faultById: Map<string, FaultState>;
  sessionRegion: Map<string, string>;
  openSessions: Map<string, { user: string; region: string }>;
  openByRegion: Map<string, number>;
  everConnected: Set<string>;
  awaitingRecovery: Map<string, FaultState[]>;
  phases: { name: string; t: number }[];
  warnings: Set<string>;
  sample: { intendedAt: number; ms: number; outcome: number }[];
  sampleSeen: number;
}

/** A fresh state, with the options' defaults merged in. */
export function createAnalyzerState(options: AnalyzeOptions = {}): AnalyzerState {
  return {
    sampleLimit: Math.max(0, options.sampleLimit ?? 4000),
    maxPoints: Math.max(10, options.maxPoints ?? 1800),
    sampleRandom: createRandom(options.sampleSeed ?? 1).fork('report-sample'),
    t0: undefined,
    lastT: Number.NEGATIVE_INFINITY,
    runStart: undefined,
    runEndT: undefined,
    seconds: [],
    userHome: new Map(),
    regionsSeen: new Set(),
    convMembers: new Map(),
    sends: new Map(),
    pending: [],
    deliveredPairs: new Set(),
    pairHist: new Map(),
    faults: [],
    faultById: new Map(),
    sessionRegion: new Map(),
    openSessions: new Map(),
    openByRegion: new Map(),
    everConnected: new Set(),
    awaitingRecovery: new Map(),
    phases: [],
    warnings: new Set(),
    sample: [],
    sampleSeen: 0,
  };
}

export const messageKey = (conv: string, from: string, cmid: string): string =>
  `${conv}\u0000${from}\u0000${cmid}`;

export function bump(map: Map<string, number>, key: string, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

export function histOf(map: Map<string, Histogram>, key: string): Histogram {
  let h = map.get(key);
  if (h === undefined) {
    h = createHistogram();
    map.set(key, h);
  }
  return h;
}

/** The second `t` falls in, counted from the first event; created on first use. */
export function secondAt(state: AnalyzerState, t: number): Second {
  const i = Math.max(0, Math.floor((t - (state.t0 ?? t)) / 1000));
  let s = state.seconds[i];
  if (s === undefined) {
    s = { counts: new Map(), delivery: new Map(), ack: new Map(), open: undefined };
    state.seconds[i] = s;
  }
  return s;
}

/** The event's region, else the session's, else the user's home, else 'unknown'. */
export function regionOf(state: AnalyzerState, user: string, eventRegion?: string, session?: string): string {
  return (
    eventRegion ??
    (session === undefined ? undefined : state.sessionRegion.get(session)) ??
    state.userHome.get(user) ??
    'unknown'
  );
}

export function countConn(state: AnalyzerState, metric: ConnCounter, t: number, region: string): void {
  const s = secondAt(state, t);
  bump(s.counts, `${metric}\u0000${region}`);
  state.regionsSeen.add(region);
}
