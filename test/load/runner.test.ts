import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type EventOf, HistoryEvent } from '../../contracts/history.ts';
import type { MessagingTarget } from '../../contracts/target.ts';
import { readHistorySync } from '../../load/reader.ts';
import { createRecorder } from '../../load/recorder.ts';
import { type LiveStats, type LoadOptions, type LoadResult, runLoad } from '../../load/runner.ts';
import { buildWorkload, schedule, type WorkloadSpecInput } from '../../load/workload.ts';
import { createFakeTarget, type FakeTarget, type FakeTargetOptions } from './fake-target.ts';

let dir: string;
const targets: FakeTarget[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'chatquake-runner-'));
});
afterEach(() => {
  for (const t of targets.splice(0)) t.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const SEED = 42;
const BASE_SPEC: WorkloadSpecInput = {
  users: 40,
  rate: 200,
  arrival: 'poisson',
  bodyBytes: 100,
  connectRampMs: 100,
  conversations: { direct: 20, groups: 5, groupSize: [3, 4] },
};

interface Run {
  result: LoadResult;
  events: HistoryEvent[];
  target: FakeTarget;
  ticks: LiveStats[];
  of<T extends HistoryEvent['type']>(type: T): EventOf<T>[];
}

async function run(
  options: {
    fake?: FakeTargetOptions;
    spec?: WorkloadSpecInput;
    durationMs?: number;
    load?: Partial<LoadOptions>;
    wrap?: (t: FakeTarget) => MessagingTarget;
    during?: (target: FakeTarget) => void;
  } = {},
): Promise<Run> {
  const target = createFakeTarget(options.fake);
  targets.push(target);
  const spec = options.spec ?? BASE_SPEC;
  const workload = buildWorkload(spec, target.regions(), SEED);
  const recorder = createRecorder(join(dir, 'history.jsonl'));
  const ticks: LiveStats[] = [];
  options.during?.(target);
  const result = await runLoad({
    target: options.wrap ? options.wrap(target) : target,
    spec,
    workload,
    durationMs: options.durationMs ?? 1500,
    seed: SEED,
    recorder,
    drainMs: 1000,
    onTick: (s) => ticks.push(s),
    ...options.load,
  });
  await recorder.close();
  const read = readHistorySync(recorder.path);
  expect(read.truncated).toBe(false);
  expect(read.invalidLines).toEqual([]);
  const events = read.events;
  return {
    result,
    events,
    target,
    ticks,
    of: <T extends HistoryEvent['type']>(type: T) => events.filter((e): e is EventOf<T> => e.type === type),
  };
}

/** Load start on the history's clock. */
function loadStart(r: Run): number {
  const phase = r.of('phase').find((p) => p.name === 'load_start');
  expect(phase).toBeDefined();
  return phase!.t;
}

describe('runLoad', () => {
  it('records a complete, schema-valid history of a healthy run', async () => {
    const r = await run();
    for (const e of r.events) {
      const parsed = HistoryEvent.safeParse(e);
      if (!parsed.success) throw new Error(`${JSON.stringify(e)}: ${parsed.error.message}`);
    }
    expect(r.of('user')).toHaveLength(40);
    expect(r.of('conversation')).toHaveLength(25);
    expect(r.of('phase').map((p) => p.name)).toEqual(['load_start', 'load_stop']);
    const types = r.events.map((e) => e.type);
    expect(types.lastIndexOf('conversation')).toBeLessThan(types.indexOf('conn_up'));
    expect(types.indexOf('phase')).toBeLessThan(types.indexOf('send'));

    // ~300 sends on the open schedule, each with a unique cmid and exactly one outcome.
    const sends = r.of('send');
    expect(sends.length).toBeGreaterThan(200);
    expect(new Set(sends.map((s) => s.cmid)).size).toBe(sends.length);
    const acks = r.of('ack');
    expect(acks.map((a) => a.cmid).sort()).toEqual(sends.map((s) => s.cmid).sort());
    expect(r.result).toMatchObject({
      sent: sends.length,
      acked: sends.length,
      failed: 0,
      indeterminate: 0,
      delivered: r.of('deliver').length,
      valid: true,
      invalidReasons: [],
      aborted: false,
      unsent: 0,
    });
    expect(r.result.delivered).toBeGreaterThan(sends.length * 0.9);

    // Bodies are padded to bodyBytes and start with the cmid.
    for (const s of r.target.sends) {
      expect(s.body).toHaveLength(100);
      expect(s.body.startsWith(`${s.cmid} `)).toBe(true);
    }

    // Every user connected once; deliveries name the receiving session.
    const ups = r.of('conn_up');
    expect(new Set(ups.map((u) => u.user)).size).toBe(40);
    const sessions = new Set(ups.map((u) => u.session));
    for (const d of r.of('deliver')) expect(sessions.has(d.session)).toBe(true);

    // Health was watched during the load and summed up at the end.
    const health = r.of('health');
    expect(health.length).toBeGreaterThanOrEqual(2);
    expect(health.every((h) => h.ok)).toBe(true);
    expect(r.ticks.length).toBeGreaterThanOrEqual(1);
    expect(r.ticks[0]!.sent).toBeGreaterThan(0);
    expect(r.ticks[0]!.connected).toBe(40);
    expect(r.ticks[0]!.healthy).toBe(true);
  });

  it('stamps every send with its intended time from the schedule', async () => {
    const r = await run();
    const start = loadStart(r);
    const workload = buildWorkload(BASE_SPEC, r.target.regions(), SEED);
    const planned = [...schedule(BASE_SPEC, workload, 1500, SEED)];
    const sends = r.of('send');
    expect(sends.map((s) => [s.user, s.conv])).toEqual(planned.map((p) => [p.user, p.conv]));
    sends.forEach((s, i) => {
      expect(s.intendedAt - start).toBeCloseTo(planned[i]!.at, 3);
      expect(s.t).toBeGreaterThanOrEqual(s.intendedAt);
    });
    // cmids count each user's sends.
    const perUser = new Map<string, number>();
    for (const s of sends) {
      const n = perUser.get(s.user) ?? 0;
      expect(s.cmid).toBe(`${s.user}-${n}`);
      perUser.set(s.user, n + 1);
    }
  });

  it('keeps sending on schedule while the system stalls, so the stall shows as latency', async () => {
    const r = await run({
      durationMs: 2000,
      // The whole system stops answering for the first 1.2 s of the load.
      during: (target) => target.stallUntil(performance.timeOrigin + performance.now() + 1300),
    });
    const start = loadStart(r);
    const sends = r.of('send');
    const duringStall = sends.filter((s) => s.intendedAt - start < 1000);
    // An open model keeps sending: a closed loop would have sent nothing without acks.
    expect(duringStall.length).toBeGreaterThan(120);
    const sentAt = new Map(sends.map((s) => [s.cmid, s]));
    const firstAcks = r.of('ack').filter((a) => sentAt.get(a.cmid)!.intendedAt - start < 200);
    expect(firstAcks.length).toBeGreaterThan(10);
    for (const a of firstAcks) expect(a.t - sentAt.get(a.cmid)!.intendedAt).toBeGreaterThan(900);
    // The generator itself kept up, so the run is valid: the stall is the system's.
    expect(r.result.valid).toBe(true);
    expect(r.result.sendLagP99Ms).toBeLessThan(300);
    expect(r.result.acked).toBe(r.result.sent);
  });

  it('keeps intended times when the client blocks the generator, counts the lag and marks the run invalid', async () => {
    const r = await run({
      durationMs: 2500,
      fake: { sendStallMs: (n) => (n === 40 ? 1600 : 0) },
    });
    const start = loadStart(r);
    const workload = buildWorkload(BASE_SPEC, r.target.regions(), SEED);
    const planned = [...schedule(BASE_SPEC, workload, 2500, SEED)];
    const sends = r.of('send');
    expect(sends).toHaveLength(planned.length);
    sends.forEach((s, i) => {
      expect(s.intendedAt - start).toBeCloseTo(planned[i]!.at, 3);
    });
    // Sends due during the stall went out late, at once, with their original stamps.
    const lags = sends.map((s) => s.t - s.intendedAt);
    expect(Math.max(...lags)).toBeGreaterThan(1400);
    expect(lags.filter((l) => l > 500).length).toBeGreaterThan(100);
    expect(r.result.lateSends).toBeGreaterThan(100);
    expect(r.result.sendLagMaxMs).toBeGreaterThan(1400);
    expect(r.result.valid).toBe(false);
    expect(r.result.invalidReasons.join('\n')).toMatch(/send lag p99 \d+ ms > 1000 ms for \d+ s/);
    expect(r.of('health').some((h) => !h.ok && /send lag/.test(h.reason ?? ''))).toBe(true);
    expect(r.of('health').at(-1)!.ok).toBe(false);
    expect(r.ticks.some((t) => !t.healthy)).toBe(true);
  });

  it('gives up on sends still due long after the end, counts them and marks the run invalid', async () => {
    const r = await run({ durationMs: 1000, fake: { sendStallMs: (n) => (n === 60 ? 2500 : 0) } });
    const workload = buildWorkload(BASE_SPEC, r.target.regions(), SEED);
    const planned = [...schedule(BASE_SPEC, workload, 1000, SEED)];
    expect(r.result.unsent).toBeGreaterThan(0);
    expect(r.result.sent + r.result.unsent).toBe(planned.length);
    expect(r.result.valid).toBe(false);
    expect(r.result.invalidReasons.join('\n')).toMatch(
      new RegExp(`${r.result.unsent} scheduled sends never left`),
    );
  });

  it('marks the run invalid when its event loop is blocked, even if lag is tolerated', async () => {
    let blocker: ReturnType<typeof setTimeout> | undefined;
    const r = await run({
      durationMs: 2500,
      load: { maxLagMs: 60_000 },
      during: () => {
        // Starts inside the load (after setup and a 100 ms ramp) and blocks the process.
        blocker = setTimeout(() => {
          const until = performance.now() + 1500;
          while (performance.now() < until) {
            // the generator's own process is stuck
          }
        }, 700);
      },
    });
    clearTimeout(blocker);
    expect(r.result.valid).toBe(false);
    expect(r.result.invalidReasons.join('\n')).toMatch(/event-loop delay p99 \d+ ms > 500 ms for \d+ s/);
    expect(r.result.invalidReasons.join('\n')).not.toMatch(/send lag/);
  });

  it('records failovers when a region goes down, and every send still gets an outcome', async () => {
    const timers: ReturnType<typeof setTimeout>[] = [];
    const r = await run({
      durationMs: 2000,
      during: (target) => {
        timers.push(setTimeout(() => target.setRegionDown('eu', true), 700));
        timers.push(setTimeout(() => target.setRegionDown('eu', false), 1500));
      },
    });
    for (const t of timers) clearTimeout(t);
    const euUsers = new Set(
      r
        .of('user')
        .filter((u) => u.region === 'eu')
        .map((u) => u.user),
    );
    expect(euUsers.size).toBeGreaterThan(5);
    const downs = r.of('conn_down').filter((d) => d.reason === 'region down');
    expect(new Set(downs.map((d) => d.user))).toEqual(euUsers);
    const failovers = r.of('failover');
    expect(new Set(failovers.map((f) => f.user))).toEqual(euUsers);
    for (const f of failovers) {
      expect(f.from).toBe('eu');
      expect(f.to).not.toBe('eu');
    }
    // After failing over, sends name the region the session is on now.
    const after = failovers.reduce((max, f) => Math.max(max, f.t), 0);
    const euSendsAfter = r.of('send').filter((s) => euUsers.has(s.user) && s.t > after + 20);
    expect(euSendsAfter.length).toBeGreaterThan(0);
    for (const s of euSendsAfter) {
      expect(s.region).toBeDefined();
      expect(s.region).not.toBe('eu');
    }
    expect(r.ticks.some((t) => t.reconnects >= euUsers.size)).toBe(true);
    expect(r.result.acked + r.result.failed + r.result.indeterminate).toBe(r.result.sent);
    expect(r.result.valid).toBe(true);
  });

  it('reports sends never answered as indeterminate when the sessions close', async () => {
    const r = await run({ fake: { neverAck: (cmid) => cmid.endsWith('-2') }, load: { drainMs: 300 } });
    const unanswered = r.of('send').filter((s) => s.cmid.endsWith('-2'));
    expect(unanswered.length).toBeGreaterThan(5);
    const indeterminate = r.of('send_indeterminate');
    expect(indeterminate.map((e) => e.cmid).sort()).toEqual(unanswered.map((s) => s.cmid).sort());
    expect(r.result.indeterminate).toBe(unanswered.length);
    expect(r.result.acked + r.result.indeterminate).toBe(r.result.sent);
    expect(r.target.openSessions()).toBe(0);
  });

  it('stops at once when aborted and still closes every session', async () => {
    const controller = new AbortController();
    const started = performance.now();
    const r = await run({
      durationMs: 30_000,
      load: { signal: controller.signal, drainMs: 30_000 },
      during: () => setTimeout(() => controller.abort(), 600),
    });
    expect(performance.now() - started).toBeLessThan(5000);
    expect(r.result.aborted).toBe(true);
    expect(r.result.sent).toBeGreaterThan(0);
    expect(r.result.sent).toBeLessThan(400);
    expect(r.of('phase').map((p) => p.name)).toEqual(['load_start', 'load_stop']);
    expect(r.target.openSessions()).toBe(0);
    expect(r.result.acked + r.result.failed + r.result.indeterminate).toBe(r.result.sent);
  });

  it('ends early but whole on stop (chatquake up): load_stop, drained acks, nothing unsent, a valid run', async () => {
    const stop = new AbortController();
    const started = performance.now();
    const r = await run({
      durationMs: 60_000,
      load: { stop: stop.signal },
      during: () => setTimeout(() => stop.abort(), 700),
    });
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(r.result.aborted).toBe(false);
    expect(r.result.unsent).toBe(0);
    expect(r.result.valid, r.result.invalidReasons.join('; ')).toBe(true);
    expect(r.result.sent).toBeGreaterThan(0);
    // Stopped, not aborted: the outstanding sends were drained and acked, not given up on.
    expect(r.result.acked).toBe(r.result.sent);
    expect(r.result.indeterminate).toBe(0);
    const phases = r.of('phase');
    expect(phases.map((p) => p.name)).toEqual(['load_start', 'load_stop']);
    const [loadStart, loadStop] = phases;
    expect((loadStop?.t ?? 0) - (loadStart?.t ?? 0)).toBeLessThan(3000);
    expect(Math.max(...r.of('send').map((e) => e.t))).toBeLessThanOrEqual(loadStop?.t ?? 0);
    expect(r.target.openSessions()).toBe(0);
  });

  it('records events a target reports before connect() returns', async () => {
    const r = await run({
      durationMs: 300,
      wrap: (fake) => ({
        ...fake,
        connect(options) {
          options.onEvent({ type: 'connected', t: performance.timeOrigin + performance.now(), region: 'x' });
          return fake.connect(options);
        },
      }),
    });
    const ups = r.of('conn_up').filter((u) => u.region === 'x');
    expect(ups).toHaveLength(40);
    for (const u of ups) expect(u.session).toMatch(/#\d+$/);
  });

  it('fails with the conversation named when the target cannot create it', async () => {
    const target = createFakeTarget({ failCreate: ['grp1'] });
    targets.push(target);
    const workload = buildWorkload(BASE_SPEC, target.regions(), SEED);
    const recorder = createRecorder(join(dir, 'h.jsonl'));
    await expect(
      runLoad({ target, spec: BASE_SPEC, workload, durationMs: 500, seed: SEED, recorder }),
    ).rejects.toThrow(/grp1/);
    await recorder.close();
    expect(target.openSessions()).toBe(0);
  });
});
