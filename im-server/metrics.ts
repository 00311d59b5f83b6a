// Prometheus metrics for one node: `imserver_` prefix, counters end in `_total`, durations in
// seconds, histograms rather than summaries, and no user, message or conversation ids as labels.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface NodeMetrics {
  registry: Registry;
  sessions: Gauge;
  framesReceived: Counter<'type'>;
  errors: Counter<'code'>;
  acks: Counter<'level'>;
  ackLatency: Histogram<'level'>;
  sequenced: Counter;
  applied: Counter;
  delivered: Counter<'via'>;
  forwards: Counter<'result'>;
  replicationRequests: Counter<'peer' | 'result'>;
  epochChanges: Counter;
  syncs: Counter<'result'>;
  slowConsumers: Counter<'limit'>;
  upgradesRefused: Counter<'reason'>;
}

export interface MetricsSources {
  leaseValid(): boolean;
  clockOffsetMs(): number;
  homedConversations(): number;
  /** Messages a home holds that a peer has not confirmed, by peer. */
  replicationLag(): Map<string, number>;
  /** Bytes sent to client sessions and not yet shown read. */
  unreadBytes(): number;
}

export function createMetrics(
  labels: { region: string; node: string },
  sources: MetricsSources,
): NodeMetrics {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  collectDefaultMetrics({ register: registry, prefix: 'imserver_' });
  const reg = [registry];
  new Gauge({
    name: 'imserver_lease_valid',
    help: '1 while this node holds a directory lease it may sequence under',
    registers: reg,
    collect() {
      this.set(sources.leaseValid() ? 1 : 0);
    },
  });
  new Gauge({
    name: 'imserver_clock_offset_seconds',
    help: 'Offset applied to this node’s wall clock by the clock-skew knob',
    registers: reg,
    collect() {
      this.set(sources.clockOffsetMs() / 1000);
    },
  });
  new Gauge({
    name: 'imserver_homed_conversations',
    help: 'Conversations this node sequences',
    registers: reg,
    collect() {
      this.set(sources.homedConversations());
    },
  });
  new Gauge({
    name: 'imserver_replication_lag_messages',
    help: 'Messages sequenced here that a peer has not yet confirmed',
    labelNames: ['peer'],
    registers: reg,
    collect() {
      this.reset();
      for (const [peer, lag] of sources.replicationLag()) this.set({ peer }, lag);
    },
  });
  new Gauge({
    name: 'imserver_ws_unread_bytes',
    help: 'Bytes written to client sessions that their clients have not yet shown they read',
    registers: reg,
    collect() {
      this.set(sources.unreadBytes());
    },
  });
  return {
    registry,
    sessions: new Gauge({
      name: 'imserver_ws_sessions',
      help: 'Open client WebSocket sessions',
      registers: reg,
    }),
    framesReceived: new Counter({
      name: 'imserver_ws_frames_received_total',
      help: 'Client frames received, by type (invalid when unparseable)',
      labelNames: ['type'],
      registers: reg,
    }),
    errors: new Counter({
      name: 'imserver_errors_total',
      help: 'Error frames sent to clients, by code',
      labelNames: ['code'],
      registers: reg,
    }),
    acks: new Counter({
      name: 'imserver_acks_total',
      help: 'Acks sent to clients, by level',
      labelNames: ['level'],
      registers: reg,
    }),
    ackLatency: new Histogram({
      name: 'imserver_ack_latency_seconds',
      help: 'From a send frame’s arrival to its ack',
      labelNames: ['level'],
      buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: reg,
    }),
    sequenced: new Counter({
      name: 'imserver_messages_sequenced_total',
      help: 'Messages this node sequenced as home',
      registers: reg,
    }),
    applied: new Counter({
      name: 'imserver_messages_applied_total',
      help: 'Replicated messages this node applied as follower',
      registers: reg,
    }),
    delivered: new Counter({
      name: 'imserver_messages_delivered_total',
      help: 'msg frames sent to client sessions',
      labelNames: ['via'],
      registers: reg,
    }),
    forwards: new Counter({
      name: 'imserver_forwarded_sends_total',
      help: 'Sends forwarded to another node, by outcome',
      labelNames: ['result'],
      registers: reg,
    }),
    replicationRequests: new Counter({
      name: 'imserver_replication_requests_total',
      help: 'Replication requests sent to peers, by outcome',
      labelNames: ['peer', 'result'],
      registers: reg,
    }),
    epochChanges: new Counter({
      name: 'imserver_home_acquired_total',
      help: 'Times this node became home of a conversation under a new epoch',
      registers: reg,
    }),
    syncs: new Counter({
      name: 'imserver_syncs_total',
      help: 'Sync requests answered, by outcome',
      labelNames: ['result'],
      registers: reg,
    }),
    slowConsumers: new Counter({
      name: 'imserver_slow_consumers_total',
      help: 'Sessions closed for leaving too much unread, by the limit they passed (session, node, stalled)',
      labelNames: ['limit'],
      registers: reg,
    }),
    upgradesRefused: new Counter({
      name: 'imserver_ws_upgrades_refused_total',
      help: 'WebSocket upgrades refused for capacity, by reason',
      labelNames: ['reason'],
      registers: reg,
    }),
  };
}
