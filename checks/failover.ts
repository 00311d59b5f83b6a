// Failover and recovery: what faults cost the clients they hit, judged per incident
// (incidents.ts: from the moment a fault first touches a client until it is served again;
// overlapping faults, and faults that follow within the client's recovery, are one incident).
//
// Each incident ends one of four ways:
// - failed over: served again while one of its faults was still active (the client found service
//   elsewhere, or the fault did not stop it); its time is a `failover_seconds` sample;
// - rode out: served again only after its faults ended; not a failover, not a failure either;
// - never recovered: never served again before the end of the run; censored in both figures
//   (ranked above every finite time, so a p99 among them is +Infinity, null in JSON);
// - unobserved: the client sent nothing after the impact and nobody wrote to it.
// `recovery_seconds` is impact → served again, whichever way: how long users were without service.

import type { HistoryEvent } from '../contracts/history.ts';
import { createHistogram, record } from '../lib/histogram.ts';
import { at, list } from './explain.ts';
import { createIncidentTracker, type Incident, observed } from './incidents.ts';
import {
  addCensored,
  addRate,
  addTrendHistogram,
  aggregate,
  jsonNumber,
  type MetricStore,
  type Tags,
  type TrendSink,
} from './metrics.ts';
import { endTime, type FaultInfo, type RunModel, relSeconds } from './model.ts';
import { type Checker, type CheckOptions, createExampleList, type Example } from './result.ts';
import { runChecker } from './run-checker.ts';

export interface FailoverPercentiles {
  /** Samples: the finite ones plus the censored. */
  count: number;
  censored: number;
  /** null: no samples, or the percentile falls among censored incidents. */
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
}

export interface IncidentCounts {
  /** Every incident, unobserved ones included. */
  incidents: number;
  /** Distinct clients with an incident. */
  clients: number;
  failedOver: number;
  rodeOut: number;
  neverRecovered: number;
  unobserved: number;
}

export interface FaultFailover extends IncidentCounts {
  id: string;
  kind: string;
  target: string;
  /** Seconds since run start. */
  start: number;
  /** Seconds since run start; null when the fault never stopped in the history. */
  end: number | null;
  /** Failed over, with never-recovered incidents censored. */
  seconds: FailoverPercentiles;
  /** Impact → served again, failed over or rode out, with never-recovered incidents censored. */
  recoverySeconds: FailoverPercentiles;
  /** Impact → first ack of a send made after it, where the client sent. */
  ackSeconds: FailoverPercentiles;
  /** Impact → first message from someone else sent after it, where someone wrote. */
  deliverySeconds: FailoverPercentiles;
}

export interface FailoverResult extends IncidentCounts {
  /** Over every incident once, however many faults it spans. */
  seconds: FailoverPercentiles;
  recoverySeconds: FailoverPercentiles;
  /** Per fault, over the incidents attributed to it (an incident spanning two faults is in both). */
  faults: FaultFailover[];
  /** One per never-recovered incident, up to maxExamples. */
  examples: Example[];
}

type Outcome = 'failedOver' | 'rodeOut' | 'neverRecovered' | 'unobserved';

/** Histograms of one set of incidents: the overall figures, one fault's, or one tag set's. */
interface Tally {
  counts: Record<Outcome, number>;
  users: Set<string>;
  failover: TrendSink;
  recovery: TrendSink;
  ack: TrendSink;
  delivery: TrendSink;
}

// Stryker disable next-line StringLiteral: aggregate() reads any sink that is neither a counter nor a rate as a trend
const trend = (): TrendSink => ({ type: 'trend', hist: createHistogram(), censored: 0 });

function createTally(): Tally {
  return {
    counts: { failedOver: 0, rodeOut: 0, neverRecovered: 0, unobserved: 0 },
    users: new Set(),
    failover: trend(),
    recovery: trend(),
    ack: trend(),
    delivery: trend(),
  };
}

export function outcomeOf(incident: Incident): Outcome {
  if (!Number.isNaN(incident.servedAt)) return incident.duringFault ? 'failedOver' : 'rodeOut';
  return observed(incident) ? 'neverRecovered' : 'unobserved';
}

const sinceImpact = (incident: Incident, t: number): number => (t - incident.start) / 1000;

/** A time, or one more censored sample when the thing never happened. */
function sample(sink: TrendSink, seconds: number): void {
  if (Number.isNaN(seconds)) sink.censored++;
  else record(sink.hist, seconds);
}

function tallyIncident(tally: Tally, incident: Incident, outcome: Outcome): void {
  tally.counts[outcome]++;
  tally.users.add(incident.user);
  if (outcome === 'unobserved') return;
  const served = sinceImpact(incident, incident.servedAt);
  if (outcome !== 'rodeOut') sample(tally.failover, served);
  sample(tally.recovery, served);
  if (incident.ownSent) sample(tally.ack, sinceImpact(incident, incident.ackAt));
  if (incident.othersSent) sample(tally.delivery, sinceImpact(incident, incident.deliverAt));
}

