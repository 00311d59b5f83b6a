// Regression cases of issue 12 for scenario files and the flags of `run` and `validate`: a number
// past its documented bound, a run that would send nothing and a negative flag are usage errors
// naming the field, and building the users of the largest allowed workload takes linear time.
import { describe, expect, it } from 'vitest';
import { applyFlags, parseRunFlags } from '../../harness/cli/flags.ts';
import { prepareScenario } from '../../harness/scenario/prepare.ts';
import { parseScenario, SCENARIO_LIMITS, ScenarioError } from '../../harness/scenario/scenario.ts';
import { buildWorkload, WORKLOAD_LIMITS } from '../../load/workload.ts';

const base = {
  name: 'limits',
  description: 'a scenario for the bounds of its numbers',
  duration: '10s',
  workload: { users: 20, rate: 10 },
};

/** The ScenarioError message parseScenario throws for `raw`, or '' when it accepts it. */
function problems(raw: unknown): string {
  try {
    parseScenario(raw);
    return '';
  } catch (error) {
    expect(error).toBeInstanceOf(ScenarioError);
    return (error as Error).message;
  }
}

function flagProblem(argv: string[]): string {
  try {
    parseRunFlags(['x', ...argv]);
    return '';
  } catch (error) {
    expect(error).toBeInstanceOf(ScenarioError);
    return (error as Error).message;
  }
}

describe('numbers in a scenario file past their bound (issue 12 item 2)', () => {
  it('rejects rate: 1e9 naming scenario.workload.rate', () => {
    expect(problems({ ...base, workload: { rate: 1e9 } })).toMatch(/^scenario\.workload\.rate: .*100000/m);
  });

  it('rejects users: 1e6 naming scenario.workload.users', () => {
    expect(problems({ ...base, workload: { users: 1e6 } })).toMatch(/^scenario\.workload\.users: .*100000/m);
  });

  it.each([
    ['duration', { ...base, duration: '25h' }, /^scenario\.duration: .*24h/m],
    [
      'a stage target',
      stages({ duration: '1s', target: 1e9 }),
      /^scenario\.workload\.rate\.stages\[0\]\.target:/m,
    ],
    [
      'a stage duration',
      stages({ duration: '25h', target: 5 }),
      /^scenario\.workload\.rate\.stages\[0\]\.duration:/m,
    ],
    [
      'startRate',
      { ...base, workload: { rate: { startRate: 1e9, stages: [{ duration: '1s', target: 1 }] } } },
      /^scenario\.workload\.rate\.startRate:/m,
    ],
    [
      'direct conversations',
      { ...base, workload: { conversations: { direct: 1e9 } } },
      /^scenario\.workload\.conversations\.direct:/m,
    ],
    [
      'groups',
      { ...base, workload: { conversations: { groups: 1e9 } } },
      /^scenario\.workload\.conversations\.groups:/m,
    ],
    [
      'a group size',
      { ...base, workload: { conversations: { groupSize: 1e9 } } },
      /^scenario\.workload\.conversations\.groupSize:/m,
    ],
    [
      'a region weight',
      { ...base, workload: { regions: { 'eu-west': 1e300 } } },
      /^scenario\.workload\.regions\.eu-west:/m,
    ],
    ['connectRampMs', { ...base, workload: { connectRampMs: 1e12 } }, /^scenario\.workload\.connectRampMs:/m],
    [
      'the convergence deadline',
      { ...base, convergence: { deadline: '2h' } },
      /^scenario\.convergence\.deadline:/m,
    ],
    [
      'delayAbortEval',
      { ...base, thresholds: { duplicates: [{ threshold: 'count==0', delayAbortEval: 1e15 }] } },
      /^scenario\.thresholds\.duplicates.*delayAbortEval:/m,
    ],
    [
      'a fault time',
      { ...base, chaos: [{ fault: 'regionOutage', region: 'eu-west', at: '1s', duration: 1e15 }] },
      /^scenario\.chaos\[0\]\.duration:/m,
    ],
    [
      'a fault latency',
      { ...base, chaos: [{ fault: 'latency', region: 'eu-west', at: '1s', latency: 3e9 }] },
      /^scenario\.chaos\[0\]\.latency:/m,
    ],
    [
      'a clock skew',
      { ...base, chaos: [{ fault: 'clockSkew', region: 'eu-west', at: '1s', offsetMs: -1e15 }] },
      /^scenario\.chaos\[0\]\.offsetMs:/m,
    ],
  ])('rejects %s past its bound, naming the field', (_what, raw, pattern) => {
    expect(problems(raw)).toMatch(pattern);
  });

  it('rejects duration: 0s, a run that would send nothing', () => {
    expect(problems({ ...base, duration: '0s' })).toMatch(/^scenario\.duration: .*above 0/m);
  });

  it('rejects rate: 0 in the file, and a staged rate that stays at 0, as a run that would send nothing', () => {
    const zero = parseScenario({ ...base, workload: { rate: 0 } });
    expect(() => prepareScenario(zero, 'limits.ts', 1)).toThrow(/scenario\.workload\.rate: .*send nothing/);
    const flat = parseScenario({ ...base, workload: { rate: { stages: [{ duration: '5s', target: 0 }] } } });
    expect(() => prepareScenario(flat, 'limits.ts', 1)).toThrow(/scenario\.workload\.rate: .*send nothing/);
  });

  it('rejects a workload with no conversation before anything starts', () => {
    const none = parseScenario({ ...base, workload: { conversations: { direct: 0, groups: 0 } } });
    expect(() => prepareScenario(none, 'limits.ts', 1)).toThrow(
      /scenario\.workload(\.conversations)?: .*(nobody can send|no conversation)/,
    );
  });
});

