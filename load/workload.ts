// The workload model: who the users are and where they live, who talks to whom, and when each
// message is meant to be sent. Arrivals follow an open model (like k6's arrival-rate
// executors): the schedule is fixed by the rate alone, never by how fast the system answers,
// so a stalled system shows up as latency instead of quietly slowing the load down.
import { z } from 'zod';
import { parseDuration } from '../lib/duration.ts';
import { createRandom, type Random } from '../lib/random.ts';

/**
 * The upper bound of every number in a workload, documented in docs/SCENARIOS.md ("Limits"). The
 * flags of `run` and `validate` that set the same numbers use the same bounds. They keep one
 * load generator's work finite: past them a run would hang building its users, spin in its
 * scheduler or exhaust memory long before it measured anything.
 */
export const WORKLOAD_LIMITS = {
  /** Virtual users (one session each). */
  users: 100_000,
  /** Messages per second: a constant rate, a startRate or a stage's target. */
  ratePerSecond: 100_000,
  /** Direct conversations, and groups, each. */
  conversations: 1_000_000,
  /** Members of one group. */
  groupSize: 1_000,
  /** Members of all conversations together, a group counted at its largest size. */
  members: 2_000_000,
  /** Stages of a staged rate. */
  stages: 1_000,
  /** One region weight (weights are relative). */
  weight: 1_000_000,
  bodyBytes: 1_000_000,
  connectRampMs: 600_000,
  /** Any duration: a stage's. */
  durationMs: 86_400_000,
} as const;

const weights = z
  .record(z.string().min(1), z.number().finite().nonnegative().max(WORKLOAD_LIMITS.weight))
  .refine((w) => Object.values(w).some((v) => v > 0), { message: 'at least one weight must be above 0' });

const duration = z.union([z.string(), z.number()]).superRefine((d, ctx) => {
  let ms: number;
  try {
    ms = parseDuration(d);
  } catch {
    ctx.addIssue({
      code: 'custom',
      message: 'not a duration: use a number of ms or a string such as "500ms", "30s" or "1m30s"',
    });
    return;
  }
  if (ms > WORKLOAD_LIMITS.durationMs) ctx.addIssue({ code: 'custom', message: 'must be at most 24h' });
});

const rate = z
  .number()
  .finite()
  .nonnegative()
  .max(WORKLOAD_LIMITS.ratePerSecond, `must be at most ${WORKLOAD_LIMITS.ratePerSecond} messages a second`);

const Stage = z.strictObject({
  duration,
  /** Total messages per second reached at the end of the stage. */
  target: rate,
  /** Weights of the sender's home region during the stage (a surge in one region). */
  regions: weights.optional(),
});

const size = z
  .number()
  .int()
  .min(2)
  .max(WORKLOAD_LIMITS.groupSize, `at most ${WORKLOAD_LIMITS.groupSize} members`);
const GroupSize = z
  .union([size, z.tuple([size, size])])
  .refine((g) => typeof g === 'number' || g[0] <= g[1], { message: 'the minimum is above the maximum' });

const count = (what: string) =>
  z
    .number()
    .int()
    .nonnegative()
    .max(WORKLOAD_LIMITS.conversations, `at most ${WORKLOAD_LIMITS.conversations} ${what}`);

/** One burst of history reads: members fetch every conversation they are in. */
const ApiStorm = z.strictObject({
  /** When the storm starts, from the start of the load (place it after a fault heals). */
  at: duration,
  /** Share of the users that take part (the first of a seeded shuffle); default 1. */
  users: z.number().min(0).max(1).default(1),
  /** The storm's fetches are spread evenly over this long; default "1s". */
  over: duration.default('1s'),
});

/**
 * Traffic over the target's request/response door (`MessagingTarget.api`) next to the sessions:
 * a share of the scheduled sends, steady history reads and storms of them (docs/LOAD.md).
 */
