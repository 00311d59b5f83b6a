// The `api` workload against an in-memory target: a share of the sends goes over the target's
// API and is recorded as sends with acks, reads are recorded as short sync sessions (up, delivered
// via sync, synced, down), storms read every member's conversations, a read overtaken by a push
// leaves its `synced` out, and a target without an API or a bad spec is refused naming the field.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventOf, HistoryEvent } from '../../contracts/history.ts';
import type { ApiHistory, MessagingApi, MessagingTarget } from '../../contracts/target.ts';
import { readHistorySync } from '../../load/reader.ts';
import { createRecorder } from '../../load/recorder.ts';
import { runLoad } from '../../load/runner.ts';
import { buildWorkload, parseWorkloadSpec, type WorkloadSpecInput } from '../../load/workload.ts';
import { createFakeTarget, type FakeTarget } from './fake-target.ts';

let dir: string;
const targets: FakeTarget[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'chatquake-api-load-'));
});
afterEach(() => {
  for (const t of targets.splice(0)) t.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const SEED = 9;

/** An API with its own log per conversation; `history` may answer a fixed seq instead. */
function memoryApi(options: { historySeq?: number; failRegion?: string; readDelayMs?: number } = {}) {
  const logs = new Map<string, { seq: number; cmid: string; from: string }[]>();
  const calls = { sends: 0, reads: 0, regions: [] as string[] };
  const api: MessagingApi = {
    async send({ user, region, conv, cmid }) {
      calls.sends++;
      calls.regions.push(region);
      if (region === options.failRegion) throw new Error('connection refused');
      const log = logs.get(conv) ?? [];
      logs.set(conv, log);
      const known = log.find((m) => m.cmid === cmid);
      if (known !== undefined) return { outcome: 'acked', region, seq: known.seq, epoch: 1 };
      log.push({ seq: log.length + 1, cmid, from: user });
      return { outcome: 'acked', region, seq: log.length, epoch: 1, level: 'stored' };
    },
    async history({ region, conv, afterSeq }): Promise<ApiHistory> {
      calls.reads++;
      if (options.readDelayMs !== undefined) await new Promise((r) => setTimeout(r, options.readDelayMs));
      const log = logs.get(conv) ?? [];
      const seq = options.historySeq ?? log.length;
      return { region, status: 'synced', seq, messages: log.filter((m) => m.seq > afterSeq && m.seq <= seq) };
    },
  };
  return { api, calls };
}

async function run(spec: WorkloadSpecInput, wrap: (t: FakeTarget) => MessagingTarget, durationMs = 1200) {
  const target = createFakeTarget();
  targets.push(target);
  const workload = buildWorkload(spec, target.regions(), SEED);
  const recorder = createRecorder(join(dir, 'history.jsonl'));
  const result = await runLoad({
    target: wrap(target),
    spec,
    workload,
    durationMs,
    seed: SEED,
    recorder,
    drainMs: 1000,
  });
  await recorder.close();
  const events = readHistorySync(recorder.path).events;
  const of = <T extends HistoryEvent['type']>(type: T) =>
    events.filter((e): e is EventOf<T> => e.type === type);
  return { result, events, of };
}

const withApi =
  (api: MessagingApi) =>
  (t: FakeTarget): MessagingTarget => ({
    name: t.name,
    regions: () => t.regions(),
    createConversation: (spec) => t.createConversation(spec),
    connect: (o) => t.connect(o),
    digest: (r, c) => t.digest(r, c),
    readLog: (r, c) => t.readLog(r, c),
    api,
  });

const SPEC: WorkloadSpecInput = {
  users: 10,
  rate: 100,
  connectRampMs: 50,
  conversations: { direct: 5, groups: 0 },
};

describe('api workload', () => {
  it('sends a share over the API, recorded as sends and acks like session sends', async () => {
    const { api, calls } = memoryApi();
    const r = await run({ ...SPEC, api: { sendShare: 0.5 } }, withApi(api));
    expect(calls.sends).toBeGreaterThan(20);
    expect(calls.sends).toBeLessThan(r.result.sent - 20);
    const sends = new Set(r.of('send').map((e) => e.cmid));
    const acks = r.of('ack');
    expect(acks.length).toBe(r.result.sent);
    expect(r.result.acked).toBe(r.result.sent);
    for (const a of acks) expect(sends.has(a.cmid)).toBe(true);
    // API acks carry the stored level the memory API answers; session acks do not.
    expect(acks.filter((a) => a.level === 'stored').length).toBe(calls.sends);
  });

  it('goes to the next region when one gives no answer, and still gets an outcome for every send', async () => {
    const { api, calls } = memoryApi({ failRegion: 'eu' });
    const r = await run({ ...SPEC, regions: { eu: 1 }, api: { sendShare: 1 } }, withApi(api));
    expect(r.result.acked).toBe(r.result.sent);
    expect(calls.regions).toContain('eu');
    expect(r.of('ack').every((a) => a.region !== 'eu')).toBe(true);
  });

  it('records each read as a short sync session: up, deliveries via sync, synced, down', async () => {
    const { api } = memoryApi();
    const r = await run(
      { ...SPEC, api: { sendShare: 0.5, fetchRate: 20, storms: [{ at: '600ms', over: '100ms' }] } },
      withApi(api),
    );
    const ups = r.of('conn_up').filter((e) => e.session.startsWith('api:'));
    // The storm alone is every member's every conversation: 10 users × 1 direct each.
    expect(ups.length).toBeGreaterThanOrEqual(10 + 10);
    const downs = r.of('conn_down').filter((e) => e.session.startsWith('api:'));
    expect(new Set(downs.map((e) => e.session))).toEqual(new Set(ups.map((e) => e.session)));
    const synced = r.of('synced').filter((e) => e.session.startsWith('api:'));
    expect(synced.length).toBe(ups.length);
    const delivered = r.of('deliver').filter((e) => e.session.startsWith('api:'));
    expect(delivered.length).toBeGreaterThan(0);
    expect(delivered.every((e) => e.via === 'sync')).toBe(true);
    // A read's events sit between its session's conn_up and conn_down.
    const first = ups[0] as EventOf<'conn_up'>;
    const own = r.events.filter((e) => 'session' in e && e.session === first.session).map((e) => e.type);
    expect(own[0]).toBe('conn_up');
    expect(own.at(-1)).toBe('conn_down');
    expect(own.at(-2)).toBe('synced');
  });

  it('leaves out the synced of a read that a later push overtook while it ran', async () => {
    // Every read takes 300 ms and says the log ends at seq 0, below what pushes show meanwhile.
    const { api } = memoryApi({ historySeq: 0, readDelayMs: 300 });
    const r = await run({ ...SPEC, api: { fetchRate: 30 } }, withApi(api), 1500);
    const ups = r.of('conn_up').filter((e) => e.session.startsWith('api:'));
    expect(ups.length).toBeGreaterThan(20);
    const synced = r.of('synced').filter((e) => e.session.startsWith('api:'));
    // Reads that began before their reader saw any message, and were overtaken, say nothing...
    expect(synced.length).toBeLessThan(ups.length);
    // ...while reads begun after a push keep their synced at 0: the checkers must see that regression.
    const seenAt = new Map<string, number>();
    for (const e of r.of('deliver')) {
      const key = `${e.user}/${e.conv}`;
      if (!e.session.startsWith('api:') && !seenAt.has(key)) seenAt.set(key, e.t);
    }
    const upOf = new Map(ups.map((e) => [e.session, e.t]));
    const late = synced.filter(
      (e) => (upOf.get(e.session) as number) > (seenAt.get(`${e.user}/${e.conv}`) ?? Infinity),
    );
    expect(late.length).toBeGreaterThan(0);
    expect(late.every((e) => e.seq === 0)).toBe(true);
  });

  it('refuses a target without an API, naming workload.api', async () => {
    await expect(run({ ...SPEC, api: { fetchRate: 1 } }, (t) => t)).rejects.toThrow(/^workload\.api: /);
  });

  it('names the bad field of an api spec', () => {
    expect(() => parseWorkloadSpec({ api: { sendShare: 2 } })).toThrow(/workload\.api\.sendShare: /);
    expect(() => parseWorkloadSpec({ api: { storms: [{ over: '1s' }] } })).toThrow(
      /workload\.api\.storms\.0\.at: /,
    );
    expect(() => parseWorkloadSpec({ api: { from: 'middle' } })).toThrow(/workload\.api\.from: /);
    expect(() => parseWorkloadSpec({ api: { fetchRate: 1, extra: 1 } })).toThrow(/workload\.api: /);
    const parsed = parseWorkloadSpec({ api: {} });
    expect(parsed.api).toEqual({ sendShare: 0, fetchRate: 0, from: 'last', storms: [], concurrency: 64 });
  });
});
