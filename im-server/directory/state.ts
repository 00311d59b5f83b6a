// The directory's membership and lease state, shared by its parts (elections, heartbeats,
// conversations, routes): what each node holds, which elections are open, and the change
// version. directory.ts builds it; the parts take it explicitly.
import type { ConvRecord, DirectoryNode } from '../internal-protocol.ts';

export interface NodeState {
  id: string;
  region: string;
  url: string;
  incarnation: string | null;
  /** Monotonic ms after which the node's lease is over (grace included). */
  leaseUntil: number;
  live: boolean;
  /** Other regions the node's replication reaches; null: unknown, taken as all. */
  reachable: Set<string> | null;
  /** The change version the node has applied, from its last heartbeat. */
  sinceVersion: number;
}

export interface Election {
  id: string;
  startedAt: number;
  reports: Map<string, { lastSeq: number; logEpoch: number }>;
  /**
   * A home moved away while its lease still runs: it is no candidate, and no successor is named
   * until it has applied `fenceVersion` (so it has stopped sequencing) or its lease has lapsed.
   */
  excluded?: { node: string; fenceVersion: number };
}

export interface DirectoryState {
  readonly directoryId: string;
  /** Lease length granted to nodes. */
  readonly leaseMs: number;
  /** Added to every lease on our side: see directory.ts. */
  readonly graceMs: number;
  readonly convs: Map<string, ConvRecord>;
  readonly nodes: Map<string, NodeState>;
  readonly elections: Map<string, Election>;
  /** The newest change version handed out. */
  version: number;
  electionCounter: number;
  /** Monotonic ms. */
  now(): number;
}

export function createDirectoryState(directoryId: string, leaseMs: number, graceMs: number): DirectoryState {
  return {
    directoryId,
    leaseMs,
    graceMs,
    convs: new Map(),
    nodes: new Map(),
    elections: new Map(),
    version: 0,
    electionCounter: 0,
    now: () => performance.now(),
  };
}

export function nodeList(state: DirectoryState): DirectoryNode[] {
  return [...state.nodes.values()].map((n) => ({ id: n.id, region: n.region, url: n.url, live: n.live }));
}

export function knownRegions(state: DirectoryState): string[] {
  return [...new Set([...state.nodes.values()].map((n) => n.region))].sort();
}

export function allowedRegions(state: DirectoryState, rec: ConvRecord): string[] {
  return rec.residency ?? knownRegions(state);
}

export function candidatesOf(state: DirectoryState, rec: ConvRecord): NodeState[] {
  const allowed = new Set(allowedRegions(state, rec));
  return [...state.nodes.values()].filter((n) => n.live && allowed.has(n.region));
}
