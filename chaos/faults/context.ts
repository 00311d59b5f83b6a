// What every fault module receives and returns, and the topology selections they share.
import type { Random } from '../../lib/random.ts';
import type { FaultAction } from '../actions.ts';
import type { ToxicSpec } from '../backends/types.ts';
import type { ChaosNode, ChaosProxyRef, ChaosTopology } from '../topology.ts';
import type { Pick, Stream } from './spec.ts';

/** A scenario mistake found while resolving; `path` names the field, e.g. "chaos[2].region". */
export class FaultSpecError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = 'FaultSpecError';
    this.path = path;
  }
}

export interface FaultContext {
  topology: ChaosTopology;
  /** This fault's own stream, so adding a fault never changes another fault's choices. */
  random: Random;
  /** The fault's id; toxic names start with it so overlapping faults never collide. */
  id: string;
  /** Resolves a region name or '@alias', throwing an error that names the field. */
  region(field: string, value: string): string;
  /** Throws a FaultSpecError naming the field (relative to the fault, e.g. "pick.count"). */
  fail(field: string, message: string): never;
}

export interface FaultPlan {
  /** Human-readable target, e.g. "region eu-west". */
  target: string;
  /** Regions the fault touches. */
  regions: string[];
  actions: FaultAction[];
  reverts: FaultAction[];
  /** Actions repeated on a period between apply and revert (flap): `down` first, `up` half a period later. */
  cycle?: { periodMs: number; down: FaultAction[]; up: FaultAction[] };
  /** The fault has no revert; its effect stays (scaleOut). */
  instant?: boolean;
  /** Overrides the spec's duration (nodeCrash's restartAfter). */
  durationMs?: number;
}

export type FaultModule<S> = (spec: S, ctx: FaultContext) => FaultPlan;

const byName = (a: ChaosProxyRef, b: ChaosProxyRef): number =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
const byId = (a: ChaosNode, b: ChaosNode): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export function nodesOf(topology: ChaosTopology, region?: string): ChaosNode[] {
  return topology.nodes.filter((n) => region === undefined || n.region === region).sort(byId);
}

export function edgesOf(topology: ChaosTopology, region: string): ChaosProxyRef[] {
  return topology.proxies.filter((p) => p.kind === 'edge' && p.to === region).sort(byName);
}

/** Link proxies from nodes of `from` to nodes of `to`. */
export function linksFrom(topology: ChaosTopology, from: string, to: string): ChaosProxyRef[] {
  return topology.proxies.filter((p) => p.kind === 'link' && p.from === from && p.to === to).sort(byName);
}

/** Link proxies into or out of a region. */
export function linksTouching(topology: ChaosTopology, region: string): ChaosProxyRef[] {
  return topology.proxies
    .filter((p) => p.kind === 'link' && (p.from === region || p.to === region))
    .sort(byName);
}

export function allLinks(topology: ChaosTopology): ChaosProxyRef[] {
  return topology.proxies.filter((p) => p.kind === 'link').sort(byName);
}

/** The proxies a region's nodes use to reach the directory. */
export function directoryOf(topology: ChaosTopology, region: string): ChaosProxyRef[] {
  return topology.proxies.filter((p) => p.kind === 'directory' && p.from === region).sort(byName);
}

/** Every proxy into or out of a region: its edges, links to and from it, its directory proxies. */
export function proxiesOfRegion(topology: ChaosTopology, region: string): ChaosProxyRef[] {
  return [...edgesOf(topology, region), ...linksTouching(topology, region), ...directoryOf(topology, region)];
}

/**
 * Applies a pick to candidates in a stable order. `percent` rounds to the nearest whole number
 * but never below one, so "10%" of three nodes still hits one.
 */
export function pickFrom<T>(items: readonly T[], pick: Pick, random: Random, ctx: FaultContext): T[] {
  if (pick === 'all') return items.slice();
  let count: number;
  if (pick === 'one') count = 1;
  else if ('count' in pick) {
    count = pick.count;
    if (count > items.length)
      ctx.fail('pick.count', `${count} is more than the ${items.length} candidates in the topology`);
  } else count = Math.max(1, Math.round((pick.percent / 100) * items.length));
  if (items.length === 0) return [];
  const chosen = new Set(random.shuffle(items.map((_, i) => i)).slice(0, count));
  return items.filter((_, i) => chosen.has(i));
}

export function describePick(pick: Pick, chosen: number, of: number): string {
  if (pick === 'all' || chosen === of) return '';
  return ` (${chosen} of ${of})`;
}

/** Toxic names start with the fault id, so two faults on one proxy never collide. */
export function toxicName(id: string, type: string, stream: string): string {
  return `${id}_${type}_${stream}`;
}

/** One toxic per proxy and stream, with the matching removals as reverts. */
export function toxicsOn(
  id: string,
  proxies: readonly ChaosProxyRef[],
  toxic: Omit<ToxicSpec, 'name' | 'stream'>,
  stream: Stream,
): { actions: FaultAction[]; reverts: FaultAction[] } {
  const streams: ('upstream' | 'downstream')[] = stream === 'both' ? ['upstream', 'downstream'] : [stream];
  const actions: FaultAction[] = [];
  const reverts: FaultAction[] = [];
  for (const p of proxies) {
    for (const s of streams) {
      const name = toxicName(id, toxic.type, s);
      actions.push({ op: 'toxic', proxy: p.name, toxic: { ...toxic, name, stream: s } });
      reverts.push({ op: 'removeToxic', proxy: p.name, name });
    }
  }
  return { actions, reverts };
}

export function disableAll(proxies: readonly ChaosProxyRef[]): FaultAction[] {
  return proxies.map((p) => ({ op: 'disable', proxy: p.name }));
}

export function enableAll(proxies: readonly ChaosProxyRef[]): FaultAction[] {
  return proxies.map((p) => ({ op: 'enable', proxy: p.name }));
}
