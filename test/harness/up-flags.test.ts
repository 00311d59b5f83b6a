// Pins `chatquake up`'s flags (harness/commands/up.ts parseUpFlags): its defaults, steady-state
// when no scenario is named, the session bound (sessionOf: no planned fault, the scenario's own
// faults as presets at their own times), and the rules that
// keep a control plane private: a non-loopback --host needs a token of at least 16 characters,
// from --token or $CHATQUAKE_CONSOLE_TOKEN. Every refusal must name the flag at fault, since it
// is all the user sees before the session starts.
import { describe, expect, it } from 'vitest';
import { parseUpFlags, sessionOf } from '../../harness/commands/up.ts';
import { prepareRun } from '../../harness/scenario/prepare.ts';
import { ScenarioError } from '../../harness/scenario/scenario.ts';

const TOKEN = 'sixteen-chars-ok';

/** The error parseUpFlags throws for argv, as an Error (failing the test when it returns). */
function refusal(argv: string[], env: NodeJS.ProcessEnv = {}): Error {
  try {
    parseUpFlags(argv, env);
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error(`parseUpFlags accepted ${argv.join(' ')}`);
}

describe('parseUpFlags', () => {
  it('defaults to steady-state on 127.0.0.1:8080 for at most an hour, lingering 10 minutes', () => {
    const { run, up } = parseUpFlags([], {});
    expect(up).toEqual({ port: 8080, host: '127.0.0.1', maxDurationMs: 3_600_000, lingerMs: 600_000 });
    expect(up.token).toBeUndefined();
    expect(run.scenario).toBe('steady-state');
    // The bound is the session's, not a --duration: stages are not stretched to it.
    expect(run.durationSeconds).toBeUndefined();
  });

  it('runs the scenario named, before or after the flags', () => {
    expect(parseUpFlags(['region-outage'], {}).run.scenario).toBe('region-outage');
    const after = parseUpFlags(['--port', '9000', 'partition'], {});
    expect(after.run.scenario).toBe('partition');
    expect(after.up.port).toBe(9000);
  });

  it('refuses two scenarios', () => {
    expect(refusal(['partition', 'brownout'])).toBeInstanceOf(ScenarioError);
  });

  it('takes --port (or -p), 0 for a free one', () => {
    expect(parseUpFlags(['-p', '9100'], {}).up.port).toBe(9100);
    expect(parseUpFlags(['--port', '0'], {}).up.port).toBe(0);
  });

  it.each([['abc'], ['70000'], ['80.5']])('refuses --port %s naming --port', (port) => {
    const error = refusal(['--port', port]);
    expect(error).toBeInstanceOf(ScenarioError);
    expect(error.message).toMatch(/--port/);
  });

  it('refuses a negative --port with a ScenarioError naming --port, as run does for its numbers', () => {
    const error = refusal(['--port', '-1']);
    expect(error).toBeInstanceOf(ScenarioError);
    expect(error.message).toMatch(/--port/);
  });

  it('refuses a non-loopback --host without a token, naming --token', () => {
    const error = refusal(['--host', '0.0.0.0']);
    expect(error).toBeInstanceOf(ScenarioError);
    expect(error.message).toMatch(/--token/);
    expect(error.message).toMatch(/0\.0\.0\.0/);
    expect(refusal(['--host', '192.168.1.10'])).toBeInstanceOf(ScenarioError);
  });

  it('serves loopback hosts without a token', () => {
    expect(parseUpFlags(['--host', 'localhost'], {}).up.host).toBe('localhost');
    expect(parseUpFlags(['--host', '::1'], {}).up.host).toBe('::1');
  });

  it('accepts a non-loopback --host with a token of 16 characters or more', () => {
    const { up } = parseUpFlags(['--host', '0.0.0.0', '--token', TOKEN], {});
    expect(up).toMatchObject({ host: '0.0.0.0', token: TOKEN });
  });

  it('refuses a token under 16 characters, naming --token', () => {
    const error = refusal(['--host', '0.0.0.0', '--token', TOKEN.slice(1)]);
    expect(error).toBeInstanceOf(ScenarioError);
    expect(error.message).toMatch(/--token: at least 16/);
    // On loopback too: a short token guards nothing anywhere.
    expect(refusal(['--token', 'short'])).toBeInstanceOf(ScenarioError);
  });

  it('takes the token from $CHATQUAKE_CONSOLE_TOKEN, --token winning over it', () => {
    const env = { CHATQUAKE_CONSOLE_TOKEN: TOKEN };
    expect(parseUpFlags(['--host', '0.0.0.0'], env).up.token).toBe(TOKEN);
    expect(parseUpFlags([], env).up.token).toBe(TOKEN);
    const given = `${TOKEN}-from-the-flag`;
    expect(parseUpFlags(['--token', given], env).up.token).toBe(given);
    // An empty variable is no token.
    expect(parseUpFlags([], { CHATQUAKE_CONSOLE_TOKEN: '' }).up.token).toBeUndefined();
    expect(refusal(['--host', '0.0.0.0'], { CHATQUAKE_CONSOLE_TOKEN: '' })).toBeInstanceOf(ScenarioError);
    expect(refusal([], { CHATQUAKE_CONSOLE_TOKEN: 'short' }).message).toMatch(/--token/);
  });

  it('bounds the session with --max-duration', () => {
    const { run, up } = parseUpFlags(['--max-duration', '90s'], {});
    expect(up.maxDurationMs).toBe(90_000);
    expect(run.durationSeconds).toBeUndefined();
    // A bare number is seconds.
    expect(parseUpFlags(['--max-duration', '120'], {}).up.maxDurationMs).toBe(120_000);
    expect(parseUpFlags(['--max-duration', '2h'], {}).up.maxDurationMs).toBe(7_200_000);
  });

  it.each([['0s'], ['500ms'], ['25h'], ['soon']])('refuses --max-duration %s naming it', (value) => {
    const error = refusal(['--max-duration', value]);
    expect(error).toBeInstanceOf(ScenarioError);
    expect(error.message).toMatch(/--max-duration/);
  });

  it('takes --linger 0 (exit at once) and other durations', () => {
    expect(parseUpFlags(['--linger', '0'], {}).up.lingerMs).toBe(0);
    expect(parseUpFlags(['--linger', '30s'], {}).up.lingerMs).toBe(30_000);
    expect(refusal(['--linger', 'forever']).message).toMatch(/--linger/);
  });

  it('refuses --duration, which is not a flag of up (--max-duration is)', () => {
    expect(refusal(['--duration', '30s']).message).toMatch(/--duration/);
    expect(refusal(['steady-state', '--duration', '30s']).message).toMatch(/--duration/);
  });

  it('refuses an unknown flag with a ScenarioError suggesting the nearest one', () => {
    const error = refusal(['--prot', '9000']);
    expect(error).toBeInstanceOf(ScenarioError);
    expect(error.message).toMatch(/did you mean --port/);
  });

  it('passes the run’s own flags through', () => {
    const { run } = parseUpFlags(['partition', '--seed', '42', '--out', 'runs/day1', '--tag', 'team=im'], {});
    expect(run).toMatchObject({ scenario: 'partition', seed: 42, out: 'runs/day1', tags: { team: 'im' } });
  });

  it('makes a session of a scenario: no planned fault, its faults as presets at their own times, load until the bound', async () => {
    const { run } = parseUpFlags(['region-outage', '--seed', '1', '--max-duration', '10m'], {});
    const prepared = await prepareRun(run);
    expect(prepared.faults.length).toBeGreaterThan(0);
    const { prepared: session, presets } = sessionOf(prepared, 600_000);
    expect(session.faults).toEqual([]);
    expect(session.scenario.durationMs).toBe(600_000);
    expect(session.seed).toBe(1);
    expect(presets).toEqual([
      { fault: 'regionIsolation', name: 'cut-off', region: '@busiest', at: '8s', duration: '2s' },
      { fault: 'regionOutage', name: 'outage', region: '@busiest', at: '10s', duration: '10s' },
    ]);
  });
});
