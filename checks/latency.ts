// Latency and throughput: what users feel when nothing is wrong, and how much of it there was.
// - delivery latency: intended send time → first delivery of the message to each member
//   (coordinated-omission safe), and actual send time → that delivery; region of the receiver;
// - ack latency: intended (and actual) send time → ack; region of the sender when acked;
// - phase of each sample: the phase at the message's intended send time (fault = any fault
//   active then);
// - per-second counts of sent, acked, delivered and errors (failed + indeterminate) per region.

import type { HistoryEvent } from '../contracts/history.ts';
import { createHistogram, type Histogram, merge, percentile, record } from '../lib/histogram.ts';
import {
  addCount,
  addRate,
  addTrendHistogram,
  type MetricName,
  type MetricStore,
  PHASES,
  type Phase,
} from './metrics.ts';
import { endTime, type RunModel } from './model.ts';
import type { Checker, CheckOptions, Percentiles } from './result.ts';
import { runChecker } from './run-checker.ts';

export interface LoadSummary {
  sent: number;
  acked: number;
  failed: number;
  indeterminate: number;
  /** Sent but no outcome by the end of the history. */
  pending: number;
  /** First deliveries of a message to a user. */
  delivered: number;
  /** Seconds the load ran: load_start → load_stop, else first → last send. */
  loadSeconds: number;
  sendRatePerSecond: number;
  deliverRatePerSecond: number;
}

export interface LatencySet {
  ackMs: Percentiles;
  ackActualMs: Percentiles;
  deliveryMs: Percentiles;
  deliveryActualMs: Percentiles;
}

export interface SeriesCounts {
  sent: number[];
  acked: number[];
  delivered: number[];
  errors: number[];
}

export interface PhaseCounts {
  sent: number;
  acked: number;
  errors: number;
  delivered: number;
}

export interface LatencyResult {
  load: LoadSummary;
  latency: LatencySet & { byRegion: Record<string, LatencySet>; byPhase: Record<Phase, LatencySet> };
  /** Counts per second since the run start (index 0 = [0 s, 1 s)), per region and in total. */
  series: { stepSeconds: 1; length: number; total: SeriesCounts; regions: Record<string, SeriesCounts> };
  phaseCounts: Record<Phase, PhaseCounts>;
}

const UNKNOWN = 'unknown';

/** Everything kept per region, so an event costs one region lookup. */
interface RegionAcc {
  series: SeriesCounts;
  /** [phase][sent, acked, errors, delivered] */
  counts: number[][];
  /** Per measure, one histogram per phase. */
  ack: Histogram[];
  ackActual: Histogram[];
  delivery: Histogram[];
  deliveryActual: Histogram[];
}

const PHASE_INDEX: Record<Phase, number> = { before: 0, fault: 1, after: 2 };
const perPhase = (): Histogram[] => [createHistogram(), createHistogram(), createHistogram()];

function pct(h: Histogram): Percentiles {
  if (h.count === 0) return { count: 0, p50: null, p90: null, p99: null, max: null };
  return {
    count: h.count,
    p50: percentile(h, 50),
    p90: percentile(h, 90),
    p99: percentile(h, 99),
    max: h.max,
  };
}

function mergeAll(hists: Iterable<Histogram>): Histogram {
  const out = createHistogram();
  for (const h of hists) merge(out, h);
  return out;
}

const COUNT_INDEX: Record<keyof SeriesCounts, number> = { sent: 0, acked: 1, errors: 2, delivered: 3 };

function emptySeries(): SeriesCounts {
  return { sent: [], acked: [], delivered: [], errors: [] };
}

