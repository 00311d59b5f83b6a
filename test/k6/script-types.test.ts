// The generated k6 script is what k6 ≥ 1.6 accepts: it type-checks against k6's own declarations
// (@types/k6) under `strict` checkJs, imports only the stable k6 modules it may use (no
// experimental websockets, no http, no blocking sleep), embeds its plan between the markers and
// declares one per-vu-iterations scenario with the mapped thresholds. A deliberately broken
// script fails the same check, so the check can fail. And the script's client behaves as the SDK
// does, step by step, in a fake k6 made here (a vm context with scripted WebSockets and a manual
// clock: test code, not k6) so that every frame and every history event can be asserted.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import vm from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { HistoryEvent } from '../../contracts/history.ts';
import { parseRunFlags } from '../../harness/cli/flags.ts';
import { k6Spec } from '../../harness/cli/options.ts';
import { buildK6Plan } from '../../harness/k6/build-plan.ts';
import { type K6Plan, PLAN_BEGIN, PLAN_END, planOfScript } from '../../harness/k6/plan.ts';
import { loadTopology } from '../../harness/k6/topology.ts';
import { prepareRun } from '../../harness/scenario/prepare.ts';
import { referenceK6Script } from '../../harness/targets/reference/k6/index.ts';

const REPO = resolve(import.meta.dirname, '../..');
const topology = loadTopology(resolve(import.meta.dirname, 'fixtures/topology.json'), {});
const dir = mkdtempSync(join(tmpdir(), 'k6-types-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function scriptOf(args: string[]) {
  const prepared = await prepareRun(parseRunFlags(args, 'k6', k6Spec));
  const { plan } = buildK6Plan(prepared, topology);
  return { plan, text: referenceK6Script(plan) };
}

/** tsc over the files with k6's types; its output, and whether it passed. */
function typeCheck(files: string[]): { ok: boolean; output: string } {
  const config = join(dir, `tsconfig-${files.length}-${files[0]}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      compilerOptions: {
        allowJs: true,
        checkJs: true,
        noEmit: true,
        strict: true,
        target: 'es2022',
        module: 'esnext',
        moduleResolution: 'bundler',
        types: ['k6'],
        typeRoots: [join(REPO, 'node_modules/@types')],
      },
      files: files.map((f) => join(dir, f)),
    }),
  );
  try {
    const output = execFileSync(join(REPO, 'node_modules/.bin/tsc'), ['-p', config], { encoding: 'utf8' });
    return { ok: true, output };
  } catch (error) {
    return { ok: false, output: String((error as { stdout?: string }).stdout ?? error) };
  }
}

describe('the generated k6 script', () => {
  it('type-checks against @types/k6 for two scenarios, and a broken one does not', async () => {
    const steady = await scriptOf(['steady-state', '--seed', '2', '-d', '3s', '-u', '20']);
    const outage = await scriptOf(['region-outage', '--seed', '4', '-d', '3s', '-u', '20']);
    writeFileSync(join(dir, 'steady.js'), steady.text);
    writeFileSync(join(dir, 'outage.js'), outage.text);
    const good = typeCheck(['steady.js', 'outage.js']);
    expect(good.output).toBe('');
    expect(good.ok).toBe(true);

    writeFileSync(join(dir, 'broken.js'), `${steady.text}\nnew WebSocket(1);\n`);
    const broken = typeCheck(['broken.js']);
    expect(broken.ok).toBe(false);
    expect(broken.output).toMatch(/broken\.js\(\d+,\d+\): error TS2345/);
  }, 60_000);

  it('imports only the stable k6 modules, never blocks, and carries its plan and options', async () => {
    const { plan, text } = await scriptOf(['steady-state', '--seed', '2', '-d', '3s', '-u', '20']);
    const imports = [...text.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
    expect(imports).toEqual(['k6/websockets', 'k6/timers', 'k6/metrics', 'k6/execution']);
    expect(text).not.toMatch(/k6\/experimental|k6\/http|k6\/crypto|\bsleep\(/);
    const lines = text.split('\n');
    expect(lines).toContain(PLAN_BEGIN);
    expect(lines).toContain(PLAN_END);
    expect(planOfScript(text)).toEqual(plan);
    expect(text).toContain("new Counter('im_history')");
    expect(text).toContain('history.add(1, { e: JSON.stringify(event) })');

    const options = JSON.parse(/export const options = (\{[\s\S]*?\n\});/.exec(text)?.[1] ?? 'null');
    // 2 s ramp + 1 s + 3 s load + 5 s drain + 30 s
    expect(options.scenarios).toEqual({
      im: { executor: 'per-vu-iterations', vus: 20, iterations: 1, maxDuration: '41s' },
    });
    expect(options.thresholds).toEqual({
      im_delivery_ms: ['p(99)<1000'],
      im_ack_ms: ['p(99)<1000'],
      im_send_errors: ['rate<0.001'],
    });
    expect(text).toMatch(/^\/\/ {3}acked_lost, .*: a consistency check/m);
  });
});

// ---- a fake k6 for one VU: a vm context with a manual clock and scripted sockets ----

interface FakeSocket {
  url: string;
  readyState: number;
  sent: string[];
  pings: number;
  onmessage?: (event: { data: string }) => void;
  onclose?: () => void;
  onerror?: (event: { error: string }) => void;
  onopen?: () => void;
}

function createFakeK6(startTime: number) {
  let now = startTime;
  let nextId = 1;
  const timers = new Map<number, { at: number; fn: () => void; every?: number }>();
  const sockets: FakeSocket[] = [];
  const samples: { metric: string; value: number | boolean; tags: Record<string, string> }[] = [];
  const later = (fn: () => void, ms = 0, every?: number): number => {
    const id = nextId++;
    timers.set(id, { at: now + Math.max(0, ms), fn, ...(every === undefined ? {} : { every }) });
    return id;
  };
  class WebSocket implements FakeSocket {
    static CONNECTING = 0;
    static OPEN = 1;
    static CLOSING = 2;
    static CLOSED = 3;
    readyState = 0;
    sent: string[] = [];
    pings = 0;
    onmessage?: (event: { data: string }) => void;
    onclose?: () => void;
    onpong?: () => void;
    constructor(public url: string) {
      sockets.push(this);
    }
    send(text: string) {
      this.sent.push(text);
    }
    /** A live node answers pings. */
    ping() {
      this.pings++;
      if (this.readyState === 1) later(() => this.onpong?.(), 5);
    }
    close() {
      if (this.readyState === 3) return;
      this.readyState = 3;
      later(() => this.onclose?.());
    }
  }
  const metric = (name: string) => ({
    add: (value: number | boolean, tags: Record<string, string> = {}) =>
      samples.push({ metric: name, value, tags }),
  });
  const metricClass = function (this: { add: unknown }, name: string) {
    Object.assign(this, metric(name));
  };
  const k6 = {
    WebSocket,
    setTimeout: (fn: () => void, ms: number) => later(fn, ms),
    setInterval: (fn: () => void, ms: number) => later(fn, ms, ms),
    clearTimeout: (id: number) => timers.delete(id),
    clearInterval: (id: number) => timers.delete(id),
    Counter: metricClass,
    Trend: metricClass,
    Rate: metricClass,
    exec: { vu: { idInTest: 1, idInInstance: 1 }, scenario: { startTime } },
    Date: { now: () => now },
  };
  return {
    k6,
    sockets,
    samples,
    /** Runs every timer due within ms, in time order. */
    advance(ms: number) {
      const end = now + ms;
      for (;;) {
        let first: [number, { at: number; fn: () => void; every?: number }] | undefined;
        for (const entry of timers)
          if (entry[1].at <= end && (first === undefined || entry[1].at < first[1].at)) first = entry;
        if (first === undefined) break;
        const [id, timer] = first;
        now = timer.at;
        if (timer.every !== undefined) timer.at += timer.every;
        else timers.delete(id);
        timer.fn();
      }
      now = end;
    },
    pending: () => timers.size,
    /** The history events so far. */
    events: () =>
      samples
        .filter((s) => s.metric === 'im_history')
        .map((s) => JSON.parse(s.tags.e as string) as Record<string, unknown>),
  };
}

function runVu(text: string, fake: ReturnType<typeof createFakeK6>): void {
  const body = text
    .replace(/^import .*$/gm, '')
    .replace('export const options =', 'const options =')
    .replace('export default function', 'k6.main = function');
  const context = vm.createContext({ ...fake.k6, k6: fake.k6, encodeURIComponent });
  vm.runInContext(body, context);
  (fake.k6 as unknown as { main: () => void }).main();
}

describe("the script's client, in a fake k6", () => {
  const START = 1_800_000_000_000;
  const plan: K6Plan = {
    version: 1,
    runId: 'r-fake',
    scenario: 'fake',
    seed: 1,
    target: 'reference',
    regions: ['eu-west', 'us-east'],
    ackLevel: 'replicated',
    durationMs: 20_000,
    connectRampMs: 0,
    drainMs: 5000,
    bodyBytes: 48,
    users: [
      { id: 'u0', region: 'eu-west', convs: ['c1'], endpoints: ['ws://eu/ws', 'ws://us/ws'], token: 'T0' },
      { id: 'u1', region: 'us-east', convs: ['c1'], endpoints: ['ws://us/ws', 'ws://eu/ws'], token: 'T1' },
    ],
    conversations: [{ id: 'c1', members: ['u0', 'u1'] }],
    sends: {
      u0: [
        [100, 'c1', 'u0-0'],
        [200, 'c1', 'u0-1'],
      ],
      u1: [],
    },
    thresholds: {},
  };
  const LOAD_START = START + 1000;

  it('connects, syncs, sends at the intended times, orders deliveries, fails over, resends and settles at the end', () => {
    const fake = createFakeK6(START);
    runVu(referenceK6Script(plan), fake);
    const frames = (ws: FakeSocket | undefined) => (ws?.sent ?? []).map((t) => JSON.parse(t));
    const serve = (ws: FakeSocket | undefined, frame: object) =>
      ws?.onmessage?.({ data: JSON.stringify(frame) });

    const accept = (ws: FakeSocket | undefined) => {
      if (ws !== undefined) ws.readyState = 1;
    };
    const drop = (ws: FakeSocket | undefined) => {
      if (ws === undefined) return;
      ws.readyState = 3;
      ws.onclose?.();
    };

    fake.advance(0);
    const first = fake.sockets[0];
    expect(first?.url).toBe('ws://eu/ws?token=T0');
    accept(first);
    serve(first, { type: 'welcome', region: 'eu-west', node: 'eu-1', serverTime: 0 });
    expect(frames(first)).toEqual([{ type: 'sync', conv: 'c1', afterSeq: 0 }]);
    serve(first, { type: 'synced', conv: 'c1', seq: 0 });

    fake.advance(1100);
    const send = frames(first)[1];
    expect(send).toMatchObject({ type: 'send', conv: 'c1', cmid: 'u0-0' });
    expect(send.body).toHaveLength(48);
    expect(send.body.startsWith(`u0-0 ${LOAD_START + 100} `)).toBe(true);
    serve(first, {
      type: 'ack',
      conv: 'c1',
      cmid: 'u0-0',
      epoch: 1,
      seq: 1,
      level: 'replicated',
      serverTime: 0,
    });
    // Seq 1 is our own (acked, never echoed); 3 arrives before 2; 2 twice.
    const msg = (seq: number) => ({
      type: 'msg',
      conv: 'c1',
      epoch: 1,
      seq,
      from: 'u1',
      cmid: `u1-${seq}`,
      body: `u1-${seq} ${LOAD_START}`,
      serverTime: 0,
    });
    serve(first, msg(3));
    serve(first, msg(2));
    serve(first, msg(2));
    expect(fake.events().filter((e) => e.type === 'deliver')).toEqual([]);
    fake.advance(400);
    expect(
      fake
        .events()
        .filter((e) => e.type === 'deliver')
        .map((e) => [e.seq, e.via, e.session, e.region]),
    ).toEqual([
      [2, 'push', 'u0#1', 'eu-west'],
      [3, 'push', 'u0#1', 'eu-west'],
    ]);

    // u0-1 goes out and is not acked; the node closes; reconnects to it twice, then fails over.
    fake.advance(100);
    expect(frames(first).at(-1)).toMatchObject({ type: 'send', cmid: 'u0-1' });
    const sentFrame = first?.sent.at(-1);
    drop(first);
    fake.advance(600);
    expect(fake.sockets.map((s) => s.url.replace(/\?.*/, ''))).toEqual(['ws://eu/ws', 'ws://eu/ws']);
    for (let i = 1; i <= 2; i++) {
      drop(fake.sockets[i]);
      fake.advance(1000);
    }
    expect(fake.sockets.map((s) => s.url.replace(/\?.*/, ''))).toEqual([
      'ws://eu/ws',
      'ws://eu/ws',
      'ws://eu/ws',
      'ws://us/ws',
    ]);
    const us = fake.sockets[3];
    accept(us);
    serve(us, { type: 'welcome', region: 'us-east', node: 'us-1', serverTime: 0 });
    expect(frames(us)[0]).toEqual({ type: 'sync', conv: 'c1', afterSeq: 3 });
    expect(us?.sent[1]).toBe(sentFrame);

    // After load stop and the drain, the VU closes and u0-1 has no outcome.
    fake.advance(30_000);
    expect(us?.readyState).toBe(3);
    expect(fake.pending()).toBe(0);
    const events = fake.events();
    const types = events.map((e) => e.type);
    expect(types.slice(0, 4)).toEqual(['run_start', 'user', 'user', 'conversation']);
    for (const e of events) expect(HistoryEvent.safeParse(e).success, JSON.stringify(e)).toBe(true);
    const mine = events.filter((e) => e.user === 'u0' && e.type !== 'user');
    expect(mine.map((e) => e.type)).toEqual([
      'conn_up',
      'synced',
      'send',
      'ack',
      'out_of_order',
      'send',
      'deliver',
      'deliver',
      'conn_down',
      'conn_up',
      'failover',
      'send_indeterminate',
      'conn_down',
    ]);
    expect(events.find((e) => e.type === 'out_of_order')).toMatchObject({ seq: 2, afterSeq: 3 });
    expect(us?.pings).toBeGreaterThan(5);
    expect(events.find((e) => e.type === 'send')).toMatchObject({
      intendedAt: LOAD_START + 100,
      region: 'eu-west',
      cmid: 'u0-0',
    });
    expect(events.find((e) => e.type === 'failover')).toMatchObject({
      from: 'eu-west',
      to: 'us-east',
      session: 'u0#1',
    });
    expect(events.find((e) => e.type === 'send_indeterminate')).toMatchObject({
      cmid: 'u0-1',
      reason: 'client closed',
    });
    expect(events.filter((e) => e.type === 'phase').map((e) => [e.name, e.t])).toEqual([
      ['load_start', LOAD_START],
      ['load_stop', LOAD_START + 20_000],
    ]);
    const metric = (name: string) => fake.samples.filter((s) => s.metric === name);
    expect(metric('im_ack_ms').map((s) => s.value)).toEqual([0]);
    expect(metric('im_send_errors').map((s) => s.value)).toEqual([false, true]);
    expect(metric('im_delivery_ms')).toHaveLength(2);
    expect(metric('im_failover_s')).toHaveLength(1);
    expect(metric('im_failover_s')[0]?.tags).toEqual({ region: 'eu-west' });
  });
  it('delivers sync answers as via sync, retries unavailable with the same frame, fails definite errors, follows reset and behind', () => {
    const fake = createFakeK6(START);
    runVu(referenceK6Script(plan), fake);
    const ws = () => fake.sockets[0] as FakeSocket;
    const frames = () => ws().sent.map((t) => JSON.parse(t));
    const serve = (frame: object) => ws().onmessage?.({ data: JSON.stringify(frame) });
    const msg = (seq: number) => ({
      type: 'msg',
      conv: 'c1',
      epoch: 1,
      seq,
      from: 'u1',
      cmid: `u1-${seq}`,
      body: 'x',
      serverTime: 0,
    });

    fake.advance(0);
    ws().readyState = 1;
    serve({ type: 'welcome', region: 'eu-west', node: 'eu-1', serverTime: 0 });
    serve(msg(2));
    serve(msg(1));
    serve({ type: 'synced', conv: 'c1', seq: 2 });
    const delivered = () => fake.events().filter((e) => e.type === 'deliver');
    expect(delivered().map((e) => [e.seq, e.via])).toEqual([
      [1, 'sync'],
      [2, 'sync'],
    ]);
    expect(fake.events().find((e) => e.type === 'synced')).toMatchObject({ afterSeq: 0, seq: 2 });

    fake.advance(1100);
    const sendFrame = ws().sent.at(-1);
    expect(JSON.parse(sendFrame ?? '{}')).toMatchObject({ type: 'send', cmid: 'u0-0' });
    serve({ type: 'error', code: 'unavailable', message: 'home unreachable', conv: 'c1', cmid: 'u0-0' });
    fake.advance(50);
    fake.advance(250);
    expect(ws().sent.filter((t) => t === sendFrame)).toHaveLength(2);
    serve({ type: 'error', code: 'not_found', message: 'no such conversation', conv: 'c1', cmid: 'u0-0' });
    expect(fake.events().find((e) => e.type === 'send_failed')).toMatchObject({
      cmid: 'u0-0',
      reason: 'not_found: no such conversation',
    });

    serve({ type: 'reset', conv: 'c1', seq: 5, reason: 'new epoch' });
    expect(fake.events().find((e) => e.type === 'reset')).toMatchObject({
      conv: 'c1',
      seq: 5,
      session: 'u0#1',
    });
    expect(frames().at(-1)).toEqual({ type: 'sync', conv: 'c1', afterSeq: 5 });
    const syncs = () => frames().filter((f) => f.type === 'sync').length;
    const before = syncs();
    serve({ type: 'behind', conv: 'c1', seq: 4 });
    fake.advance(300);
    expect(syncs()).toBe(before + 1);
    serve(msg(5));
    serve(msg(6));
    expect(delivered().map((e) => e.seq)).toEqual([1, 2, 6]);
    expect(
      frames()
        .filter((f) => f.type === 'send')
        .map((f) => f.cmid),
    ).toEqual(['u0-0', 'u0-0', 'u0-1']);
    serve({ type: 'ack', conv: 'c1', cmid: 'u0-1', epoch: 2, seq: 7, level: 'stored', serverTime: 0 });
    expect(fake.events().find((e) => e.type === 'ack')).toMatchObject({
      cmid: 'u0-1',
      seq: 7,
      epoch: 2,
      level: 'stored',
      region: 'eu-west',
    });

    fake.advance(30_000);
    for (const e of fake.events()) expect(HistoryEvent.safeParse(e).success, JSON.stringify(e)).toBe(true);
    expect(fake.samples.filter((s) => s.metric === 'im_send_errors').map((s) => s.value)).toEqual([
      true,
      false,
    ]);
  });
});
