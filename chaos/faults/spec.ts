// The scenario's `chaos: [...]` entries. The schema checks shape only (fields, ranges, durations);
// names of regions and links are checked against the topology by resolveTimeline, which knows
// them. Durations stay in their k6 form here ("30s", 1500) and are parsed when resolved, so a
// scenario written in TypeScript can use the same literals as a JSON one.
import { z } from 'zod';
import { parseDuration } from '../../lib/duration.ts';

/**
 * The upper bounds of a fault's numbers (docs/SCENARIOS.md, "Limits"): any time or duration
 * 24 h, a latency, jitter or reset timeout 1 h, a clock offset a day either way, a bandwidth
 * 10 GB/s, a pick 1024 nodes or proxies.
 */
export const FAULT_LIMITS = {
  durationMs: 86_400_000,
  delayMs: 3_600_000,
  offsetMs: 86_400_000,
  rateKBps: 10_000_000,
  pick: 1024,
} as const;

/** A k6-style duration ("500ms", "30s", "1m30s") or a number of milliseconds, at most 24 h. */
export const Duration = z.union([z.string(), z.number()]).superRefine((value, ctx) => {
  try {
    if (parseDuration(value) > FAULT_LIMITS.durationMs)
      ctx.addIssue({ code: 'custom', message: 'must be at most 24h' });
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

/** Milliseconds of added delay: a latency, a jitter, a reset's timeout. */
const DelayMs = z.number().min(0).max(FAULT_LIMITS.delayMs, 'must be at most 3600000 ms (1h)');
export type Duration = z.infer<typeof Duration>;

/** A region name, or an alias starting with '@' (e.g. '@busiest') that the harness resolves. */
export const RegionRef = z.string().min(1, 'a region name or @alias');

/** Which of the candidate nodes or proxies a fault takes, chosen with the run's seed. */
export const Pick = z.union([
  z.literal('one'),
  z.literal('all'),
  z.strictObject({ count: z.number().int().min(1).max(FAULT_LIMITS.pick) }),
  z.strictObject({ percent: z.number().gt(0).max(100) }),
]);
export type Pick = z.infer<typeof Pick>;

/** A directed inter-region link: traffic from nodes of `from` to nodes of `to`. */
export const LinkRef = z.strictObject({ from: RegionRef, to: RegionRef });
export type LinkRef = z.infer<typeof LinkRef>;

/** `upstream` is the connecting side → the accepting side; `both` adds one toxic per stream. */
export const Stream = z.enum(['upstream', 'downstream', 'both']);
export type Stream = z.infer<typeof Stream>;

const Toxicity = z.number().min(0).max(1);

const common = {
  /** When the fault starts, from the start of load. */
  at: Duration,
  /** How long it lasts before it is reverted; absent = until the end of load. */
  duration: Duration.optional(),
  /** A label for reports; becomes the fault's id. */
  name: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits and . _ - only')
    .optional(),
};

/** Network targets shared by latency, bandwidth, blackhole and resetPeer; at most one is given. */
const networkTarget = {
  /** Every proxy into or out of the region: its edges, links to and from it, its directory proxies. */
  region: RegionRef.optional(),
  /** Link proxies from one region to another (one direction). */
  link: LinkRef.optional(),
  /** The client edges of a region. */
  edges: RegionRef.optional(),
  /** A region's nodes' paths to the directory (the lease service): a control-plane fault. */
  directory: RegionRef.optional(),
  /** Which of the selected proxies are affected (default 'all'). */
  pick: Pick.optional(),
  /** Toxiproxy's toxicity: the share of connections affected (default 1). */
  toxicity: Toxicity.optional(),
};

/** Node targets shared by nodeCrash, nodePause and clockSkew; at most one of region/node. */
const nodeTarget = {
  /** Candidate nodes: this region's (default: every node). */
  region: RegionRef.optional(),
  /** One node by id ("region/node"). */
  node: z.string().min(1).optional(),
  /** Which of the candidate nodes are affected (default 'one'). */
  pick: Pick.optional(),
};

function atMostOne(fields: readonly string[]) {
  return (value: Record<string, unknown>, ctx: z.RefinementCtx): void => {
    const given = fields.filter((f) => value[f] !== undefined);
    if (given.length > 1) {
      ctx.addIssue({
        code: 'custom',
        path: [given[1] as string],
        message: `give only one of ${fields.join(', ')} (got ${given.join(' and ')})`,
      });
    }
  };
}

function exactlyOne(fields: readonly string[]) {
  return (value: Record<string, unknown>, ctx: z.RefinementCtx): void => {
    const given = fields.filter((f) => value[f] !== undefined);
    if (given.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: [fields[0] as string],
        message: `give one of ${fields.join(', ')}`,
      });
    } else atMostOne(fields)(value, ctx);
  };
}

const NETWORK = ['region', 'link', 'edges', 'directory'] as const;
const NODE = ['region', 'node'] as const;

export const RegionOutage = z.strictObject({
  fault: z.literal('regionOutage'),
  ...common,
  region: RegionRef,
});
export const RegionIsolation = z.strictObject({
  fault: z.literal('regionIsolation'),
  ...common,
  region: RegionRef,
});
export const Partition = z.strictObject({
  fault: z.literal('partition'),
  ...common,
  /** Groups of regions; links between different groups are cut. Unlisted regions keep every link. */
  groups: z.array(z.array(RegionRef).min(1)).min(2),
  /** Only traffic from groups[0] to the other groups is dropped (a blackhole on one stream). */
  oneWay: z.boolean().optional(),
});
export const Latency = z
  .strictObject({
    fault: z.literal('latency'),
    ...common,
    ...networkTarget,
    latency: DelayMs,
    jitter: DelayMs.optional(),
    stream: Stream.optional(),
  })
  .superRefine(atMostOne(NETWORK));
export const Bandwidth = z
  .strictObject({
    fault: z.literal('bandwidth'),
    ...common,
    ...networkTarget,
    /** KB/s, where KB is 1000 bytes (Toxiproxy's unit). */
    rate: z.number().min(0).max(FAULT_LIMITS.rateKBps),
    stream: Stream.optional(),
  })
  .superRefine(atMostOne(NETWORK));
export const Blackhole = z
  .strictObject({ fault: z.literal('blackhole'), ...common, ...networkTarget, stream: Stream.optional() })
  .superRefine(atMostOne(NETWORK));
export const ResetPeer = z
  .strictObject({
    fault: z.literal('resetPeer'),
    ...common,
    ...networkTarget,
    /** ms before the reset; 0 resets on the first data. */
    timeout: DelayMs.optional(),
    stream: Stream.optional(),
  })
  .superRefine(atMostOne(NETWORK));
export const Brownout = z.strictObject({
  fault: z.literal('brownout'),
  ...common,
  region: RegionRef,
  /** Share of client connections slowed, in [0, 1]. */
  share: Toxicity,
  /** Added latency in ms for the slowed share (default 1000). */
  latency: DelayMs.optional(),
  /** Share of client connections reset, in [0, 1] (default 0). */
  resetShare: Toxicity.optional(),
});
export const Flap = z
  .strictObject({
    fault: z.literal('flap'),
    ...common,
    link: LinkRef.optional(),
    region: RegionRef.optional(),
    /** One down-then-up cycle: down for the first half, up for the second. */
    period: Duration,
  })
  .superRefine(exactlyOne(['link', 'region']));
export const NodeCrash = z
  .strictObject({
    fault: z.literal('nodeCrash'),
    ...common,
    ...nodeTarget,
    /** Restart the nodes this long after the crash (default: when the fault is reverted). */
    restartAfter: Duration.optional(),
  })
  .superRefine(atMostOne(NODE))
  .superRefine(atMostOne(['duration', 'restartAfter']));
export const NodePause = z
  .strictObject({ fault: z.literal('nodePause'), ...common, ...nodeTarget })
  .superRefine(atMostOne(NODE));
export const ClockSkew = z
  .strictObject({
    fault: z.literal('clockSkew'),
    ...common,
    ...nodeTarget,
    offsetMs: z.number().int().min(-FAULT_LIMITS.offsetMs).max(FAULT_LIMITS.offsetMs),
  })
  .superRefine(atMostOne(NODE));
export const ScaleOut = z.strictObject({
  fault: z.literal('scaleOut'),
  at: common.at,
  name: common.name,
  region: RegionRef,
  count: z.number().int().min(1).max(16).optional(),
});

export const FaultSpec = z.discriminatedUnion('fault', [
  RegionOutage,
  RegionIsolation,
  Partition,
  Latency,
  Bandwidth,
  Blackhole,
  ResetPeer,
  Brownout,
  Flap,
  NodeCrash,
  NodePause,
  ClockSkew,
  ScaleOut,
]);
export type FaultSpec = z.infer<typeof FaultSpec>;
export type FaultKind = FaultSpec['fault'];
export type FaultOf<K extends FaultKind> = Extract<FaultSpec, { fault: K }>;

export const FaultSpecs = z.array(FaultSpec);

export const FAULT_KINDS: readonly FaultKind[] = FaultSpec.options.map((o) => o.shape.fault.value);
