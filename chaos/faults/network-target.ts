// The target of latency, bandwidth, blackhole and resetPeer: a region (everything in and out of
// it), a directed link, a region's client edges, a region's paths to the directory, or, when
// none is given, every inter-region link.
import type { ChaosProxyRef } from '../topology.ts';
import {
  allLinks,
  describePick,
  directoryOf,
  edgesOf,
  type FaultContext,
  linksFrom,
  pickFrom,
  proxiesOfRegion,
} from './context.ts';
import type { LinkRef, Pick } from './spec.ts';

export interface NetworkTargetSpec {
  region?: string | undefined;
  link?: LinkRef | undefined;
  edges?: string | undefined;
  directory?: string | undefined;
  pick?: Pick | undefined;
}

export interface NetworkTarget {
  proxies: ChaosProxyRef[];
  target: string;
  regions: string[];
}

export function selectNetworkTarget(spec: NetworkTargetSpec, ctx: FaultContext): NetworkTarget {
  const { topology } = ctx;
  let candidates: ChaosProxyRef[];
  let target: string;
  let regions: string[];
  let field: string;
  if (spec.region !== undefined) {
    const region = ctx.region('region', spec.region);
    candidates = proxiesOfRegion(topology, region);
    target = `region ${region}`;
    regions = [region];
    field = 'region';
  } else if (spec.link !== undefined) {
    const from = ctx.region('link.from', spec.link.from);
    const to = ctx.region('link.to', spec.link.to);
    if (from === to) ctx.fail('link.to', `a link joins two different regions (both are "${from}")`);
    candidates = linksFrom(topology, from, to);
    target = `link ${from}->${to}`;
    regions = [from, to];
    field = 'link';
  } else if (spec.edges !== undefined) {
    const region = ctx.region('edges', spec.edges);
    candidates = edgesOf(topology, region);
    target = `client edges of ${region}`;
    regions = [region];
    field = 'edges';
  } else if (spec.directory !== undefined) {
    const region = ctx.region('directory', spec.directory);
    candidates = directoryOf(topology, region);
    target = `directory paths of ${region}`;
    regions = [region];
    field = 'directory';
  } else {
    candidates = allLinks(topology);
    target = 'every inter-region link';
    regions = topology.regions.slice();
    field = 'region';
  }
  if (candidates.length === 0) ctx.fail(field, `no proxies match ${target} in this topology`);
  const pick = spec.pick ?? 'all';
  const proxies = pickFrom(candidates, pick, ctx.random, ctx);
  return { proxies, target: target + describePick(pick, proxies.length, candidates.length), regions };
}
