// A link that keeps going down and up: disabled for the first half of each period, enabled for
// the second. The timeline expands the cycle into steps, so the dry run lists every toggle.

import { parseDuration } from '../../lib/duration.ts';
import type { ChaosProxyRef } from '../topology.ts';
import { disableAll, enableAll, type FaultModule, linksFrom, proxiesOfRegion } from './context.ts';
import type { FaultOf } from './spec.ts';

export const flap: FaultModule<FaultOf<'flap'>> = (spec, ctx) => {
  let proxies: ChaosProxyRef[];
  let target: string;
  let regions: string[];
  if (spec.link !== undefined) {
    const from = ctx.region('link.from', spec.link.from);
    const to = ctx.region('link.to', spec.link.to);
    proxies = linksFrom(ctx.topology, from, to);
    target = `link ${from}->${to}`;
    regions = [from, to];
    if (proxies.length === 0) ctx.fail('link', `no proxies match ${target} in this topology`);
  } else {
    const region = ctx.region('region', spec.region as string);
    proxies = proxiesOfRegion(ctx.topology, region);
    target = `region ${region}`;
    regions = [region];
    if (proxies.length === 0) ctx.fail('region', `no proxies match ${target} in this topology`);
  }
  const periodMs = parseDuration(spec.period);
  if (periodMs < 20) ctx.fail('period', `${periodMs}ms is too short: use at least 20ms`);
  const down = disableAll(proxies);
  const up = enableAll(proxies);
  return {
    target: `${target} flapping every ${spec.period}`,
    regions,
    actions: down,
    reverts: up,
    cycle: { periodMs, down, up },
  };
};
