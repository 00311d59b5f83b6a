// Prometheus metrics for one node: `imserver_` prefix, counters end in `_total`, durations in
// seconds, histograms rather than summaries, and no user, message or conversation ids as labels.
// prom-client's default Node metrics keep their usual names (`process_*`, `nodejs_*`) so stock
// dashboards and `promtool check metrics` accept them. docs/METRICS.md lists every metric.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface NodeMetrics {
  registry: Registry;
  sessions: Gauge;
  /** Client frames by type (`send`, `sync`, `invalid`) and what became of them. */
  framesReceived: Counter<'type' | 'result'>;
  errors: Counter<'code'>;
  acks: Counter<'level'>;
  ackLatency: Histogram<'level'>;
  sequenced: Counter;
  applied: Counter;
  delivered: Counter<'via'>;
  forwards: Counter<'result'>;
  replicationRequests: Counter<'peer' | 'result'>;
  /** `role`: `home` when this node took up the home role at an epoch, `follower` when it learned of a newer one. */
  epochChanges: Counter<'role'>;
  /** `by`: `us` when this node refused an older epoch's write, `peer` when a peer refused ours. */
  fencedWrites: Counter<'by'>;
  /** `where`: the resent cmid was found `pending` in the batch being written, or already `stored`. */
  dedupHits: Counter<'where'>;
  syncs: Counter<'result'>;
  slowConsumers: Counter<'limit'>;
  upgradesRefused: Counter<'reason'>;
  /** One SQLite write transaction: `append` (group commit at the home), `apply` (a follower's batch). */
  storeWrite: Histogram<'op'>;
}

/** What became of one client frame, the `result` label of `imserver_ws_frames_received_total`. */
export type FrameResult = 'accepted' | 'invalid' | 'rate_limited' | 'in_flight_limit';

/** How far one peer is behind this node's homed conversations. */
export interface PeerLag {
  region: string;
  messages: number;
  /** Age of the oldest message the peer has not confirmed; 0 when it holds everything. */
  seconds: number;
}

export interface MetricsSources {
  leaseValid(): boolean;
  clockOffsetMs(): number;
  homedConversations(): number;
  /** Messages a home holds that a peer has not confirmed, by peer id. */
  replicationLag(): Map<string, PeerLag>;
  /** Bytes sent to client sessions and not yet shown read. */
  unreadBytes(): number;
}

/**
 * prom-client's default gauges that end in `_total` although they are not counters; promtool
 * warns on them. `nodejs_active_handles`, `nodejs_active_requests` and `nodejs_active_resources`
 * (by type) carry the same counts.
 */
const MISNAMED_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/** Seconds: a write to a local SQLite file is usually well under a millisecond. */
const STORE_WRITE_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
const ACK_BUCKETS = [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createMetrics(
  labels: { region: string; node: string },
  sources: MetricsSources,
): NodeMetrics {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  collectDefaultMetrics({ register: registry });
  for (const name of MISNAMED_DEFAULTS) registry.removeSingleMetric(name);
  registerSourceGauges(registry, sources);
  const instruments = createInstruments(registry);
  zeroKnownSeries(instruments);
  return { registry, ...instruments };
}

/** Gauges read from the node's state at scrape time: nothing on the hot path. */
function registerSourceGauges(registry: Registry, sources: MetricsSources): void {
  const registers = [registry];
  const simple = (name: string, help: string, read: () => number): void => {
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read());
      },
    });
  };
  simple('imserver_lease_valid', '1 while this node holds a directory lease it may sequence under', () =>
    sources.leaseValid() ? 1 : 0,
  );
  simple(
    'imserver_clock_offset_seconds',
    'Offset applied to this node’s wall clock by the clock-skew knob',
    () => sources.clockOffsetMs() / 1000,
  );
  simple('imserver_homed_conversations', 'Conversations this node sequences', () =>
    sources.homedConversations(),
  );
  simple(
    'imserver_ws_unread_bytes',
    'Bytes written to client sessions that their clients have not yet shown they read',
    () => sources.unreadBytes(),
  );
  // One read of the sources fills both lag gauges, in the collect() of the one registered
  // first: prom-client starts each metric's get() in registration order and a synchronous
  // collect() finishes before the next get() starts.
  new Gauge({
    name: 'imserver_replication_lag_messages',
    help: 'Messages sequenced here that a peer has not yet confirmed',
    labelNames: ['peer', 'peer_region'],
    registers,
    collect() {
      this.reset();
      lagSeconds.reset();
      for (const [peer, lag] of sources.replicationLag()) {
        const at = { peer, peer_region: lag.region };
        this.set(at, lag.messages);
        lagSeconds.set(at, lag.seconds);
      }
    },
  });
  const lagSeconds = new Gauge({
    name: 'imserver_replication_lag_seconds',
    help: 'Age of the oldest message sequenced here that a peer has not yet confirmed (0 when caught up)',
    labelNames: ['peer', 'peer_region'],
    registers,
  });
}

