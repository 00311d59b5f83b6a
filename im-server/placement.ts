// Rendezvous (highest-random-weight) hashing: every party that knows the same candidates ranks
// them the same way, and removing one candidate moves only the keys it held.
import { createHash } from 'node:crypto';

function weight(key: string, candidate: string): bigint {
  return createHash('sha256').update(key).update('\u0000').update(candidate).digest().readBigUInt64BE(0);
}

/** Candidates ordered from most to least preferred for `key`. */
export function rendezvousOrder(key: string, candidates: readonly string[]): string[] {
  return [...new Set(candidates)]
    .map((candidate) => ({ candidate, w: weight(key, candidate) }))
    .sort((a, b) => (a.w === b.w ? a.candidate.localeCompare(b.candidate) : a.w > b.w ? -1 : 1))
    .map((entry) => entry.candidate);
}

export interface PlacementNode {
  id: string;
  region: string;
}

/**
 * Nodes ordered by preference for a conversation: regions by rendezvous over the allowed
 * regions, then nodes within each region by rendezvous over that region's nodes.
 */
export function preferenceOrder(
  conv: string,
  allowedRegions: readonly string[],
  nodes: readonly PlacementNode[],
): string[] {
  const order: string[] = [];
  for (const region of rendezvousOrder(conv, allowedRegions)) {
    const inRegion = nodes.filter((n) => n.region === region).map((n) => n.id);
    order.push(...rendezvousOrder(conv, inRegion));
  }
  return order;
}
