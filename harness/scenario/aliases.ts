// Region aliases a scenario may use instead of names, so one scenario fits any region list:
// `@busiest` is the home region of the most conversations, `@home2` the second busiest, and so
// on; `@quietest` the least busy; `@first`, `@second`, `@third` and `@last` go by the order of
// the topology's regions. Homes are where the target places conversations (the reference
// server: rendezvous hashing over the regions a conversation may live in), known before
// anything starts, so `validate` prints the same timeline the run will apply.
import { defaultTarget, type TargetDefinition } from '../targets/index.ts';

export interface AliasConversation {
  id: string;
  residency?: string[];
}

/** Regions ranked by how many conversations they are home to, most first; ties by topology order. */
export function rankRegionsByHomes(
  conversations: readonly AliasConversation[],
  regions: readonly string[],
  target: TargetDefinition = defaultTarget,
): { region: string; homes: number }[] {
  const counts = new Map(regions.map((r) => [r, 0]));
  for (const conv of conversations) {
    const home = target.homeRegionOf(conv, regions);
    if (home !== undefined) counts.set(home, (counts.get(home) ?? 0) + 1);
  }
  return regions
    .map((region, index) => ({ region, homes: counts.get(region) ?? 0, index }))
    .sort((a, b) => b.homes - a.homes || a.index - b.index)
    .map(({ region, homes }) => ({ region, homes }));
}

const ORDINALS = ['@first', '@second', '@third', '@fourth', '@fifth'];

export function regionAliases(
  conversations: readonly AliasConversation[],
  regions: readonly string[],
  target: TargetDefinition = defaultTarget,
): Record<string, string> {
  const aliases: Record<string, string> = {};
  const ranked = rankRegionsByHomes(conversations, regions, target);
  ranked.forEach((entry, index) => {
    aliases[`@home${index + 1}`] = entry.region;
  });
  const busiest = ranked[0];
  const quietest = ranked[ranked.length - 1];
  if (busiest !== undefined) aliases['@busiest'] = busiest.region;
  if (quietest !== undefined) aliases['@quietest'] = quietest.region;
  regions.forEach((region, index) => {
    const ordinal = ORDINALS[index];
    if (ordinal !== undefined) aliases[ordinal] = region;
  });
  const last = regions[regions.length - 1];
  if (last !== undefined) aliases['@last'] = last;
  return aliases;
}
