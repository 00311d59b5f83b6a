// Connections are reset (RST) on their first data, or after `timeout` ms (Toxiproxy's
// reset_peer toxic). Downstream by default, like Toxiproxy.
import { type FaultModule, toxicsOn } from './context.ts';
import { selectNetworkTarget } from './network-target.ts';
import type { FaultOf } from './spec.ts';

export const resetPeer: FaultModule<FaultOf<'resetPeer'>> = (spec, ctx) => {
  const t = selectNetworkTarget(spec, ctx);
  const timeout = spec.timeout ?? 0;
  const toxics = toxicsOn(
    ctx.id,
    t.proxies,
    { type: 'reset_peer', toxicity: spec.toxicity ?? 1, attributes: { timeout } },
    spec.stream ?? 'downstream',
  );
  return { target: `${t.target}, reset after ${timeout}ms`, regions: t.regions, ...toxics };
};
