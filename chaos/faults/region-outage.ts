// A whole region goes dark: its nodes are killed and every path into or out of it is cut.
// Heal re-opens the network first so that restarted nodes can reach the directory and peers.
import type { FaultAction } from '../actions.ts';
import { disableAll, enableAll, type FaultModule, nodesOf, proxiesOfRegion } from './context.ts';
import type { FaultOf } from './spec.ts';

export const regionOutage: FaultModule<FaultOf<'regionOutage'>> = (spec, ctx) => {
  const region = ctx.region('region', spec.region);
  const nodes = nodesOf(ctx.topology, region);
  if (nodes.length === 0) ctx.fail('region', `region ${region} has no nodes in this topology`);
  const proxies = proxiesOfRegion(ctx.topology, region);
  const kills: FaultAction[] = nodes.map((n) => ({ op: 'signal', node: n.id, signal: 'SIGKILL' }));
  const restarts: FaultAction[] = nodes.map((n) => ({ op: 'restart', node: n.id }));
  return {
    target: `region ${region}`,
    regions: [region],
    actions: [...kills, ...disableAll(proxies)],
    reverts: [...enableAll(proxies), ...restarts],
  };
};
