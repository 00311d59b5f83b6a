// Nodes frozen with SIGSTOP: sockets stay open, nothing answers (a long GC pause or a stalled
// VM). Revert sends SIGCONT; the node then wakes with stale leases and timers.
import type { FaultAction } from '../actions.ts';
import type { FaultModule } from './context.ts';
import { selectNodeTarget } from './node-target.ts';
import type { FaultOf } from './spec.ts';

export const nodePause: FaultModule<FaultOf<'nodePause'>> = (spec, ctx) => {
  const t = selectNodeTarget(spec, ctx);
  const actions: FaultAction[] = t.nodes.map((n) => ({ op: 'signal', node: n.id, signal: 'SIGSTOP' }));
  const reverts: FaultAction[] = t.nodes.map((n) => ({ op: 'signal', node: n.id, signal: 'SIGCONT' }));
  return { target: `${t.target} paused`, regions: t.regions, actions, reverts };
};