function percentiles(sink: TrendSink): FailoverPercentiles {
  const total = sink.hist.count + sink.censored;
  const p = (q: number): number | null => (total === 0 ? null : jsonNumber(aggregate(sink, { p: q }, 0)));
  return {
    count: total,
    censored: sink.censored,
    p50: p(50),
    p90: p(90),
    p99: p(99),
    max: total === 0 ? null : jsonNumber(aggregate(sink, 'max', 0)),
  };
}

function countsOf(tally: Tally): IncidentCounts {
  const c = tally.counts;
  return {
    incidents: c.failedOver + c.rodeOut + c.neverRecovered + c.unobserved,
    clients: tally.users.size,
    failedOver: c.failedOver,
    rodeOut: c.rodeOut,
    neverRecovered: c.neverRecovered,
    unobserved: c.unobserved,
  };
}

/** The `fault` tag of an incident: its fault kinds, joined with "+" (a threshold matches any one). */
export function faultTag(incident: Incident): string {
  return [...new Set(incident.faults.map((f) => f.kind))].join('+');
}

function recordMetrics(metrics: MetricStore, byTags: Map<string, { tags: Tags; tally: Tally }>): void {
  for (const { tags, tally } of byTags.values()) {
    addTrendHistogram(metrics, 'failover_seconds', tally.failover.hist, tags);
    addCensored(metrics, 'failover_seconds', tally.failover.censored, tags);
    addTrendHistogram(metrics, 'recovery_seconds', tally.recovery.hist, tags);
    addCensored(metrics, 'recovery_seconds', tally.recovery.censored, tags);
    const c = tally.counts;
    addRate(metrics, 'failover_rate', c.failedOver, c.failedOver + c.rodeOut + c.neverRecovered, tags);
  }
}

function explain(model: RunModel, incident: Incident): Example {
  const first = incident.faults[0]!;
  const how =
    incident.impact === 'connected'
      ? `connected to ${incident.region} when ${first.label} began at ${at(model, incident.start)}`
      : `lost its connection to ${incident.region} at ${at(model, incident.start)}, during ${first.label}`;
  const others = incident.faults.slice(1).map((f) => f.label);
  const spans = others.length > 0 ? `; the incident went on through ${list(others)}` : '';
  const missing: string[] = [];
  if (incident.ownSent && Number.isNaN(incident.ackAt)) missing.push('had no send acked');
  if (incident.othersSent && Number.isNaN(incident.deliverAt)) missing.push('received no new message');
  const end = Number.isNaN(model.runEndT)
    ? `the end of the history at ${at(model, endTime(model))}`
    : `the end of the run at ${at(model, model.runEndT)}`;
  return {
    check: 'failover',
    message: `User ${incident.user} (${how}${spans}) ${list(missing)} from then until ${end}: it never recovered.`,
    user: incident.user,
    region: incident.region,
    t: relSeconds(model, incident.start),
  };
}

function faultResult(model: RunModel, fault: FaultInfo, tally: Tally): FaultFailover {
  return {
    id: fault.id,
    kind: fault.kind,
    target: fault.target,
    start: relSeconds(model, fault.start),
    end: Number.isNaN(fault.end) ? null : relSeconds(model, fault.end),
    ...countsOf(tally),
    seconds: percentiles(tally.failover),
    recoverySeconds: percentiles(tally.recovery),
    ackSeconds: percentiles(tally.ack),
    deliverySeconds: percentiles(tally.delivery),
  };
}

export function createFailoverChecker(options: CheckOptions): Checker<FailoverResult> {
  const tracker = createIncidentTracker();
  return {
    name: 'failover',
    add(e, model) {
      tracker.add(e, model);
    },
    finish(model, metrics) {
      const examples = createExampleList(options.maxExamples);
      const overall = createTally();
      const perFault = new Map<FaultInfo, Tally>(model.faults.map((f) => [f, createTally()]));
      const byTags = new Map<string, { tags: Tags; tally: Tally }>();
      for (const incident of tracker.incidents) {
        const outcome = outcomeOf(incident);
        tallyIncident(overall, incident, outcome);
        for (const f of incident.faults) tallyIncident(perFault.get(f)!, incident, outcome);
        const tags: Tags = { phase: 'fault', region: incident.region, fault: faultTag(incident) };
        const key = `${tags.fault}\u0001${incident.region}`;
        let tagged = byTags.get(key);
        if (tagged === undefined) {
          tagged = { tags, tally: createTally() };
          byTags.set(key, tagged);
        }
        tallyIncident(tagged.tally, incident, outcome);
        if (outcome === 'neverRecovered' && examples.wanted) examples.add(explain(model, incident));
      }
      recordMetrics(metrics, byTags);
      return {
        ...countsOf(overall),
        seconds: percentiles(overall.failover),
        recoverySeconds: percentiles(overall.recovery),
        faults: model.faults.map((f) => faultResult(model, f, perFault.get(f)!)),
        examples: examples.items,
      };
    },
  };
}

/** Failover and recovery over a whole history. */
export function checkFailover(
  events: Iterable<HistoryEvent>,
  options: Partial<CheckOptions> = {},
): FailoverResult {
  return runChecker(createFailoverChecker, events, options);
}
