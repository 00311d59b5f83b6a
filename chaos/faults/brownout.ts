// A region that is up but sick: a share of client connections is slowed, and optionally another
// share reset. Toxiproxy draws toxicity per connection, so `share` is the expected fraction.
import type { FaultAction } from '../actions.ts';
import { edgesOf, type FaultModule, toxicsOn } from './context.ts';
import type { FaultOf } from './spec.ts';

export const brownout: FaultModule<FaultOf<'brownout'>> = (spec, ctx) => {
  const region = ctx.region('region', spec.region);
  const edges = edgesOf(ctx.topology, region);
  if (edges.length === 0) ctx.fail('region', `region ${region} has no client edges in this topology`);
  const latency = spec.latency ?? 1000;
  const resetShare = spec.resetShare ?? 0;
  const slow = toxicsOn(
    ctx.id,
    edges,
    { type: 'latency', toxicity: spec.share, attributes: { latency, jitter: 0 } },
    'downstream',
  );
  const actions: FaultAction[] = [...slow.actions];
  const reverts: FaultAction[] = [...slow.reverts];
  if (resetShare > 0) {
    const reset = toxicsOn(
      ctx.id,
      edges,
      { type: 'reset_peer', toxicity: resetShare, attributes: { timeout: 0 } },
      'downstream',
    );
    actions.push(...reset.actions);
    reverts.push(...reset.reverts);
  }
  const pct = (x: number): string => `${Math.round(x * 1000) / 10}%`;
  const resetText = resetShare > 0 ? `, ${pct(resetShare)} reset` : '';
  return {
    target: `region ${region} browned out: ${pct(spec.share)} of connections +${latency}ms${resetText}`,
    regions: [region],
    actions,
    reverts,
  };
};
