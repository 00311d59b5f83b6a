// A node's clock moved by offsetMs through the server's admin API; revert sets it back to 0.
import type { FaultAction } from '../actions.ts';
import type { FaultModule } from './context.ts';
import { selectNodeTarget } from './node-target.ts';
import type { FaultOf } from './spec.ts';

export const clockSkew: FaultModule<FaultOf<'clockSkew'>> = (spec, ctx) => {
  const t = selectNodeTarget(spec, ctx);
  const actions: FaultAction[] = t.nodes.map((n) => ({ op: 'clock', node: n.id, offsetMs: spec.offsetMs }));
  const reverts: FaultAction[] = t.nodes.map((n) => ({ op: 'clock', node: n.id, offsetMs: 0 }));
  const sign = spec.offsetMs >= 0 ? '+' : '';
  return { target: `${t.target} clock ${sign}${spec.offsetMs}ms`, regions: t.regions, actions, reverts };
};
