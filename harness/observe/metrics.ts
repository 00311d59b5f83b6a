// The harness's own live metrics, in Prometheus form: what the run has sent, acknowledged,
// failed and delivered so far, the latencies measured from each message's intended send time,
// failovers, the live consistency counts, and which faults are applied right now. Fed one
// history event at a time (the same events history.jsonl gets), in a registry of its own (never
// prom-client's global one), so a scrape during the run sees the run as the checkers will.
// The failover and recovery durations here are live, per session (connection lost until a
// connection is up again); summary.json's per-incident figures remain the judged ones.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { HistoryEvent } from '../../contracts/history.ts';

/** 1 ms .. 30 s: a message on time, and one that waited out a whole outage. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/**
 * How long a send is remembered for its ack and deliveries (a long run must not hold every
 * send): an answer later than this is counted but has no latency sample.
 */
export const SEND_MEMORY_MS = 5 * 60_000;
/** 100 ms .. 2 min: how long a client was without service. */
export const OUTAGE_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120];

export interface RunMetricsOptions {
  /** The planned faults: each has a fault_active series at 0 from the start. */
  faults?: readonly { id: string; kind: string; target: string }[];
  /** The live judge's violation counts by check name, read on every scrape. */
  violations?: () => Readonly<Record<string, number>>;
}

export interface RunMetrics {
  readonly registry: Registry;
  /** Maps one history event onto the series. */
  observe(event: HistoryEvent): void;
  /** The exposition text, as GET /metrics answers. */
  text(): Promise<string>;
}

interface Sent {
  intendedAt: number;
  sentAt: number;
  region: string;
}

function createSeries(registry: Registry, violations: RunMetricsOptions['violations']) {
  const registers = [registry];
  const counter = (name: string, help: string, labelNames: string[] = ['region']) =>
    new Counter({ name: `chatquake_${name}`, help, labelNames, registers });
  const histogram = (name: string, help: string, buckets: number[]) =>
    new Histogram({ name: `chatquake_${name}`, help, buckets, registers });
  return {
    sent: counter('messages_sent_total', 'Messages the virtual users sent, by sender region.'),
    acked: counter('messages_acked_total', 'Sends the system acknowledged, by region.'),
    failed: counter('messages_failed_total', 'Sends the system definitely refused, by sender region.'),
    indeterminate: counter(
      'messages_indeterminate_total',
      'Sends with no answer either way before the client gave up, by sender region.',
    ),
    delivered: counter('messages_delivered_total', 'Deliveries to a session (push or sync), by region.'),
    failovers: counter('failovers_total', 'Clients that moved to another region’s endpoint.', [
      'from_region',
      'to_region',
    ]),
    failoverSeconds: histogram(
      'failover_duration_seconds',
      'Connection lost until up again in another region, per session.',
      OUTAGE_BUCKETS,
    ),
    recoverySeconds: histogram(
      'recovery_duration_seconds',
      'Connection lost until up again anywhere, per session.',
      OUTAGE_BUCKETS,
    ),
    deliveryLatency: histogram(
      'delivery_latency_seconds',
      'Delivery time measured from the intended send time.',
      LATENCY_BUCKETS,
    ),
    ackLatency: histogram(
      'ack_latency_seconds',
      'Ack time measured from the intended send time.',
      LATENCY_BUCKETS,
    ),
    violations: new Gauge({
      name: 'chatquake_consistency_violations',
      help: 'Consistency violations the live judge has seen so far, by check.',
      labelNames: ['check'],
      registers,
      collect() {
        for (const [check, count] of Object.entries(violations?.() ?? {})) this.set({ check }, count);
      },
    }),
    faultActive: new Gauge({
      name: 'chatquake_fault_active',
      help: '1 while a fault is applied, 0 before and after.',
      labelNames: ['fault', 'kind', 'target'],
      registers,
    }),
  };
}

type Series = ReturnType<typeof createSeries>;

