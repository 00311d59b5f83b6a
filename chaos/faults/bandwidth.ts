// A throughput cap on the selected proxies (Toxiproxy's bandwidth toxic; KB = 1000 bytes).
import { type FaultModule, toxicsOn } from './context.ts';
import { selectNetworkTarget } from './network-target.ts';
import type { FaultOf } from './spec.ts';

export const bandwidth: FaultModule<FaultOf<'bandwidth'>> = (spec, ctx) => {
  const t = selectNetworkTarget(spec, ctx);
  const toxics = toxicsOn(
    ctx.id,
    t.proxies,
    { type: 'bandwidth', toxicity: spec.toxicity ?? 1, attributes: { rate: spec.rate } },
    spec.stream ?? 'downstream',
  );
  return { target: `${t.target}, ${spec.rate} KB/s`, regions: t.regions, ...toxics };
};