export const ApiWorkload = z.strictObject({
  /** Share of the scheduled sends that go over the API instead of the session; default 0. */
  sendShare: z.number().min(0).max(1).default(0),
  /** Steady history reads per second over the load (a random member, one of its conversations); default 0. */
  fetchRate: z
    .number()
    .finite()
    .nonnegative()
    .max(10_000, 'must be at most 10000 fetches a second')
    .default(0),
  /** Where a read starts: after the last seq this user's API reads saw (`last`) or from the start (`zero`). */
  from: z.enum(['last', 'zero']).default('last'),
  storms: z.array(ApiStorm).max(100).default([]),
  /** API requests in flight at once; more wait their turn. Default 64. */
  concurrency: z.number().int().min(1).max(10_000).default(64),
});
export type ApiWorkload = z.infer<typeof ApiWorkload>;

export const WorkloadSpec = z
  .strictObject({
    users: z
      .number()
      .int()
      .positive()
      .max(WORKLOAD_LIMITS.users, `at most ${WORKLOAD_LIMITS.users} users`)
      .default(100),
    regions: weights.optional(),
    conversations: z
      .strictObject({
        direct: count('direct conversations').optional(),
        groups: count('groups').optional(),
        groupSize: GroupSize.default([3, 8]),
        residency: z
          .strictObject({
            share: z.number().min(0).max(1),
            regions: z.array(z.string().min(1)).min(1).max(64),
          })
          .optional(),
      })
      .prefault({}),
    rate: z
      .union([
        rate,
        z.strictObject({
          /** Rate at the start of the first stage, as k6's startRate. */
          startRate: rate.default(0),
          stages: z.array(Stage).min(1).max(WORKLOAD_LIMITS.stages),
        }),
      ])
      .default(10),
    arrival: z.enum(['poisson', 'constant']).default('poisson'),
    bodyBytes: z.number().int().nonnegative().max(WORKLOAD_LIMITS.bodyBytes).default(64),
    connectRampMs: z.number().finite().nonnegative().max(WORKLOAD_LIMITS.connectRampMs).default(2000),
    /** HTTP-style sends and history reads next to the sessions; absent: none. */
    api: ApiWorkload.optional(),
  })
  .superRefine((spec, ctx) => {
    const members = membersOf(spec);
    if (members > WORKLOAD_LIMITS.members) {
      ctx.addIssue({
        code: 'custom',
        path: ['conversations'],
        message: `the conversations have ${members} members together (a group counted at its largest size), more than ${WORKLOAD_LIMITS.members}`,
      });
    }
  });

/** Members of every conversation, with the defaults counts would get and groups at their largest. */
function membersOf(spec: {
  users: number;
  conversations: { direct?: number; groups?: number; groupSize: number | [number, number] };
}): number {
  const c = spec.conversations;
  const direct = c.direct ?? Math.floor(spec.users / 2);
  const groups = c.groups ?? Math.floor(spec.users / 10);
  const largest = typeof c.groupSize === 'number' ? c.groupSize : c.groupSize[1];
  return 2 * direct + groups * Math.min(largest, spec.users);
}

/** A workload spec after defaults are applied. */
export type WorkloadSpec = z.infer<typeof WorkloadSpec>;
/** A workload spec as written in a scenario file (every field optional). */
export type WorkloadSpecInput = z.input<typeof WorkloadSpec>;

export interface Workload {
  users: { id: string; region: string }[];
  conversations: { id: string; members: string[]; residency?: string[] }[];
}

export interface ScheduledSend {
  /** Intended send time, ms from the start of the load. */
  at: number;
  user: string;
  conv: string;
}

/** Parses a scenario's workload section; throws an Error naming each bad field. */
export function parseWorkloadSpec(raw: unknown, prefix = 'workload'): WorkloadSpec {
  const parsed = WorkloadSpec.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  const text = parsed.error.issues
    .map((issue) => `${[prefix, ...issue.path.map(String)].join('.')}: ${issue.message}`)
    .join('; ');
  throw new Error(text);
}

function normalize(spec: WorkloadSpec | WorkloadSpecInput): WorkloadSpec {
  return parseWorkloadSpec(spec);
}

