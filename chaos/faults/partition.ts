// Groups of regions that cannot reach each other. Regions in no group keep all their links, and
// every region keeps the directory, so the directory decides which side keeps a conversation.
// oneWay drops only what groups[0] sends to the others (a timeout toxic with timeout 0 on one
// stream), keeping connections open: the asymmetric case that naive failure detectors miss.
import type { FaultAction } from '../actions.ts';
import { allLinks, type FaultModule, toxicName } from './context.ts';
import type { FaultOf } from './spec.ts';

export const partition: FaultModule<FaultOf<'partition'>> = (spec, ctx) => {
  const groupOf = new Map<string, number>();
  const groups = spec.groups.map((group, g) =>
    group.map((name, i) => {
      const region = ctx.region(`groups.${g}.${i}`, name);
      const seen = groupOf.get(region);
      if (seen !== undefined) ctx.fail(`groups.${g}.${i}`, `region ${region} is already in group ${seen}`);
      groupOf.set(region, g);
      return region;
    }),
  );
  const actions: FaultAction[] = [];
  const reverts: FaultAction[] = [];
  for (const link of allLinks(ctx.topology)) {
    const from = groupOf.get(link.from);
    const to = groupOf.get(link.to);
    if (from === undefined || to === undefined || from === to) continue;
    if (!spec.oneWay) {
      actions.push({ op: 'disable', proxy: link.name });
      reverts.push({ op: 'enable', proxy: link.name });
      continue;
    }
    // A link proxy carries connections opened by `from`'s nodes: upstream is from → to.
    const stream = from === 0 ? 'upstream' : to === 0 ? 'downstream' : undefined;
    if (stream === undefined) continue;
    const name = toxicName(ctx.id, 'timeout', stream);
    actions.push({
      op: 'toxic',
      proxy: link.name,
      toxic: { name, type: 'timeout', stream, toxicity: 1, attributes: { timeout: 0 } },
    });
    reverts.push({ op: 'removeToxic', proxy: link.name, name });
  }
  if (actions.length === 0) ctx.fail('groups', 'no link proxies run between these groups in this topology');
  const text = spec.oneWay
    ? `${(groups[0] as string[]).join(',')} -/-> ${groups
        .slice(1)
        .map((g) => g.join(','))
        .join(' | ')}`
    : groups.map((g) => g.join(',')).join(' | ');
  return {
    target: spec.oneWay ? `one-way partition ${text}` : `partition ${text}`,
    regions: groups.flat(),
    actions,
    reverts,
  };
};
