// A home or follower engine of node eu/n1 in this process, for tests and benchmarks that drive
// engine functions directly: the node's config with short timings, a real clock, metrics,
// logger and agent, and a shipper that ships nothing. The caller gives storage and sessions
// (pushToMembers) and, when it needs them, the ack level, replicas, tracing and a control plane.
import { createClock } from '../../im-server/clock.ts';
import { createState, type EngineState } from '../../im-server/engine/state.ts';
import type { EngineConfig, EngineDeps } from '../../im-server/engine/types.ts';
import { createAgent } from '../../im-server/http.ts';
import { createLogger } from '../../im-server/log.ts';
import { createMetrics } from '../../im-server/metrics.ts';
import type { Shipper } from '../../im-server/replication.ts';

/** A shipper that ships nothing; `notified` hears each conversation it is told about. */
export function idleShipper(notified: string[] = []): Shipper {
  return {
    notify: (conv) => notified.push(conv),
    reset: () => {},
    drop: () => {},
    matched: () => undefined,
    lag: () => new Map(),
    reachableRegions: () => [],
    stop: () => {},
  };
}

export interface TestEngineOptions extends Pick<EngineDeps, 'storage' | 'pushToMembers' | 'tracing'> {
  /** Default 'stored'. */
  ack?: EngineConfig['ack'];
  /** Default 1. */
  replicas?: number;
  /** Default: the idle shipper. */
  shipper?: Shipper;
}

export function testEngineState(options: TestEngineOptions): EngineState {
  const s = createState({
    config: {
      region: 'eu',
      node: 'n1',
      incarnation: 'i1',
      ack: options.ack ?? 'stored',
      replicas: options.replicas ?? 1,
      bugs: new Set(),
      peerKey: 'k',
      timings: { peerTimeoutMs: 1000, forwardHoldMs: 1000, syncWaitMs: 1000 },
    },
    storage: options.storage,
    clock: createClock(),
    metrics: createMetrics(
      { region: 'eu', node: 'n1' },
      {
        leaseValid: () => true,
        clockOffsetMs: () => 0,
        homedConversations: () => 0,
        replicationLag: () => new Map(),
        unreadBytes: () => 0,
      },
    ),
    logger: createLogger({}, 'error'),
    agent: createAgent(),
    pushToMembers: options.pushToMembers,
    ...(options.tracing === undefined ? {} : { tracing: options.tracing }),
  });
  s.wiring = { ...s.wiring, shipper: options.shipper ?? idleShipper() };
  return s;
}