function stages(stage: { duration: string; target: number }) {
  return { ...base, workload: { rate: { stages: [stage] } } };
}

describe('numeric flags (issue 12 items 2 and 6)', () => {
  it('rejects --rate 0 naming the flag', () => {
    expect(flagProblem(['--rate', '0'])).toMatch(/--rate: .*above 0/);
  });

  it.each([
    ['--rate', '-5'],
    ['--users', '-1'],
    ['--seed', '-3'],
    ['--duration', '-10'],
    ['--nodes', '-2'],
  ])('says %s %s is out of range, not "ambiguous"', (flag, value) => {
    const message = flagProblem([flag, value]);
    expect(message).toContain(`${flag}:`);
    expect(message).not.toMatch(/ambiguous/);
  });

  it('rejects an empty number instead of reading it as 0', () => {
    expect(flagProblem(['--seed', ''])).toMatch(/--seed:/);
    expect(flagProblem(['--users', ' '])).toMatch(/--users:/);
  });

  it('rejects a --rate that scales a staged rate past its bound, after the flag is applied', () => {
    const staged = parseScenario({
      ...base,
      workload: {
        rate: {
          stages: [
            { duration: '5s', target: 10 },
            { duration: '5s', target: 1000 },
          ],
        },
      },
    });
    const flagged = applyFlags(staged, parseRunFlags(['x', '--rate', '10000']));
    expect(() => prepareScenario(flagged, 'limits.ts', 1)).toThrow(
      /scenario\.workload\.rate\.stages\[1\]\.target:/,
    );
  });
});

describe('building the users (issue 12 item 2)', () => {
  it('builds 100000 users, the largest allowed workload, in linear time', () => {
    const started = performance.now();
    const w = buildWorkload({ users: 100_000 }, ['eu-west', 'us-east', 'ap-south'], 7);
    const elapsed = performance.now() - started;
    expect(w.users).toHaveLength(100_000);
    expect(w.conversations).toHaveLength(60_000);
    // Quadratic, this took 6.4 s on a quiet machine; linear, about 0.2 s.
    expect(elapsed).toBeLessThan(2500);
  });
});

describe('a flag and the file field it overrides share one bound', () => {
  const file = (workload: object, rest: object = {}) => problems({ ...base, ...rest, workload });
  it.each([
    ['--users', WORKLOAD_LIMITS.users, (n: number) => file({ users: n }), 'users'],
    ['--rate', WORKLOAD_LIMITS.ratePerSecond, (n: number) => file({ rate: n }), 'rate'],
    [
      '--nodes',
      SCENARIO_LIMITS.nodesPerRegion,
      (n: number) => file({}, { topology: { nodesPerRegion: n } }),
      'nodesPerRegion',
    ],
    ['--seed', SCENARIO_LIMITS.seed, (n: number) => file({}, { seed: n }), 'seed'],
    [
      '--duration',
      SCENARIO_LIMITS.durationMs / 1000,
      (n: number) => file({}, { duration: n * 1000 }),
      'duration',
    ],
  ])('%s accepts %d and refuses one more, as the file does', (flag, max, inFile, field) => {
    expect(flagProblem([flag, String(max)])).toBe('');
    expect(inFile(max)).toBe('');
    expect(flagProblem([flag, String(max + 1)])).toMatch(new RegExp(`${flag}: must be at most`));
    expect(inFile(max + 1)).toMatch(new RegExp(`^scenario\\.(\\w+\\.)?${field}: .*(at most|<=)`, 'm'));
  });
});
