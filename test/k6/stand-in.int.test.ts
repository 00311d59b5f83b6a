// The k6 stand-in (test/support/k6/) is what the suite runs generated k6 scripts under, so it
// must behave as k6 does where those scripts rely on it: one module graph per VU, k6's
// execution context, iterations that last as long as their sockets and timers, cuts at
// maxDuration + gracefulStop, exceptions that fail one VU and not the run, k6's JSON output,
// and nothing left open. Hand-written scripts in fixtures/stand-in/ run against a ws echo server.
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { runK6 } from '../support/k6/index.ts';
import { durationMs, planOfOptions, segmentRange } from '../support/k6/options.ts';
import { rfc3339 } from '../support/k6/output.ts';

const FIXTURES = fileURLToPath(new URL('./fixtures/stand-in/', import.meta.url));
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/;

interface Connection {
  messages: string[];
  closed: boolean;
  closeCode: number | undefined;
}

interface Line {
  type: 'Metric' | 'Point';
  metric: string;
  data: Record<string, unknown> & { tags?: Record<string, string>; value?: number; time?: string };
}

let server: WebSocketServer;
let url: string;
let connections: Connection[] = [];
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'k6-stand-in-'));
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((ok) => server.once('listening', () => ok()));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  url = `ws://127.0.0.1:${address.port}`;
  server.on('connection', (socket) => {
    const connection: Connection = { messages: [], closed: false, closeCode: undefined };
    connections.push(connection);
    socket.on('message', (data) => {
      connection.messages.push(data.toString());
      socket.send(data.toString());
    });
    socket.on('close', (code) => {
      connection.closed = true;
      connection.closeCode = code;
    });
  });
});

afterAll(async () => {
  await new Promise<void>((ok) => server.close(() => ok()));
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  connections = [];
});

async function run(
  script: string,
  env: Record<string, string> = {},
  { from = FIXTURES, segment }: { from?: string; segment?: string } = {},
) {
  const out = join(dir, `${script}${segment === undefined ? '' : `-${segment.replace(/\W/g, '_')}`}.json`);
  const started = Date.now();
  const result = await runK6(join(from, script), {
    out,
    env: { URL: url, ...env },
    timeoutMs: 20_000,
    ...(segment === undefined ? {} : { executionSegment: segment }),
  });
  const lines = readFileSync(out, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Line);
  return { result, lines, elapsed: Date.now() - started };
}

const points = (lines: Line[], metric: string) =>
  lines.filter((l) => l.type === 'Point' && l.metric === metric).map((l) => l.data);

/** The server sees a client's close a moment after the client does. */
async function allClosed(): Promise<boolean> {
  for (let i = 0; i < 50 && connections.some((c) => !c.closed); i++)
    await new Promise((ok) => setTimeout(ok, 20));
  return connections.every((c) => c.closed);
}

