// Failover latency: what a fault costs the users it hits.
// Affected clients of a fault: users with a connection to one of its regions when it started,
// and users who lost a connection (to one of its regions; to any region if it names none)
// while it was active. For each, from the fault start:
// - ack recovery: its first ack of a send intended after the fault start;
// - delivery recovery: its first delivery of a message intended after the fault start.
// A measure applies only when there was something to measure (the client sent; someone else
// sent in one of its conversations) during the fault. A client recovered when every measure
// that applies happened before the fault ended; its failover time is the later of them.
// Clients that never recovered before the fault ended are censored — counted, ranked above
// every finite time, never dropped — so p99 is +Infinity (null in JSON) if more than 1% were.
import { createHistogram, type Histogram, merge, record } from '../lib/histogram.ts';
import { at, when } from './explain.ts';
import type { HistoryEvent } from './history.ts';
import {
  addCensored,
  addTrendHistogram,
  aggregate,
  jsonNumber,
  type MetricStore,
  type TrendSink,
} from './metrics.ts';
import { endTime, type FaultInfo, type RunModel, relSeconds, runChecker } from './model.ts';
import { type Checker, type CheckOptions, createExampleList, type Example } from './result.ts';

export interface FailoverPercentiles {
  /** Affected clients measured: recovered + censored. */
  count: number;
  censored: number;
  /** null: no samples, or the percentile falls among censored clients. */
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
}

export interface FaultFailover {
  id: string;
  kind: string;
  target: string;
  /** Seconds since run start. */
  start: number;
  /** Seconds since run start; null when the fault never stopped in the history. */
  end: number | null;
  affectedClients: number;
  recoveredClients: number;
  censored: number;
  /** Affected clients with nothing to measure (sent nothing, nobody sent to them). */
  unobserved: number;
  seconds: FailoverPercentiles;
  ackSeconds: FailoverPercentiles;
  deliverySeconds: FailoverPercentiles;
}

export interface FailoverResult {
  /** Over every fault's affected clients. */
  seconds: FailoverPercentiles;
  faults: FaultFailover[];
  examples: Example[];
}

interface Client {
  user: string;
  region: string | undefined;
  /** When it became affected: the fault start, or the connection loss during it. */
  since: number;
  ackAt: number;
  deliverAt: number;
  sent: boolean;
}

interface FaultState {
  fault: FaultInfo;
  clients: Map<string, Client>;
  /** Per conversation: its first sender during the fault, or true once two users sent. */
  senders: Map<string, string | true>;
}

function percentiles(hist: Histogram, censored: number): FailoverPercentiles {
  const sink: TrendSink = { type: 'trend', hist, censored };
  const total = hist.count + censored;
  const p = (q: number): number | null => (total === 0 ? null : jsonNumber(aggregate(sink, { p: q }, 0)));
  return {
    count: total,
    censored,
    p50: p(50),
    p90: p(90),
    p99: p(99),
    max: total === 0 ? null : jsonNumber(aggregate(sink, 'max', 0)),
  };
}

