// Added delay on the selected proxies, as Toxiproxy's latency toxic: every chunk waits latency
// ± jitter ms, order kept. Downstream by default, like Toxiproxy.
import { type FaultModule, toxicsOn } from './context.ts';
import { selectNetworkTarget } from './network-target.ts';
import type { FaultOf } from './spec.ts';

export const latency: FaultModule<FaultOf<'latency'>> = (spec, ctx) => {
  const t = selectNetworkTarget(spec, ctx);
  const jitter = spec.jitter ?? 0;
  const toxics = toxicsOn(
    ctx.id,
    t.proxies,
    { type: 'latency', toxicity: spec.toxicity ?? 1, attributes: { latency: spec.latency, jitter } },
    spec.stream ?? 'downstream',
  );
  const label = jitter > 0 ? `+${spec.latency}±${jitter}ms` : `+${spec.latency}ms`;
  return { target: `${t.target}, ${label}`, regions: t.regions, ...toxics };
};