export function createLatencyChecker(_options: CheckOptions): Checker<LatencyResult> {
  const regions = new Map<string, RegionAcc>();
  /** Messages whose first outcome was counted (an outcome event may repeat). */
  const outcomeSeen: boolean[] = [];
  const load = { sent: 0, acked: 0, failed: 0, indeterminate: 0, delivered: 0 };
  let firstSend = Number.NaN;
  let lastSend = Number.NaN;

  const accOf = (region: string): RegionAcc => {
    let acc = regions.get(region);
    if (acc === undefined) {
      acc = {
        series: emptySeries(),
        counts: [
          [0, 0, 0, 0],
          [0, 0, 0, 0],
          [0, 0, 0, 0],
        ],
        ack: perPhase(),
        ackActual: perPhase(),
        delivery: perPhase(),
        deliveryActual: perPhase(),
      };
      regions.set(region, acc);
    }
    return acc;
  };

  const bump = (
    model: RunModel,
    acc: RegionAcc,
    which: keyof SeriesCounts,
    t: number,
    phase: Phase,
  ): void => {
    const idx = Math.max(0, Math.floor((t - model.t0) / 1000));
    const arr = acc.series[which];
    while (arr.length <= idx) arr.push(0);
    arr[idx] = (arr[idx] as number) + 1;
    const row = acc.counts[PHASE_INDEX[phase]] as number[];
    row[COUNT_INDEX[which]] = (row[COUNT_INDEX[which]] as number) + 1;
  };

  return {
    name: 'latency',
    add(e: HistoryEvent, model: RunModel) {
      switch (e.type) {
        case 'send': {
          const m = model.current!;
          if (m.sendT !== e.t) break;
          load.sent++;
          if (Number.isNaN(firstSend)) firstSend = e.t;
          lastSend = e.t;
          bump(model, accOf(m.sendRegion ?? UNKNOWN), 'sent', e.t, m.phase);
          break;
        }
        case 'ack': {
          const m = model.current!;
          // A repeated ack finds the first one counted (or the outcome that came before it).
          if (outcomeSeen[m.id]) break;
          outcomeSeen[m.id] = true;
          load.acked++;
          const acc = accOf(m.ackRegion ?? m.sendRegion ?? UNKNOWN);
          bump(model, acc, 'acked', e.t, m.phase);
          // Stryker disable next-line ConditionalExpression: without a send, intendedAt and sendT are NaN and record() drops a NaN sample, so going on changes no output
          if (Number.isNaN(m.sendT)) break;
          const p = PHASE_INDEX[m.phase];
          record(acc.ack[p] as Histogram, e.t - m.intendedAt);
          record(acc.ackActual[p] as Histogram, e.t - m.sendT);
          break;
        }
        case 'send_failed':
        case 'send_indeterminate': {
          const m = model.current!;
          if (outcomeSeen[m.id]) break;
          outcomeSeen[m.id] = true;
          if (e.type === 'send_failed') load.failed++;
          else load.indeterminate++;
          bump(model, accOf(m.sendRegion ?? UNKNOWN), 'errors', e.t, m.phase);
          break;
        }
        case 'deliver': {
          if (!model.currentFirstToUser) break;
          const m = model.current!;
          load.delivered++;
          const region =
            // Stryker disable next-line OptionalChaining: observe() registers a delivery's session and user before any checker sees it, so neither lookup is undefined
            e.region ?? model.sessions.get(e.session)?.region ?? model.users.get(e.user)?.home ?? UNKNOWN;
          const acc = accOf(region);
          bump(model, acc, 'delivered', e.t, m.phase);
          // Stryker disable next-line ConditionalExpression: without a send, intendedAt and sendT are NaN and record() drops a NaN sample, so going on changes no output
          if (Number.isNaN(m.sendT)) break;
          const p = PHASE_INDEX[m.phase];
          record(acc.delivery[p] as Histogram, e.t - m.intendedAt);
          record(acc.deliveryActual[p] as Histogram, e.t - m.sendT);
          break;
        }
      }
    },
    finish(model: RunModel, metrics: MetricStore): LatencyResult {
      const sortedRegions = [...regions].sort((a, b) => a[0].localeCompare(b[0]));
      recordMetrics(metrics, sortedRegions);
      const all = sortedRegions.map(([, acc]) => acc);
      const { byRegion, byPhase } = latencyBreakdown(sortedRegions);
      const { n, total, regionSeries } = paddedSeries(model, sortedRegions);
      const phaseCounts = phaseCountsOf(all);
      // A missing mark is NaN, which is never after the other.
      const loadStart = model.phases.find((p) => p.name === 'load_start')?.t ?? Number.NaN;
      const loadStop = model.phases.find((p) => p.name === 'load_stop')?.t ?? Number.NaN;
      const loadMs =
        loadStop > loadStart
          ? loadStop - loadStart
          : Number.isNaN(firstSend)
            ? 0
            : Math.max(lastSend - firstSend, 1000);
      const loadSeconds = loadMs / 1000;
      let pending = 0;
      for (const m of model.messages) if (!Number.isNaN(m.sendT) && !outcomeSeen[m.id]) pending++;
      return {
        load: {
          ...load,
          pending,
          loadSeconds,
          sendRatePerSecond: loadSeconds > 0 ? load.sent / loadSeconds : 0,
          deliverRatePerSecond: loadSeconds > 0 ? load.delivered / loadSeconds : 0,
        },
        latency: { ...latencySet(all, [0, 1, 2]), byRegion, byPhase },
        series: { stepSeconds: 1, length: n, total, regions: regionSeries },
        phaseCounts,
      };
    },
  };
}