describe('the k6 stand-in', () => {
  it('runs every VU concurrently in its own module graph and writes k6 JSON output', async () => {
    const before = Date.now();
    const { result, lines } = await run('chat.js', { MESSAGES: '3' });
    expect(result).toMatchObject({ exitCode: 0, vus: 3, iterations: 3, interrupted: 0, errors: [] });

    // A Metric line precedes each metric's first Point; every Point has a valid, recent time.
    const declared = new Set<string>();
    for (const line of lines) {
      if (line.type === 'Metric') {
        expect(declared.has(line.metric)).toBe(false);
        declared.add(line.metric);
        expect(line.data.name).toBe(line.metric);
        continue;
      }
      expect(declared.has(line.metric)).toBe(true);
      expect(line.data.time).toMatch(TIME);
      const t = Date.parse(line.data.time ?? '');
      expect(t).toBeGreaterThanOrEqual(before - 1);
      expect(t).toBeLessThanOrEqual(Date.now());
      expect(line.data.tags?.scenario).toBe('chat');
    }
    const echoMs = lines.find((l) => l.type === 'Metric' && l.metric === 'echo_ms');
    expect(echoMs?.data).toEqual({
      name: 'echo_ms',
      type: 'trend',
      contains: 'time',
      thresholds: ['p(95)<5000'],
      submetrics: null,
    });
    expect(lines.find((l) => l.metric === 'echoes' && l.type === 'Metric')?.data).toMatchObject({
      type: 'counter',
      contains: 'default',
    });

    // Every VU got its 3 echoes, numbered by its own module-level counter (1..3, not 1..9).
    const echoes = points(lines, 'echo_ms');
    expect(echoes).toHaveLength(9);
    for (const vu of ['1', '2', '3']) {
      const mine = echoes.filter((p) => p.tags?.vu === vu);
      expect(mine.map((p) => p.tags?.n).sort()).toEqual(['1', '2', '3']);
      expect(mine.every((p) => p.tags?.suite === 'stand-in' && (p.value ?? -1) >= 0)).toBe(true);
    }
    expect(points(lines, 'echoes').reduce((sum, p) => sum + (p.value ?? 0), 0)).toBe(9);

    // Each VU's module was loaded as that VU; the scenario started once for all.
    const hellos = connections.map((c) => JSON.parse(c.messages[0] ?? '{}'));
    expect(hellos.map((h) => h.hello).sort()).toEqual([1, 2, 3]);
    expect(hellos.every((h) => h.loadedBy === h.hello && h.local === h.hello && h.scenario === 'chat')).toBe(
      true,
    );
    expect(new Set(hellos.map((h) => h.startTime)).size).toBe(1);
    expect(hellos[0].startTime).toBeGreaterThanOrEqual(before);
    expect(points(lines, 'iterations')).toHaveLength(3);
    expect(await allClosed()).toBe(true);
  });

  it('reads a script outside any ES-module package as an ES module, as k6 does', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'k6-script-'));
    try {
      copyFileSync(join(FIXTURES, 'chat.js'), join(elsewhere, 'chat.js'));
      const { result, lines } = await run('chat.js', { MESSAGES: '1' }, { from: elsewhere });
      expect(result).toMatchObject({ exitCode: 0, vus: 3, iterations: 3, errors: [] });
      expect(points(lines, 'echoes')).toHaveLength(3);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('runs one execution segment per instance: every VU of the test in exactly one', async () => {
    const [first, rest, bad] = await Promise.all([
      run('chat.js', { MESSAGES: '1' }, { segment: '0:1/3' }),
      run('chat.js', { MESSAGES: '1' }, { segment: '1/3:1' }),
      run('chat.js', {}, { segment: '2/3:1/3' }),
    ]);
    expect(first.result).toMatchObject({ exitCode: 0, vus: 1, iterations: 1 });
    expect(rest.result).toMatchObject({ exitCode: 0, vus: 2, iterations: 2 });
    const hellos = connections.map((c) => JSON.parse(c.messages[0] ?? '{}'));
    expect(hellos.map((h) => [h.hello, h.local, h.iteration]).sort()).toEqual([
      [1, 1, 0],
      [2, 1, 1],
      [3, 2, 2],
    ]);
    expect(points(first.lines, 'echoes').map((p) => p.tags?.vu)).toEqual(['1']);
    expect(
      points(rest.lines, 'echoes')
        .map((p) => p.tags?.vu)
        .sort(),
    ).toEqual(['2', '3']);
    expect(bad.result.exitCode).toBe(1);
    expect(bad.result.errors.join('\n')).toContain('its start must be before its end');
  });

  it('ends an iteration only when its socket has closed, not when its function returns', async () => {
    const { result, lines } = await run('late-close.js', { HOLD_MS: '400' });
    expect(result).toMatchObject({ exitCode: 0, vus: 2, iterations: 2, interrupted: 0 });
    const closedAfter = points(lines, 'closed_after_ms');
    expect(closedAfter).toHaveLength(2);
    expect(closedAfter.every((p) => (p.value ?? 0) >= 400 && p.tags?.scenario === 'default')).toBe(true);
    const durations = points(lines, 'iteration_duration');
    expect(durations).toHaveLength(2);
    expect(durations.every((p) => (p.value ?? 0) >= 400)).toBe(true);
    expect(await allClosed()).toBe(true);
  });

  it('cuts a VU whose socket never closes at maxDuration + gracefulStop', async () => {
    const { result, lines, elapsed } = await run('hang.js');
    expect(result).toMatchObject({ exitCode: 0, vus: 2, iterations: 1, interrupted: 1, errors: [] });
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(elapsed).toBeLessThan(10_000);
    // The cut VU's handlers no longer run: only VU 1 recorded its close.
    expect(points(lines, 'closed').map((p) => p.tags?.vu)).toEqual(['1']);
    expect(await allClosed()).toBe(true);
    expect(connections.map((c) => c.closeCode).sort()).toEqual([1000, 1001]);
  });

  it('binds the timer globals to k6/timers: they keep the iteration open, and are cut with it', async () => {
    const { result, lines } = await run('global-timers.js');
    expect(result).toMatchObject({ exitCode: 0, vus: 2, iterations: 1, interrupted: 1, errors: [] });
    expect(
      points(lines, 'ticks')
        .map((p) => p.tags?.vu)
        .sort(),
    ).toEqual(['1', '1', '1', '2', '2', '2']);
    expect(
      points(lines, 'fired')
        .map((p) => p.tags?.vu)
        .sort(),
    ).toEqual(['1', '2']);
    const durations = points(lines, 'iteration_duration');
    expect(durations).toHaveLength(1);
    expect(durations[0]?.value).toBeGreaterThanOrEqual(300);
    expect(durations[0]?.value).toBeLessThan(1500);
  });

  it('runs setup() once, hands each VU and teardown() its own copy of the data, and bounds setup', async () => {
    const { result, lines } = await run('lifecycle.js');
    expect(result).toMatchObject({ exitCode: 0, vus: 2, iterations: 2, errors: [] });
    const seen = points(lines, 'seen').map((p) => [p.tags?.phase, p.tags?.echoed, p.tags?.setupVu]);
    expect(seen).toEqual([
      ['default', 'from setup (changed by a VU)', '0'],
      ['default', 'from setup (changed by a VU)', '0'],
      ['teardown', 'from setup', undefined],
    ]);
    expect(await allClosed()).toBe(true);

    const hung = await run('lifecycle.js', { SETUP_HANGS: '1' });
    expect(hung.result).toMatchObject({ exitCode: 100, iterations: 0 });
    expect(hung.result.errors.join('\n')).toContain('setup() did not finish within 500 ms');
    expect(points(hung.lines, 'seen')).toEqual([]);
    expect(await allClosed()).toBe(true);
  });

  it('fails the run, not the runner, when VUs throw, and the other VUs finish', async () => {
    const { result, lines } = await run('throws.js');
    expect(result.exitCode).toBe(1);
    expect(result.vus).toBe(4);
    expect(result.errors).toHaveLength(3);
    expect(result.errors.find((e) => e.startsWith('VU 2:'))).toContain('boom in handler');
    expect(result.errors.find((e) => e.startsWith('VU 3:'))).toContain('boom in default');
    expect(result.errors.find((e) => e.startsWith('VU 4:'))).toContain('boom in timer');
    expect(result.log).toContain('boom in handler');
    expect(points(lines, 'done').map((p) => p.tags?.vu)).toEqual(['1']);
    expect(connections).toHaveLength(3);
    expect(await allClosed()).toBe(true);
  });

  it('stops the whole test on exec.test.abort() (exit 108) and marks it on exec.test.fail() (exit 110)', async () => {
    const aborted = await run('abort.js', { MODE: 'abort' });
    expect(aborted.result).toMatchObject({
      exitCode: 108,
      vus: 2,
      iterations: 0,
      interrupted: 2,
      errors: [],
    });
    expect(aborted.elapsed).toBeLessThan(15_000);
    expect(points(aborted.lines, 'after')).toEqual([]);
    expect(await allClosed()).toBe(true);

    const failed = await run('abort.js', { MODE: 'fail' });
    expect(failed.result).toMatchObject({ exitCode: 110, vus: 2, iterations: 2, interrupted: 0, errors: [] });
    expect(points(failed.lines, 'after')).toHaveLength(1);
  });

  it('streams many samples with the VU-wide tags and records check() as the checks rate', async () => {
    const { result, lines } = await run('many.js', { SAMPLES: '30000' });
    expect(result).toMatchObject({ exitCode: 0, vus: 1, iterations: 1 });
    const samples = points(lines, 'samples');
    expect(samples).toHaveLength(30_000);
    expect(samples.every((p) => p.tags?.region === 'eu' && p.tags?.scenario === 'default')).toBe(true);
    expect(samples[29_999]?.tags?.i).toBe(String(29_999 % 7));
    const checks = points(lines, 'checks');
    expect(checks.map((p) => [p.tags?.check, p.value])).toEqual([
      ['all added', 1],
      ['none added', 0],
    ]);
  });

  it('refuses what it does not provide, naming it', async () => {
    const [bad, http, late] = await Promise.all([
      run('bad-options.js'),
      run('http.js'),
      run('late-metric.js'),
    ]);
    expect(bad.result.exitCode).toBe(1);
    expect(bad.result.errors.join('\n')).toContain('options.scenarios.steady.executor');
    expect(http.result.exitCode).toBe(1);
    expect(http.result.errors.join('\n')).toContain('k6/http');
    expect(late.result).toMatchObject({ exitCode: 1, iterations: 1 });
    expect(late.result.errors.join('\n')).toContain('must be declared in the init context');
  });
});

