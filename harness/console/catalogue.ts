// The fault catalogue as the console's controls need it: every kind the scenarios' `chaos:`
// accepts, with its fields read from its zod schema (so a new fault kind gets a form with no
// change here), how the page should draw each field, one line of help per field and one
// sentence per kind. The topology's regions and nodes fill the selects; the scenario's own
// planned faults become one-click presets.

import type { ChaosTopology } from '../../chaos/index.ts';
import { FaultSpec } from '../../chaos/index.ts';
import type {
  ConsoleCatalogue,
  FaultField,
  FaultFieldType,
  FaultKindEntry,
} from '../../contracts/console.ts';

/** What each kind does, in a sentence (docs/FAULTS.md has the details). */
export const KIND_DESCRIPTIONS: Record<string, string> = {
  regionOutage: 'Kills every node of the region and cuts every path into and out of it; heal restarts them.',
  regionIsolation:
    'Cuts the region off from the other regions and the directory; its clients still reach it.',
  partition: 'Cuts the links between groups of regions (one way with oneWay); each group keeps its own.',
  latency: 'Adds latency (and jitter) to the chosen proxies.',
  bandwidth: 'Limits the chosen proxies to a rate in KB/s.',
  blackhole: 'Lets connections open but drops every byte on the chosen proxies.',
  resetPeer: 'Resets connections on the chosen proxies (after a timeout, or on the first data).',
  brownout: "Slows a share of the region's client connections and resets another share.",
  flap: 'Takes a link or a region down and up again, every period, until healed.',
  nodeCrash: 'Kills nodes (SIGKILL); they restart after restartAfter or when healed.',
  nodePause: 'Freezes nodes (SIGSTOP): sockets stay open, nothing answers; heal sends SIGCONT.',
  clockSkew: "Moves nodes' wall clocks by offsetMs; heal sets them back.",
  scaleOut: 'Adds nodes to a region; they stay for the rest of the session.',
};

/** One line per field name, shared by every kind that has it. */
const FIELD_HELP: Record<string, string> = {
  duration: 'how long until it heals by itself, e.g. 30s; blank: until you heal it',
  name: 'its id in the log, history and report; blank: m<n>-<kind>',
  region: 'a region, or an @alias',
  edges: "a region's client edges only",
  directory: "a region's paths to the directory (the lease service)",
  link: 'traffic from one region to another (one direction)',
  node: 'one node by id',
  pick: 'which of the selected nodes or proxies (default: all for network, one for nodes)',
  toxicity: 'share of connections affected, 0..1 (default 1)',
  stream: 'upstream (towards the server), downstream or both (default downstream)',
  latency: 'added latency in ms',
  jitter: 'random ± jitter in ms (default 0)',
  rate: 'KB/s (1 KB = 1000 bytes)',
  timeout: 'ms before the reset; 0 resets on the first data',
  share: 'share of client connections slowed, 0..1',
  resetShare: 'share of client connections reset, 0..1 (default 0)',
  groups: 'regions in groups: eu-west,us-east | ap-south',
  oneWay: 'drop only traffic from the first group to the others',
  period: 'one down-then-up cycle, e.g. 4s',
  restartAfter: 'restart this long after the crash; blank: when healed',
  offsetMs: 'ms added to the wall clock (negative: behind)',
  count: 'nodes to add (default 1)',
};

const BY_NAME: Record<string, FaultFieldType> = {
  region: 'region',
  edges: 'region',
  directory: 'region',
  node: 'node',
  link: 'link',
  groups: 'groups',
  pick: 'pick',
  duration: 'duration',
  period: 'duration',
  restartAfter: 'duration',
  name: 'text',
};

interface SchemaLike {
  def: { type: string; innerType?: SchemaLike };
  options?: unknown;
  minValue?: number | null;
  maxValue?: number | null;
  safeParse(value: unknown): { success: boolean };
}

/** One field of a kind's form, read from its zod schema. */
function fieldOf(name: string, schema: SchemaLike): FaultField {
  const inner = schema.def.type === 'optional' && schema.def.innerType ? schema.def.innerType : schema;
  const type: FaultFieldType =
    BY_NAME[name] ??
    (inner.def.type === 'number'
      ? 'number'
      : inner.def.type === 'boolean'
        ? 'boolean'
        : inner.def.type === 'enum'
          ? 'enum'
          : 'text');
  const field: FaultField = {
    name,
    type,
    required: !schema.safeParse(undefined).success,
    help: FIELD_HELP[name] ?? '',
  };
  if (type === 'enum' && Array.isArray(inner.options)) field.choices = inner.options.map(String);
  if (type === 'number') {
    if (typeof inner.minValue === 'number' && Number.isFinite(inner.minValue)) field.min = inner.minValue;
    if (typeof inner.maxValue === 'number' && Number.isFinite(inner.maxValue)) field.max = inner.maxValue;
  }
  return field;
}

/** Every fault kind with its fields, in the catalogue's order; `at` is now, always. */
export function faultKinds(): FaultKindEntry[] {
  return FaultSpec.options.map((option) => {
    const kind = option.shape.fault.value;
    const fields = Object.entries(option.shape as Record<string, unknown>)
      .filter(([name]) => name !== 'fault' && name !== 'at')
      .map(([name, schema]) => fieldOf(name, schema as SchemaLike));
    // Required fields first, then the rest in the schema's order.
    fields.sort((a, b) => Number(b.required) - Number(a.required));
    return { kind, description: KIND_DESCRIPTIONS[kind] ?? kind, fields };
  });
}

/** The whole catalogue for one session. */
export function consoleCatalogue(
  topology: ChaosTopology,
  aliases: Record<string, string>,
  planned: readonly Record<string, unknown>[],
): ConsoleCatalogue {
  return {
    kinds: faultKinds(),
    regions: [...topology.regions],
    nodes: topology.nodes.map((n) => n.id),
    aliases: { ...aliases },
    presets: planned.map((spec, index) => {
      const { at: _at, ...rest } = spec;
      return {
        name: typeof spec.name === 'string' ? spec.name : `f${index + 1}-${String(spec.fault)}`,
        spec: rest,
      };
    }),
  };
}
