import { describe, expect, it } from 'vitest';
import {
  buildWorkload,
  parseWorkloadSpec,
  type ScheduledSend,
  schedule,
  stagesDurationMs,
  WORKLOAD_LIMITS,
  type WorkloadSpecInput,
} from '../../load/workload.ts';

const REGIONS = ['eu', 'us', 'ap'];

function take<T>(it: Iterable<T>, n: number): T[] {
  const out: T[] = [];
  for (const x of it) {
    if (out.length >= n) break;
    out.push(x);
  }
  return out;
}

function countIn(sends: ScheduledSend[], from: number, to: number): number {
  return sends.filter((s) => s.at >= from && s.at < to).length;
}

describe('parseWorkloadSpec', () => {
  it('fills the documented defaults', () => {
    const spec = parseWorkloadSpec({});
    expect(spec).toMatchObject({
      users: 100,
      conversations: { groupSize: [3, 8] },
      rate: 10,
      arrival: 'poisson',
      bodyBytes: 64,
      connectRampMs: 2000,
    });
    expect(spec.regions).toBeUndefined();
    expect(parseWorkloadSpec(spec)).toEqual(spec);
  });

  it('names the bad field in errors', () => {
    expect(() => parseWorkloadSpec({ users: -3 })).toThrow(/workload\.users/);
    expect(() => parseWorkloadSpec({ rate: { stages: [{ duration: '3 parsecs', target: 5 }] } })).toThrow(
      /workload\.rate.*stages\.0\.duration/,
    );
    expect(() => parseWorkloadSpec({ conversations: { groupSize: [9, 3] } })).toThrow(
      /workload\.conversations\.groupSize/,
    );
    expect(() => parseWorkloadSpec({ arrivals: 'poisson' })).toThrow(/arrivals/);
    expect(() => parseWorkloadSpec({ regions: { eu: 0 } })).toThrow(/workload\.regions/);
  });

  it('rejects regions the run does not have', () => {
    expect(() => buildWorkload({ regions: { mars: 1 } }, REGIONS, 1)).toThrow(/workload\.regions: "mars"/);
    expect(() =>
      buildWorkload({ conversations: { residency: { share: 0.5, regions: ['moon'] } } }, REGIONS, 1),
    ).toThrow(/residency\.regions: "moon"/);
    expect(() =>
      buildWorkload({ rate: { stages: [{ duration: '1s', target: 5, regions: { x: 1 } }] } }, REGIONS, 1),
    ).toThrow(/stages\.0\.regions: "x"/);
  });
});

describe('buildWorkload', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = buildWorkload({ users: 200 }, REGIONS, 7);
    expect(buildWorkload({ users: 200 }, REGIONS, 7)).toEqual(a);
    expect(buildWorkload({ users: 200 }, REGIONS, 8)).not.toEqual(a);
  });

  it('places users in regions exactly by weight', () => {
    const w = buildWorkload({ users: 1000, regions: { eu: 6, us: 3, ap: 1 } }, REGIONS, 3);
    const per = (r: string) => w.users.filter((u) => u.region === r).length;
    expect([per('eu'), per('us'), per('ap')]).toEqual([600, 300, 100]);
    const uniform = buildWorkload({ users: 10 }, REGIONS, 3);
    const counts = REGIONS.map((r) => uniform.users.filter((u) => u.region === r).length).sort();
    expect(counts).toEqual([3, 3, 4]);
    // Homes are shuffled, not blocked by region.
    expect(new Set(w.users.slice(0, 50).map((u) => u.region)).size).toBeGreaterThan(1);
    expect(new Set(w.users.map((u) => u.id)).size).toBe(1000);
  });

  it('gives everyone a direct partner by default and sizes groups within bounds', () => {
    const w = buildWorkload({ users: 100, conversations: { groupSize: [3, 5] } }, REGIONS, 11);
    const direct = w.conversations.filter((c) => c.id.startsWith('dm'));
    const groups = w.conversations.filter((c) => c.id.startsWith('grp'));
    expect(direct).toHaveLength(50);
    expect(groups).toHaveLength(10);
    const inDirect = new Set(direct.flatMap((c) => c.members));
    expect(inDirect.size).toBe(100);
    for (const c of direct) expect(new Set(c.members).size).toBe(2);
    for (const g of groups) {
      expect(g.members.length).toBeGreaterThanOrEqual(3);
      expect(g.members.length).toBeLessThanOrEqual(5);
      expect(new Set(g.members).size).toBe(g.members.length);
    }
    expect(new Set(w.conversations.map((c) => c.id)).size).toBe(60);
  });

  it('spreads conversation members across regions', () => {
    const w = buildWorkload({ users: 300, conversations: { direct: 300, groups: 0 } }, REGIONS, 5);
    const home = new Map(w.users.map((u) => [u.id, u.region]));
    const crossRegion = w.conversations.filter((c) => home.get(c.members[0]!) !== home.get(c.members[1]!));
    // Uniform homes over 3 regions: about 2/3 of pairs span two regions.
    expect(crossRegion.length / w.conversations.length).toBeGreaterThan(0.55);
    expect(crossRegion.length / w.conversations.length).toBeLessThan(0.78);
  });

  it('binds the requested share of conversations to residency regions', () => {
    const w = buildWorkload(
      { users: 100, conversations: { direct: 40, groups: 10, residency: { share: 0.3, regions: ['eu'] } } },
      REGIONS,
      2,
    );
    const bound = w.conversations.filter((c) => c.residency);
    expect(bound).toHaveLength(15);
    for (const c of bound) expect(c.residency).toEqual(['eu']);
  });

  it('caps group size at the number of users and refuses impossible pairs', () => {
    const w = buildWorkload({ users: 3, conversations: { direct: 0, groups: 2, groupSize: 8 } }, REGIONS, 1);
    for (const g of w.conversations) expect(g.members).toHaveLength(3);
    expect(() => buildWorkload({ users: 1, conversations: { direct: 1 } }, REGIONS, 1)).toThrow(/at least 2/);
  });
});

