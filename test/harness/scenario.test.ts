import { describe, expect, it } from 'vitest';
import { applyFlags, parseRunFlags } from '../../harness/cli/flags.ts';
import { regionAliases } from '../../harness/scenario/aliases.ts';
import { prepareScenario } from '../../harness/scenario/prepare.ts';
import { parseScenario, ScenarioError } from '../../harness/scenario/scenario.ts';

const base = {
  name: 'unit',
  description: 'a scenario for unit tests',
  duration: '30s',
  workload: { users: 40, rate: 20 },
  chaos: [
    { fault: 'regionOutage', name: 'outage', region: '@busiest', at: '10s', duration: '10s' },
    { fault: 'flap', name: 'flap', region: '@quietest', period: '2s', at: '4s', duration: '6s' },
  ],
  thresholds: { delivery_latency_ms: ['p(99)<800'] },
};

describe('parseScenario', () => {
  it('applies defaults: three regions, one node each, replicated acks, a 2 s lease', () => {
    const s = parseScenario(base);
    expect(s.topology).toEqual({
      regions: ['eu-west', 'us-east', 'ap-south'],
      nodesPerRegion: 1,
      ack: 'replicated',
      leaseMs: 2000,
      bugs: [],
    });
    expect(s.durationMs).toBe(30_000);
    expect(s.convergenceDeadlineMs).toBe(20_000);
    expect(s.chaos).toHaveLength(2);
  });

  it('names every bad field, the way a user writes it', () => {
    const bad = {
      ...base,
      duration: 'soon',
      topology: { regions: ['EU'] },
      workload: { users: 0 },
      chaos: [
        base.chaos[0],
        { fault: 'regionOutage', at: '1s', region: 'x', duration: '10 parsecs' },
        { fault: 'nope' },
      ],
      extra: true,
    };
    let message = '';
    try {
      parseScenario(bad);
    } catch (error) {
      expect(error).toBeInstanceOf(ScenarioError);
      message = (error as Error).message;
    }
    expect(message).toContain('scenario.duration: invalid duration "soon"');
    expect(message).toContain('scenario.topology.regions[0]:');
    expect(message).toContain('scenario.workload.users:');
    expect(message).toContain('scenario.chaos[1].duration: invalid duration "10 parsecs"');
    expect(message).toContain('scenario.chaos[2].fault:');
    expect(message).toMatch(/scenario: .*extra|scenario\.extra|Unrecognized key.*extra/);
  });
});

describe('flags over a scenario', () => {
  it('parses flags and names the bad one', () => {
    expect(
      parseRunFlags(['x', '--seed', '5', '--bug', 'ack-early', '--bug', 'no-dedup', '--regions', 'a,b']),
    ).toMatchObject({
      scenario: 'x',
      seed: 5,
      bugs: ['ack-early', 'no-dedup'],
      regions: ['a', 'b'],
      quiet: false,
    });
    expect(parseRunFlags(['x', '--duration', '1m']).durationSeconds).toBe(60);
    expect(() => parseRunFlags(['x', '--rate', 'fast'])).toThrow(/--rate/);
    expect(() => parseRunFlags(['x', '--bug', 'typo'])).toThrow(/--bug/);
    expect(() => parseRunFlags(['x', '--nope'])).toThrow(/nope/);
    expect(() => parseRunFlags([])).toThrow(/name a scenario/);
    expect(() => parseRunFlags(['x', '--regions', 'a,a'])).toThrow(/named twice/);
  });

  it('stretches fault times with --duration so a shortened run keeps its shape', () => {
    const s = applyFlags(parseScenario(base), parseRunFlags(['x', '--duration', '15']));
    expect(s.durationMs).toBe(15_000);
    expect(s.chaos[0]).toMatchObject({ at: 5000, duration: 5000 });
    // A flap period never drops below a second.
    expect(s.chaos[1]).toMatchObject({ at: 2000, duration: 3000, period: 1000 });
  });

  it('overrides users, rate (scaling stages), regions and bugs', () => {
    const staged = parseScenario({
      ...base,
      workload: {
        users: 10,
        rate: {
          startRate: 10,
          stages: [
            { duration: '5s', target: 10 },
            { duration: '5s', target: 50 },
          ],
        },
      },
    });
    const s = applyFlags(
      staged,
      parseRunFlags(['x', '--rate', '20', '--users', '99', '--regions', 'a,b', '--bug', 'drop-sync']),
    );
    expect(s.workload.users).toBe(99);
    expect(s.workload.rate).toMatchObject({ startRate: 20, stages: [{ target: 20 }, { target: 100 }] });
    expect(s.topology.regions).toEqual(['a', 'b']);
    expect(s.topology.bugs).toEqual(['drop-sync']);
  });
});

describe('prepareScenario', () => {
  it('resolves aliases, the timeline and the thresholds the same way for the same seed', () => {
    const scenario = parseScenario(base);
    const a = prepareScenario(scenario, 'unit.ts', 42);
    const b = prepareScenario(scenario, 'unit.ts', 42);
    expect(a.seed).toBe(42);
    expect(a.faults).toEqual(b.faults);
    expect(a.faults[0]?.target).toBe(`region ${a.aliases['@busiest']}`);
    expect(a.aliases['@busiest']).not.toBe(a.aliases['@quietest']);
    // The scenario's threshold is merged over the defaults.
    expect(a.thresholds.raw.delivery_latency_ms).toEqual(['p(99)<800']);
    expect(a.thresholds.raw.acked_lost).toEqual(['count==0']);
  });

  it('draws a seed when none is given, and says so', () => {
    const p = prepareScenario(parseScenario(base), 'unit.ts');
    expect(p.seedDrawn).toBe(true);
    expect(Number.isInteger(p.seed)).toBe(true);
  });

  it('turns a fault on an unknown region into a usage error naming the field', () => {
    const s = parseScenario({ ...base, chaos: [{ fault: 'regionOutage', at: '1s', region: 'mars' }] });
    expect(() => prepareScenario(s, 'unit.ts', 1)).toThrow(
      /scenario\.chaos\[0\]\.region: unknown region "mars"/,
    );
    const late = parseScenario({ ...base, chaos: [{ fault: 'regionOutage', at: '40s', region: 'eu-west' }] });
    expect(() => prepareScenario(late, 'unit.ts', 1)).toThrow(/scenario\.chaos\[0\]\.at/);
  });

  it('turns a bad threshold into a usage error naming the key', () => {
    const s = parseScenario({ ...base, thresholds: { delivery_latency_ms: ['p(99)<<800'] } });
    expect(() => prepareScenario(s, 'unit.ts', 1)).toThrow(/scenario\.thresholds\["delivery_latency_ms"\]/);
  });
});

describe('regionAliases', () => {
  it('ranks regions by the conversations they are home to, and keeps residency in mind', () => {
    const conversations = Array.from({ length: 60 }, (_, i) => ({ id: `c${i}` }));
    const aliases = regionAliases(conversations, ['a', 'b', 'c']);
    expect(new Set([aliases['@home1'], aliases['@home2'], aliases['@home3']])).toEqual(
      new Set(['a', 'b', 'c']),
    );
    expect(aliases['@busiest']).toBe(aliases['@home1']);
    expect(aliases['@quietest']).toBe(aliases['@home3']);
    expect(aliases['@first']).toBe('a');
    expect(aliases['@last']).toBe('c');
    const resident = regionAliases(
      conversations.map((c) => ({ ...c, residency: ['c'] })),
      ['a', 'b', 'c'],
    );
    expect(resident['@busiest']).toBe('c');
  });
});