const MEASURES: [keyof Pick<RegionAcc, 'ack' | 'ackActual' | 'delivery' | 'deliveryActual'>, MetricName][] = [
  ['ack', 'ack_latency_ms'],
  ['ackActual', 'ack_latency_actual_ms'],
  ['delivery', 'delivery_latency_ms'],
  ['deliveryActual', 'delivery_latency_actual_ms'],
];

/** Each region's latencies and counts per phase, as tagged metrics. */
function recordMetrics(metrics: MetricStore, sortedRegions: [string, RegionAcc][]): void {
  for (const [region, acc] of sortedRegions) {
    PHASES.forEach((phase, i) => {
      const tags = { phase, region };
      for (const [measure, name] of MEASURES) {
        const h = acc[measure][i] as Histogram;
        if (h.count > 0) addTrendHistogram(metrics, name, h, tags);
      }
      const [sent, acked, errors, delivered] = acc.counts[i] as [number, number, number, number];
      if (sent > 0) addCount(metrics, 'messages_sent', sent, tags);
      if (acked > 0) addCount(metrics, 'messages_acked', acked, tags);
      if (delivered > 0) addCount(metrics, 'messages_delivered', delivered, tags);
      if (acked + errors > 0) addRate(metrics, 'send_error_rate', errors, acked + errors, tags);
    });
  }
}

/** The percentiles of the given regions' accumulators over the given phases. */
function latencySet(accs: RegionAcc[], phases: number[]): LatencySet {
  const of = (measure: (typeof MEASURES)[number][0]): Percentiles =>
    pct(mergeAll(accs.flatMap((acc) => phases.map((i) => acc[measure][i] as Histogram))));
  return {
    ackMs: of('ack'),
    ackActualMs: of('ackActual'),
    deliveryMs: of('delivery'),
    deliveryActualMs: of('deliveryActual'),
  };
}

function latencyBreakdown(sortedRegions: [string, RegionAcc][]): {
  byRegion: Record<string, LatencySet>;
  byPhase: Record<Phase, LatencySet>;
} {
  const all = sortedRegions.map(([, acc]) => acc);
  const byRegion: Record<string, LatencySet> = {};
  for (const [region, acc] of sortedRegions) byRegion[region] = latencySet([acc], [0, 1, 2]);
  const byPhase = {} as Record<Phase, LatencySet>;
  PHASES.forEach((phase, i) => {
    byPhase[phase] = latencySet(all, [i]);
  });
  return { byRegion, byPhase };
}

/** Every series as long as the run or its latest event, whichever kind that event is. */
function paddedSeries(
  model: RunModel,
  sortedRegions: [string, RegionAcc][],
): { n: number; total: SeriesCounts; regionSeries: Record<string, SeriesCounts> } {
  const keys: (keyof SeriesCounts)[] = ['sent', 'acked', 'delivered', 'errors'];
  let n = Math.max(0, Math.ceil((endTime(model) - model.t0) / 1000)) || 0;
  for (const [, acc] of sortedRegions) for (const k of keys) n = Math.max(n, acc.series[k].length);
  const total = emptySeries();
  const regionSeries: Record<string, SeriesCounts> = {};
  for (const [region, acc] of sortedRegions) {
    const padded = emptySeries();
    for (const k of keys) padded[k] = Array.from({ length: n }, (_, i) => acc.series[k][i] ?? 0);
    regionSeries[region] = padded;
  }
  for (const k of keys) {
    total[k] = Array.from({ length: n }, (_, i) =>
      Object.values(regionSeries).reduce((sum, s) => sum + (s[k][i] as number), 0),
    );
  }
  return { n, total, regionSeries };
}

function phaseCountsOf(all: RegionAcc[]): Record<Phase, PhaseCounts> {
  const phaseCounts = {} as Record<Phase, PhaseCounts>;
  PHASES.forEach((phase, i) => {
    const sum = [0, 0, 0, 0];
    for (const acc of all) {
      (acc.counts[i] as number[]).forEach((n, j) => {
        sum[j] = (sum[j] as number) + n;
      });
    }
    phaseCounts[phase] = { sent: sum[0]!, acked: sum[1]!, errors: sum[2]!, delivered: sum[3]! };
  });
  return phaseCounts;
}

/** Latency and throughput over a whole history. */
export function checkLatency(
  events: Iterable<HistoryEvent>,
  options: Partial<CheckOptions> = {},
): LatencyResult {
  return runChecker(createLatencyChecker, events, options);
}
