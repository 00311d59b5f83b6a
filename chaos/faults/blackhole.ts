// Data vanishes but connections stay open (a timeout toxic with timeout 0), so peers see no
// error, only silence: the failure that only timeouts and heartbeats detect. Both streams by
// default, since a blackhole one way is what partition's oneWay is for.
import { type FaultModule, toxicsOn } from './context.ts';
import { selectNetworkTarget } from './network-target.ts';
import type { FaultOf } from './spec.ts';

export const blackhole: FaultModule<FaultOf<'blackhole'>> = (spec, ctx) => {
  const t = selectNetworkTarget(spec, ctx);
  const toxics = toxicsOn(
    ctx.id,
    t.proxies,
    { type: 'timeout', toxicity: spec.toxicity ?? 1, attributes: { timeout: 0 } },
    spec.stream ?? 'both',
  );
  return { target: `${t.target}, blackholed`, regions: t.regions, ...toxics };
};