function checkRegions(field: string, names: Iterable<string>, regions: readonly string[]): void {
  for (const name of names) {
    if (!regions.includes(name)) {
      throw new Error(`${field}: "${name}" is not one of the run's regions (${regions.join(', ')})`);
    }
  }
}

/** Checks a spec against the run's regions; throws an Error naming the field. */
export function checkWorkloadRegions(
  spec: WorkloadSpec | WorkloadSpecInput,
  regions: readonly string[],
): void {
  const s = normalize(spec);
  if (regions.length === 0) throw new Error('workload: the run has no regions');
  if (s.regions) checkRegions('workload.regions', Object.keys(s.regions), regions);
  if (s.conversations.residency)
    checkRegions('workload.conversations.residency.regions', s.conversations.residency.regions, regions);
  if (typeof s.rate === 'object') {
    s.rate.stages.forEach((stage, i) => {
      if (stage.regions)
        checkRegions(`workload.rate.stages.${i}.regions`, Object.keys(stage.regions), regions);
    });
  }
}

/**
 * Splits `total` into whole shares proportional to `w` (largest remainder), so 100 users with
 * weights 0.7/0.3 are exactly 70 and 30 rather than whatever a coin lands on.
 */
function apportion(total: number, w: readonly number[]): number[] {
  const sum = w.reduce((a, b) => a + b, 0);
  const exact = w.map((x) => (x / sum) * total);
  const counts = exact.map(Math.floor);
  let left = total - counts.reduce((a, b) => a + b, 0);
  const order = exact
    .map((x, i) => ({ i, frac: x - Math.floor(x) }))
    .sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    counts[i] = (counts[i] as number) + 1;
    left--;
  }
  return counts;
}

/**
 * k items drawn without replacement: the first k steps of a Fisher-Yates shuffle of `items`.
 * Only the positions a step touched are kept (in `moved`), so a draw costs O(k), not a copy of
 * every item: drawing a group's members from 100 000 users used to copy them all for each
 * group, which made building a large workload quadratic. The draws match the full shuffle's.
 */
function sample<T>(random: Random, items: readonly T[], k: number): T[] {
  const n = Math.min(k, items.length);
  const moved = new Map<number, T>();
  const at = (i: number): T => (moved.has(i) ? (moved.get(i) as T) : (items[i] as T));
  const out: T[] = [];
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random.next() * (items.length - i));
    const picked = at(j);
    moved.set(j, at(i));
    out.push(picked);
  }
  return out;
}

/**
 * Builds users and conversations, deterministically for a seed. Users' home regions follow
 * `spec.regions` exactly (largest remainder); direct conversations pair users off a shuffled
 * list so that, at the default count, every user has someone to talk to; group members are
 * drawn from all users, so both kinds span regions in proportion to where users live.
 */
export function buildWorkload(
  spec: WorkloadSpec | WorkloadSpecInput,
  regions: string[],
  seed: number,
): Workload {
  const s = normalize(spec);
  checkWorkloadRegions(s, regions);
  const random = createRandom(seed).fork('workload');

  const regionWeights = regions.map((r) => (s.regions ? (s.regions[r] ?? 0) : 1));
  const perRegion = apportion(s.users, regionWeights);
  const homes = random.shuffle(regions.flatMap((r, i) => Array<string>(perRegion[i] as number).fill(r)));
  const width = String(s.users - 1).length;
  const users = homes.map((region, i) => ({ id: `u${String(i).padStart(width, '0')}`, region }));
  const ids = users.map((u) => u.id);

  const direct = s.conversations.direct ?? Math.floor(s.users / 2);
  const groups = s.conversations.groups ?? Math.floor(s.users / 10);
  if (direct > 0 && s.users < 2) throw new Error('workload.conversations.direct: needs at least 2 users');
  const [minSize, maxSize] =
    typeof s.conversations.groupSize === 'number'
      ? [s.conversations.groupSize, s.conversations.groupSize]
      : s.conversations.groupSize;
  if (groups > 0 && s.users < 2) throw new Error('workload.conversations.groups: needs at least 2 users');

  const conversations: Workload['conversations'] = [];
  const directRandom = random.fork('direct');
  let deck: string[] = [];
  for (let i = 0; i < direct; i++) {
    if (deck.length < 2) deck = directRandom.shuffle(ids);
    const a = deck.pop() as string;
    const b = deck.pop() as string;
    conversations.push({ id: `dm${i}`, members: [a, b] });
  }
  const groupRandom = random.fork('groups');
  for (let i = 0; i < groups; i++) {
    const size = Math.min(groupRandom.int(minSize, maxSize), ids.length);
    conversations.push({ id: `grp${i}`, members: sample(groupRandom, ids, size) });
  }

  const residency = s.conversations.residency;
  if (residency && residency.share > 0 && conversations.length > 0) {
    const bound = Math.round(residency.share * conversations.length);
    const chosen = sample(random.fork('residency'), conversations, bound);
    for (const c of chosen) c.residency = residency.regions.slice();
  }
  return { users, conversations };
}