/**
 * Rare events' series exist from the start at 0, so that a rate() over them is 0 rather than no
 * data until the first one happens (Prometheus's advice for labels whose values are known).
 */
function zeroKnownSeries(m: Omit<NodeMetrics, 'registry'>): void {
  for (const role of ['home', 'follower']) m.epochChanges.inc({ role }, 0);
  for (const by of ['us', 'peer']) m.fencedWrites.inc({ by }, 0);
  for (const where of ['pending', 'stored']) m.dedupHits.inc({ where }, 0);
}

function createInstruments(registry: Registry): Omit<NodeMetrics, 'registry'> {
  const registers = [registry];
  return {
    sessions: new Gauge({ name: 'imserver_ws_sessions', help: 'Open client WebSocket sessions', registers }),
    framesReceived: new Counter({
      name: 'imserver_ws_frames_received_total',
      help: 'Client frames received, by type (invalid when unparseable) and result (accepted, invalid, rate_limited, in_flight_limit)',
      labelNames: ['type', 'result'],
      registers,
    }),
    errors: new Counter({
      name: 'imserver_errors_total',
      help: 'Error frames sent to clients, by code',
      labelNames: ['code'],
      registers,
    }),
    acks: new Counter({
      name: 'imserver_acks_total',
      help: 'Acks sent to clients, by level',
      labelNames: ['level'],
      registers,
    }),
    ackLatency: new Histogram({
      name: 'imserver_ack_latency_seconds',
      help: 'From a send frame’s arrival to its ack, by ack level',
      labelNames: ['level'],
      buckets: ACK_BUCKETS,
      registers,
    }),
    sequenced: new Counter({
      name: 'imserver_messages_sequenced_total',
      help: 'Messages this node sequenced as home',
      registers,
    }),
    applied: new Counter({
      name: 'imserver_messages_applied_total',
      help: 'Replicated messages this node applied as follower',
      registers,
    }),
    delivered: new Counter({
      name: 'imserver_messages_delivered_total',
      help: 'msg frames sent to client sessions, by path (push, sync)',
      labelNames: ['via'],
      registers,
    }),
    forwards: new Counter({
      name: 'imserver_forwarded_sends_total',
      help: 'Sends forwarded to another node, by outcome',
      labelNames: ['result'],
      registers,
    }),
    replicationRequests: new Counter({
      name: 'imserver_replication_requests_total',
      help: 'Replication requests sent to peers, by outcome',
      labelNames: ['peer', 'result'],
      registers,
    }),
    epochChanges: new Counter({
      name: 'imserver_epoch_changes_total',
      help: 'Conversations whose epoch changed here: role home when this node became home, follower when it learned of a newer home',
      labelNames: ['role'],
      registers,
    }),
    fencedWrites: new Counter({
      name: 'imserver_fenced_writes_total',
      help: 'Replicated writes refused for an older epoch: by us (this node refused a stale home) or by a peer (this node was the stale home)',
      labelNames: ['by'],
      registers,
    }),
    dedupHits: new Counter({
      name: 'imserver_dedup_hits_total',
      help: 'Resent client message ids answered with their first seq, by where the first was found (pending, stored)',
      labelNames: ['where'],
      registers,
    }),
    syncs: new Counter({
      name: 'imserver_syncs_total',
      help: 'Sync requests answered, by outcome',
      labelNames: ['result'],
      registers,
    }),
    slowConsumers: new Counter({
      name: 'imserver_slow_consumers_total',
      help: 'Sessions closed for leaving too much unread, by the limit they passed (session, node, stalled)',
      labelNames: ['limit'],
      registers,
    }),
    upgradesRefused: new Counter({
      name: 'imserver_ws_upgrades_refused_total',
      help: 'WebSocket upgrades refused for capacity, by reason',
      labelNames: ['reason'],
      registers,
    }),
    storeWrite: new Histogram({
      name: 'imserver_store_write_duration_seconds',
      help: 'One SQLite write transaction, by op (append: group commit at the home; apply: a follower’s replicated batch)',
      labelNames: ['op'],
      buckets: STORE_WRITE_BUCKETS,
      registers,
    }),
  };
}