export function createFailoverChecker(options: CheckOptions): Checker<FailoverResult> {
  const states: FaultState[] = [];
  const active: FaultState[] = [];

  const affect = (state: FaultState, user: string, region: string | undefined, t: number): void => {
    if (state.clients.has(user)) return;
    state.clients.set(user, {
      user,
      region,
      since: t,
      ackAt: Number.NaN,
      deliverAt: Number.NaN,
      sent: false,
    });
  };

  return {
    name: 'failover',
    add(e: HistoryEvent, model: RunModel) {
      switch (e.type) {
        case 'fault_start': {
          const fault = model.faultsById.get(e.faultId)!;
          const state: FaultState = { fault, clients: new Map(), senders: new Map() };
          for (const s of model.sessions.values()) {
            if (s.up && s.region !== undefined && fault.regions.includes(s.region))
              affect(state, s.user, s.region, e.t);
          }
          states.push(state);
          active.push(state);
          break;
        }
        case 'fault_stop': {
          const i = active.findIndex((s) => s.fault.id === e.faultId);
          if (i >= 0) active.splice(i, 1);
          break;
        }
        case 'conn_down':
          for (const state of active) {
            const regions = state.fault.regions;
            if (regions.length === 0 || regions.includes(e.region)) affect(state, e.user, e.region, e.t);
          }
          break;
        case 'send': {
          if (active.length === 0) break;
          for (const state of active) {
            if (e.intendedAt < state.fault.start) continue;
            const prev = state.senders.get(e.conv);
            if (prev === undefined) state.senders.set(e.conv, e.user);
            else if (prev !== true && prev !== e.user) state.senders.set(e.conv, true);
            const c = state.clients.get(e.user);
            if (c !== undefined) c.sent = true;
          }
          break;
        }
        case 'ack': {
          if (active.length === 0) break;
          const m = model.current!;
          for (const state of active) {
            const c = state.clients.get(e.user);
            if (c !== undefined && Number.isNaN(c.ackAt) && m.intendedAt >= state.fault.start) c.ackAt = e.t;
          }
          break;
        }
        case 'deliver': {
          if (active.length === 0) break;
          const m = model.current!;
          for (const state of active) {
            const c = state.clients.get(e.user);
            if (c !== undefined && Number.isNaN(c.deliverAt) && m.intendedAt >= state.fault.start)
              c.deliverAt = e.t;
          }
          break;
        }
        default:
          break;
      }
    },
    finish(model: RunModel, metrics: MetricStore): FailoverResult {
      const examples = createExampleList(options.maxExamples);
      const overall = createHistogram();
      let overallCensored = 0;
      const faults: FaultFailover[] = [];
      const runEnd = endTime(model);

      for (const state of states) {
        const f = state.fault;
        const end = Number.isNaN(f.end) ? runEnd : f.end;
        const hist = createHistogram();
        const ackHist = createHistogram();
        const deliverHist = createHistogram();
        let censored = 0;
        let ackCensored = 0;
        let deliverCensored = 0;
        let unobserved = 0;
        const byTag = new Map<string, { hist: Histogram; censored: number; region: string | undefined }>();

        for (const c of state.clients.values()) {
          const convs = model.users.get(c.user)?.convs ?? [];
          const othersSent = convs.some((conv) => {
            const s = state.senders.get(conv);
            return s === true || (s !== undefined && s !== c.user);
          });
          const measures: number[] = [];
          let missing = '';
          if (c.sent) {
            if (Number.isNaN(c.ackAt)) {
              ackCensored++;
              missing = 'had no send acked';
            } else record(ackHist, (c.ackAt - f.start) / 1000);
            measures.push(c.ackAt);
          }
          if (othersSent) {
            if (Number.isNaN(c.deliverAt)) {
              deliverCensored++;
              missing = missing === '' ? 'received no new message' : `${missing} and received no new message`;
            } else record(deliverHist, (c.deliverAt - f.start) / 1000);
            measures.push(c.deliverAt);
          }
          if (measures.length === 0) {
            unobserved++;
            continue;
          }
          const key = c.region ?? '';
          let tagged = byTag.get(key);
          if (tagged === undefined) {
            tagged = { hist: createHistogram(), censored: 0, region: c.region };
            byTag.set(key, tagged);
          }
          if (measures.some(Number.isNaN)) {
            censored++;
            tagged.censored++;
            if (examples.wanted) {
              const how =
                c.since === f.start
                  ? `connected to ${c.region ?? 'an unknown region'} when ${f.label} began at ${at(model, f.start)}`
                  : `lost its connection to ${c.region ?? 'an unknown region'} ${when(model, c.since)}`;
              examples.add({
                check: 'failover',
                message: `User ${c.user} (${how}) ${missing} before the fault ${Number.isNaN(f.end) ? 'was still active at the end of the history' : `ended at ${at(model, end)}`}.`,
                user: c.user,
                ...(c.region !== undefined ? { region: c.region } : {}),
                t: relSeconds(model, f.start),
              });
            }
            continue;
          }
          const seconds = (Math.max(...measures) - f.start) / 1000;
          record(hist, seconds);
          record(tagged.hist, seconds);
        }
        for (const tagged of byTag.values()) {
          const tags = {
            phase: 'fault',
            fault: f.kind,
            ...(tagged.region !== undefined ? { region: tagged.region } : {}),
          };
          addTrendHistogram(metrics, 'failover_seconds', tagged.hist, tags);
          addCensored(metrics, 'failover_seconds', tagged.censored, tags);
        }
        merge(overall, hist);
        overallCensored += censored;
        faults.push({
          id: f.id,
          kind: f.kind,
          target: f.target,
          start: relSeconds(model, f.start),
          end: Number.isNaN(f.end) ? null : relSeconds(model, f.end),
          affectedClients: state.clients.size,
          recoveredClients: hist.count,
          censored,
          unobserved,
          seconds: percentiles(hist, censored),
          ackSeconds: percentiles(ackHist, ackCensored),
          deliverySeconds: percentiles(deliverHist, deliverCensored),
        });
      }
      return { seconds: percentiles(overall, overallCensored), faults, examples: examples.items };
    },
  };
}

/** Failover latency per fault over a whole history. */
export function checkFailover(
  events: Iterable<HistoryEvent>,
  options: Partial<CheckOptions> = {},
): FailoverResult {
  return runChecker(createFailoverChecker, events, options);
}