/**
 * The same workload with every user and conversation id prefixed: for a system that outlives
 * runs (an attached compose topology), so that a run's conversations start empty and its users
 * have no earlier sessions, as on a fresh topology.
 */
export function withIdPrefix(workload: Workload, prefix: string): Workload {
  return {
    users: workload.users.map((u) => ({ ...u, id: `${prefix}${u.id}` })),
    conversations: workload.conversations.map((c) => ({
      ...c,
      id: `${prefix}${c.id}`,
      members: c.members.map((m) => `${prefix}${m}`),
      ...(c.residency === undefined ? {} : { residency: [...c.residency] }),
    })),
  };
}

interface Segment {
  /** Start and end, ms from load start. */
  t0: number;
  t1: number;
  /** Rates in messages per ms at t0 and t1. */
  r0: number;
  r1: number;
  /** Expected arrivals before t0. */
  before: number;
  /** Expected arrivals within the segment. */
  mass: number;
  /** Sender region weights within the segment; absent means "follow where users live". */
  regions?: Record<string, number>;
}

/** The sum of the stage durations, or undefined for a constant rate. */
export function stagesDurationMs(spec: WorkloadSpec | WorkloadSpecInput): number | undefined {
  const s = normalize(spec);
  if (typeof s.rate === 'number') return undefined;
  return s.rate.stages.reduce((sum, st) => sum + parseDuration(st.duration), 0);
}

/**
 * The rate as piecewise-linear segments covering [0, durationMs]. Stages ramp linearly from
 * the previous target (k6's ramping-arrival-rate); after the last stage the last target holds.
 */
function rateSegments(s: WorkloadSpec, durationMs: number): Segment[] {
  const segments: Segment[] = [];
  let before = 0;
  const push = (t0: number, t1: number, r0s: number, r1s: number, regions?: Record<string, number>): void => {
    const start = Math.min(t0, durationMs);
    const end = Math.min(t1, durationMs);
    if (end <= start) return;
    const r0 = r0s / 1000;
    // Cut ramps at the run's end at the rate reached there.
    const r1 = (r0s + ((r1s - r0s) * (end - t0)) / (t1 - t0)) / 1000;
    const mass = ((r0 + r1) / 2) * (end - start);
    segments.push({ t0: start, t1: end, r0, r1, before, mass, ...(regions ? { regions } : {}) });
    before += mass;
  };
  if (typeof s.rate === 'number') {
    push(0, durationMs, s.rate, s.rate);
    return segments;
  }
  let t = 0;
  let rate = s.rate.startRate;
  let regions: Record<string, number> | undefined;
  for (const stage of s.rate.stages) {
    const d = parseDuration(stage.duration);
    regions = stage.regions;
    if (d > 0) push(t, t + d, rate, stage.target, regions);
    t += d;
    rate = stage.target;
  }
  if (t < durationMs) push(t, durationMs, rate, rate, regions);
  return segments;
}