describe('schedule', () => {
  const workload = buildWorkload({ users: 100, regions: { eu: 1, us: 1 } }, ['eu', 'us'], 4);

  it('is deterministic and lazy', () => {
    const spec: WorkloadSpecInput = { rate: WORKLOAD_LIMITS.ratePerSecond };
    const started = performance.now();
    // An hour at the largest rate allowed would never fit in memory; the first few must come at once.
    const first = take(schedule(spec, workload, 3_600_000, 9), 1000);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(take(schedule(spec, workload, 3_600_000, 9), 1000)).toEqual(first);
    expect(take(schedule(spec, workload, 3_600_000, 10), 1000)).not.toEqual(first);
  });

  it('spaces constant arrivals exactly', () => {
    const sends = [...schedule({ rate: 100, arrival: 'constant' }, workload, 10_000, 1)];
    expect(sends).toHaveLength(1000);
    for (let i = 1; i < sends.length; i++) expect(sends[i]!.at - sends[i - 1]!.at).toBeCloseTo(10, 6);
    expect(sends[0]!.at).toBe(0);
  });

  it('draws Poisson arrivals at the rate with exponential gaps', () => {
    const sends = [...schedule({ rate: 200 }, workload, 60_000, 1)];
    // 12000 expected, sd ≈ 110: ±5 sd.
    expect(sends.length).toBeGreaterThan(12_000 - 550);
    expect(sends.length).toBeLessThan(12_000 + 550);
    const gaps = sends.slice(1).map((s, i) => s.at - sends[i]!.at);
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((a, b) => a + (b - mean) ** 2, 0) / gaps.length);
    expect(mean).toBeGreaterThan(4.7);
    expect(mean).toBeLessThan(5.3);
    // Exponential: coefficient of variation 1 (constant spacing would be 0).
    expect(sd / mean).toBeGreaterThan(0.9);
    expect(sd / mean).toBeLessThan(1.1);
    for (let i = 1; i < sends.length; i++) expect(sends[i]!.at).toBeGreaterThanOrEqual(sends[i - 1]!.at);
  });

  it('ramps, holds and surges like k6 ramping-arrival-rate', () => {
    const spec: WorkloadSpecInput = {
      arrival: 'constant',
      rate: {
        stages: [
          { duration: '10s', target: 100 }, // ramp 0 → 100: 500 sends
          { duration: '10s', target: 100 }, // hold: 1000
          { duration: '0s', target: 400 }, // jump
          { duration: '5s', target: 400 }, // surge: 2000
        ],
      },
    };
    expect(stagesDurationMs(spec)).toBe(25_000);
    const sends = [...schedule(spec, workload, 25_000, 1)];
    expect(countIn(sends, 0, 10_000)).toBeGreaterThanOrEqual(499);
    expect(countIn(sends, 0, 10_000)).toBeLessThanOrEqual(501);
    // The ramp is linear: the first half holds a quarter of the ramp's sends.
    expect(countIn(sends, 0, 5_000)).toBeGreaterThanOrEqual(124);
    expect(countIn(sends, 0, 5_000)).toBeLessThanOrEqual(126);
    expect(countIn(sends, 10_000, 20_000)).toBeGreaterThanOrEqual(999);
    expect(countIn(sends, 10_000, 20_000)).toBeLessThanOrEqual(1001);
    expect(countIn(sends, 20_000, 25_000)).toBeGreaterThanOrEqual(1999);
    expect(countIn(sends, 20_000, 25_000)).toBeLessThanOrEqual(2001);
  });

  it('holds the last target past the stages and cuts at the duration', () => {
    const spec: WorkloadSpecInput = {
      arrival: 'constant',
      rate: { startRate: 50, stages: [{ duration: 1000, target: 50 }] },
    };
    expect([...schedule(spec, workload, 3000, 1)]).toHaveLength(150);
    expect([...schedule(spec, workload, 500, 1)]).toHaveLength(25);
    expect([...schedule({ rate: 0 }, workload, 3000, 1)]).toHaveLength(0);
  });

  it('weights senders by home region in a surge stage', () => {
    const home = new Map(workload.users.map((u) => [u.id, u.region]));
    const spec: WorkloadSpecInput = {
      arrival: 'constant',
      rate: {
        startRate: 200,
        stages: [
          { duration: '10s', target: 200 },
          { duration: '10s', target: 200, regions: { eu: 9, us: 1 } },
        ],
      },
    };
    const sends = [...schedule(spec, workload, 20_000, 3)];
    const euShare = (list: ScheduledSend[]) =>
      list.filter((s) => home.get(s.user) === 'eu').length / list.length;
    expect(euShare(sends.filter((s) => s.at < 10_000))).toBeGreaterThan(0.45);
    expect(euShare(sends.filter((s) => s.at < 10_000))).toBeLessThan(0.55);
    expect(euShare(sends.filter((s) => s.at >= 10_000))).toBeGreaterThan(0.87);
    expect(euShare(sends.filter((s) => s.at >= 10_000))).toBeLessThan(0.93);
  });

  it('only sends from members to their own conversations', () => {
    const members = new Map(workload.conversations.map((c) => [c.id, new Set(c.members)]));
    const sends = [...schedule({ rate: 500 }, workload, 5000, 2)];
    for (const s of sends) expect(members.get(s.conv)?.has(s.user)).toBe(true);
    // Senders are spread over many users, not stuck on a few.
    expect(new Set(sends.map((s) => s.user)).size).toBeGreaterThan(90);
  });
});
