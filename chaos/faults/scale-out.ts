// New nodes join a region mid-run (the elasticity claim). They stay: there is nothing to revert.
import type { FaultAction } from '../actions.ts';
import type { FaultModule } from './context.ts';
import type { FaultOf } from './spec.ts';

export const scaleOut: FaultModule<FaultOf<'scaleOut'>> = (spec, ctx) => {
  const region = ctx.region('region', spec.region);
  const count = spec.count ?? 1;
  const actions: FaultAction[] = Array.from({ length: count }, () => ({ op: 'addNode', region }));
  return {
    target: `region ${region} +${count} node${count === 1 ? '' : 's'}`,
    regions: [region],
    actions,
    reverts: [],
    instant: true,
  };
};
