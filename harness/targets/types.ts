// What the harness knows about a kind of system under test: its name, the options and bug knobs
// a scenario may set, where it homes a conversation (for region aliases such as `@busiest`), what
// it cannot do (modes, fault actions, shapes of workload), the CLI commands its processes run as,
// and, loaded only for a run, the runtime that starts it and drives it. Everything
// target-specific the harness needs comes through here, so adding a target touches only
// harness/targets/.
import type { z } from 'zod';
import type { AdminBackend, FaultAction } from '../../chaos/index.ts';
import type { MessagingTarget } from '../../contracts/target.ts';
import type { Workload } from '../../load/index.ts';
import type { CommandSpec } from '../cli/flag-table.ts';
import type { TopologyLayout } from '../local/layout.ts';
import type { LocalTopology, LocalTopologyOptions, NodeInfo } from '../local/topology.ts';

export interface TargetCommand {
  /** Its flags, from which `--help` and the unknown-flag message are drawn. */
  spec: CommandSpec;
  load: () => Promise<{ main: (argv: string[]) => Promise<number> }>;
}

/** Where a run's topology lives: processes here, containers it starts, or a compose project. */
export type TopologyMode = { mode: 'local' } | { mode: 'docker'; image: string } | { mode: 'compose' };

/** A scenario's topology section, as the definition reads it (scenario.ts's TopologySpec). */
export interface TopologyFacts {
  regions: string[];
  nodesPerRegion: number;
  ack: string;
  leaseMs: number;
  bugs: string[];
}

/** What a run tells the target's runtime when it starts the topology. */
export interface TargetStartOptions extends LocalTopologyOptions {
  runId: string;
  /** The scenario's `targetOptions`, parsed by the definition's `options` schema. */
  targetOptions: unknown;
}

/** The system a run drives, made once the topology is up. */
export interface TargetConnection {
  target: MessagingTarget;
  /** The admin faults' backend (clock skew); targets without one refuse `clock` in `unsupported`. */
  admin: AdminBackend;
  /** Called when a fault added a node, so new sessions and reads can reach it. */
  onNodeAdded?: (info: NodeInfo) => void;
  /** Releases what the target holds besides sessions (reader connections); idempotent. */
  close?: () => Promise<void>;
}

/** The code that starts and drives a target, imported only when a run needs it. */
export interface TargetRuntime {
  startTopology(options: TargetStartOptions, where: TopologyMode): Promise<LocalTopology>;
  connect(topology: LocalTopology, context: { seed: number; targetOptions: unknown }): TargetConnection;
}

export interface TargetDefinition {
  readonly name: string;
  /** One sentence for `chatquake list` and the docs. */
  readonly description: string;
  /** The scenario's `targetOptions`, with their defaults; a target without options takes `{}` only. */
  readonly options: z.ZodType;
  /** Bug knobs the target can be started with; a scenario's `bugs` and `catches` name these. */
  readonly bugs: readonly string[];
  /** The `--mode`s it runs in. */
  readonly modes: readonly TopologyMode['mode'][];
  /** Fault actions it cannot carry out, each with the reason a scenario's error gives. */
  readonly unsupported: Partial<Record<FaultAction['op'], string>>;
  /**
   * The region a conversation is homed in when the run starts, as the target will place it; undefined
   * when the target cannot tell (aliases then fall back to topology order).
   */
  homeRegionOf(conv: { id: string; residency?: string[] }, regions: readonly string[]): string | undefined;
  /** What an ack promises on this target, as run_start and summary.json record it. */
  ackLevel(topology: { ack: string }): string;
  /**
   * Its MessagingTarget has `api` (request/response sends and history reads), so scenarios may
   * ask for `workload.api`. Absent means false.
   */
  messageApi?: boolean;
  /**
   * Gauges in its nodes' /metrics that the game-day console (`chatquake up`) shows per node:
   * conversations the node is home for, and replication lag (summed over the gauge's series
   * for messages, the largest for seconds). Absent: the console shows node states only.
   */
  consoleGauges?: { homed?: string; lagSeconds?: string; lagMessages?: string };
  /** The `servers` line of `validate`: what runs per region, with the options that matter. */
  describeServers(topology: TopologyFacts, targetOptions: unknown): string;
  /** The proxies and nodes its topology will have, for resolving faults before anything starts. */
  layout(regions: string[], nodesPerRegion: number): TopologyLayout;
  /**
   * What the workload must look like for this target, as `field: problem` messages (empty when
   * it fits); checked before the run starts.
   */
  checkWorkload(workload: Workload, nodesPerRegion: number): string[];
  /**
   * The regions each conversation will be held in, where the target decides that rather than the
   * scenario (an XMPP chat lives on its members' servers); the run records them as residency.
   */
  placement?(workload: Workload): Map<string, string[]>;
  /** `chatquake <name>` commands that run the target's own processes. */
  readonly commands: Record<string, TargetCommand>;
  readonly runtime: () => Promise<TargetRuntime>;
}
