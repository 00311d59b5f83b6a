// Nodes killed with SIGKILL (no chance to flush or say goodbye) and restarted on revert, or
// after `restartAfter`. A killed node must lose nothing it acknowledged.

import { parseDuration } from '../../lib/duration.ts';
import type { FaultAction } from '../actions.ts';
import type { FaultModule } from './context.ts';
import { selectNodeTarget } from './node-target.ts';
import type { FaultOf } from './spec.ts';

export const nodeCrash: FaultModule<FaultOf<'nodeCrash'>> = (spec, ctx) => {
  const t = selectNodeTarget(spec, ctx);
  const actions: FaultAction[] = t.nodes.map((n) => ({ op: 'signal', node: n.id, signal: 'SIGKILL' }));
  const reverts: FaultAction[] = t.nodes.map((n) => ({ op: 'restart', node: n.id }));
  const plan = { target: `${t.target} crashed`, regions: t.regions, actions, reverts };
  return spec.restartAfter === undefined ? plan : { ...plan, durationMs: parseDuration(spec.restartAfter) };
};