/** Per-session outage tracking: when its connection went down, and whether it failed over since. */
interface Outage {
  downAt: number;
  region: string;
  failedOver: boolean;
}

export function createRunMetrics(options: RunMetricsOptions = {}): RunMetrics {
  const registry = new Registry();
  const s = createSeries(registry, options.violations);
  const faults = new Map<string, { fault: string; kind: string; target: string }>();
  const setFault = (id: string, kind: string, target: string, value: 0 | 1) => {
    const labels = { fault: id, kind, target };
    faults.set(id, labels);
    s.faultActive.set(labels, value);
  };
  for (const f of options.faults ?? []) setFault(f.id, f.kind, f.target, 0);
  const sends = new Map<string, Sent>();
  const outages = new Map<string, Outage>();
  const key = (conv: string, user: string, cmid: string) => `${conv}\u0000${user}\u0000${cmid}`;
  const sinceIntended = (k: string, t: number): number | undefined => {
    const sent = sends.get(k);
    return sent === undefined ? undefined : Math.max(0, t - sent.intendedAt) / 1000;
  };

  const observe = (e: HistoryEvent): void => {
    switch (e.type) {
      case 'send':
        forgetOldSends(sends, e.t - SEND_MEMORY_MS);
        sends.set(key(e.conv, e.user, e.cmid), {
          intendedAt: e.intendedAt,
          sentAt: e.t,
          region: e.region ?? '',
        });
        s.sent.inc({ region: e.region ?? '' });
        break;
      case 'ack': {
        const k = key(e.conv, e.user, e.cmid);
        s.acked.inc({ region: e.region ?? sends.get(k)?.region ?? '' });
        observeSeconds(s.ackLatency, sinceIntended(k, e.t));
        break;
      }
      case 'send_failed':
      case 'send_indeterminate': {
        const region = sends.get(key(e.conv, e.user, e.cmid))?.region ?? '';
        (e.type === 'send_failed' ? s.failed : s.indeterminate).inc({ region });
        break;
      }
      case 'deliver':
        s.delivered.inc({ region: e.region ?? '' });
        observeSeconds(s.deliveryLatency, sinceIntended(key(e.conv, e.from, e.cmid), e.t));
        break;
      case 'fault_start':
        setFault(e.faultId, e.kind, e.target, 1);
        break;
      case 'fault_stop': {
        const labels = faults.get(e.faultId);
        if (labels !== undefined) s.faultActive.set(labels, 0);
        break;
      }
      default:
        observeSession(s, outages, e);
    }
  };
  return { registry, observe, text: () => registry.metrics() };
}

/** The sends it remembers, in order of sending: those older than `before` are dropped. */
export function forgetOldSends(sends: Map<string, { sentAt: number }>, before: number): void {
  for (const [k, sent] of sends) {
    if (sent.sentAt >= before) return;
    sends.delete(k);
  }
}

function observeSeconds(histogram: Histogram, seconds: number | undefined): void {
  if (seconds !== undefined) histogram.observe(seconds);
}

/** conn_down, failover and conn_up of one session: the live failover and recovery durations. */
function observeSession(s: Series, outages: Map<string, Outage>, e: HistoryEvent): void {
  if (e.type === 'conn_down') {
    if (!outages.has(e.session)) outages.set(e.session, { downAt: e.t, region: e.region, failedOver: false });
  } else if (e.type === 'failover') {
    s.failovers.inc({ from_region: e.from, to_region: e.to });
    const outage = outages.get(e.session);
    if (outage !== undefined) outage.failedOver = true;
  } else if (e.type === 'conn_up') {
    const outage = outages.get(e.session);
    if (outage === undefined) return;
    outages.delete(e.session);
    const seconds = Math.max(0, e.t - outage.downAt) / 1000;
    s.recoverySeconds.observe(seconds);
    if (outage.failedOver || e.region !== outage.region) s.failoverSeconds.observe(seconds);
  }
}
