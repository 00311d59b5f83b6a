// A region stays up and clients still reach it, but it can talk to neither its peers nor the
// directory: the split-brain case that leases and fencing exist for.
import { directoryOf, disableAll, enableAll, type FaultModule, linksTouching } from './context.ts';
import type { FaultOf } from './spec.ts';

export const regionIsolation: FaultModule<FaultOf<'regionIsolation'>> = (spec, ctx) => {
  const region = ctx.region('region', spec.region);
  const proxies = [...linksTouching(ctx.topology, region), ...directoryOf(ctx.topology, region)];
  if (proxies.length === 0)
    ctx.fail('region', `region ${region} has no link or directory proxies in this topology`);
  return {
    target: `region ${region} cut off from peers and directory`,
    regions: [region],
    actions: disableAll(proxies),
    reverts: enableAll(proxies),
  };
};