/** Time within a segment at which `y` expected arrivals have accumulated since its start. */
function invert(seg: Segment, y: number): number {
  const slope = (seg.r1 - seg.r0) / (seg.t1 - seg.t0);
  // Solves r0·x + slope·x²/2 = y in the form that stays exact when slope is 0 or tiny.
  const disc = Math.max(0, seg.r0 * seg.r0 + 2 * slope * y);
  const denom = seg.r0 + Math.sqrt(disc);
  const x = denom > 0 ? (2 * y) / denom : 0;
  return Math.min(seg.t1, seg.t0 + x);
}

interface SenderPool {
  region: string;
  users: string[];
}

/**
 * The intended sends of the whole run, lazily and in time order, deterministic for a seed.
 * Constant arrival puts the n-th send where the integral of the rate reaches n; Poisson
 * arrival uses unit-mean exponential steps of that integral (time rescaling), which is exact
 * for ramps too. A sender is drawn uniformly among users who have a conversation (or first by
 * a stage's region weights), then one of their conversations uniformly.
 */
export function* schedule(
  spec: WorkloadSpec | WorkloadSpecInput,
  workload: Workload,
  durationMs: number,
  seed: number,
): Generator<ScheduledSend, void, undefined> {
  const s = normalize(spec);
  const segments = rateSegments(s, durationMs);
  if (segments.length === 0 || segments.every((g) => g.mass === 0)) return;

  const convsOf = new Map<string, string[]>();
  for (const c of workload.conversations) {
    for (const m of c.members) {
      const list = convsOf.get(m);
      if (list) list.push(c.id);
      else convsOf.set(m, [c.id]);
    }
  }
  const senders = workload.users.filter((u) => convsOf.has(u.id));
  if (senders.length === 0)
    throw new Error('workload: no user belongs to a conversation, so nobody can send');
  const pools = new Map<string, SenderPool>();
  for (const u of senders) {
    const pool = pools.get(u.region);
    if (pool) pool.users.push(u.id);
    else pools.set(u.region, { region: u.region, users: [u.id] });
  }
  const allSenders = senders.map((u) => u.id);

  // Cumulative weights per segment's region mix, computed once per distinct mix.
  const mixes = new Map<Record<string, number>, { pools: SenderPool[]; cumulative: number[] }>();
  const mixOf = (regions: Record<string, number>, at: number) => {
    let mix = mixes.get(regions);
    if (!mix) {
      const chosen: SenderPool[] = [];
      const cumulative: number[] = [];
      let sum = 0;
      for (const [region, w] of Object.entries(regions)) {
        const pool = pools.get(region);
        if (!pool || w <= 0) continue;
        sum += w;
        chosen.push(pool);
        cumulative.push(sum);
      }
      if (chosen.length === 0) {
        throw new Error(
          `workload.rate.stages: at ${Math.round(at)} ms the weighted regions (${Object.keys(regions).join(', ')}) have no users with conversations`,
        );
      }
      mix = { pools: chosen, cumulative: cumulative.map((c) => c / sum) };
      mixes.set(regions, mix);
    }
    return mix;
  };

  const arrivals = createRandom(seed).fork('schedule');
  const picks = createRandom(seed).fork('senders');
  const poisson = s.arrival === 'poisson';
  const total = segments.reduce((sum, g) => sum + g.mass, 0);
  let y = poisson ? arrivals.exponential(1) : 0;
  let i = 0;
  while (y < total) {
    while (i < segments.length - 1 && (segments[i] as Segment).before + (segments[i] as Segment).mass <= y)
      i++;
    const seg = segments[i] as Segment;
    const at = invert(seg, y - seg.before);
    if (at >= durationMs) return;

    let user: string;
    if (seg.regions) {
      const mix = mixOf(seg.regions, at);
      const u = picks.next();
      let k = 0;
      while (k < mix.cumulative.length - 1 && u >= (mix.cumulative[k] as number)) k++;
      user = picks.pick((mix.pools[k] as SenderPool).users);
    } else {
      user = picks.pick(allSenders);
    }
    const conv = picks.pick(convsOf.get(user) as string[]);
    yield { at, user, conv };
    y += poisson ? arrivals.exponential(1) : 1;
  }
}