describe("the stand-in's reading of k6's formats", () => {
  it('reads k6 durations and writes k6 sample times with nanoseconds', () => {
    expect(durationMs('1m30s')).toBe(90_000);
    expect(durationMs('1h2m3s500ms')).toBe(3_723_500);
    expect(durationMs('0.5s')).toBe(500);
    expect(durationMs(250)).toBe(250);
    expect(() => durationMs('10 parsecs')).toThrow('invalid duration "10 parsecs"');
    expect(rfc3339(1_700_000_000_123_456_789n)).toBe('2023-11-14T22:13:20.123456789Z');
    expect(rfc3339(1_700_000_000_000_000_007n)).toBe('2023-11-14T22:13:20.000000007Z');
  });

  it('splits the VUs of a segment sequence so that each runs in exactly one instance', () => {
    const sequence = ['0', '1/3', '2/3', '1'];
    for (let vus = 1; vus <= 20; vus++) {
      const ids: number[] = [];
      for (let i = 0; i + 1 < sequence.length; i++) {
        const [from, to] = segmentRange(`${sequence[i]}:${sequence[i + 1]}`, vus);
        for (let id = from + 1; id <= to; id++) ids.push(id);
      }
      expect(ids).toEqual(Array.from({ length: vus }, (_, i) => i + 1));
    }
    expect(segmentRange('50%:100%', 4)).toEqual([2, 4]);
    expect(segmentRange('0.25', 4)).toEqual([0, 1]);
    expect(segmentRange(undefined, 4)).toEqual([0, 4]);
    expect(() => segmentRange('1/2:3/2', 4)).toThrow('"3/2" is not a fraction of 1');
  });

  it('takes the one per-vu-iterations scenario with k6 defaults, or the vus shorthand', () => {
    const plan = planOfOptions({ scenarios: { im: { executor: 'per-vu-iterations', vus: 4 } } });
    expect(plan.scenario).toMatchObject({
      name: 'im',
      vus: 4,
      iterations: 1,
      maxDurationMs: 600_000,
      gracefulStopMs: 30_000,
      exec: 'default',
    });
    expect(planOfOptions({ vus: 3 }).scenario).toMatchObject({
      name: 'default',
      executor: 'shared-iterations',
      vus: 3,
      iterations: 3,
    });
    expect(planOfOptions(undefined).scenario.vus).toBe(1);
    expect(() => planOfOptions({ scenarios: { a: { executor: 'per-vu-iterations', vus: 0 } } })).toThrow(
      'options.scenarios.a.vus',
    );
    expect(() =>
      planOfOptions({
        scenarios: { a: { executor: 'per-vu-iterations' }, b: { executor: 'per-vu-iterations' } },
      }),
    ).toThrow('exactly one scenario');
    expect(
      planOfOptions({ thresholds: { im_ack_ms: ['p(99)<1000', { threshold: 'avg<50', abortOnFail: true }] } })
        .thresholds,
    ).toEqual(new Map([['im_ack_ms', ['p(99)<1000', 'avg<50']]]));
  });
});
