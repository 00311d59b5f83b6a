// Property tests of issue 12's "Fuzzing" for the surfaces of scenario files, flags and `check`:
// near-valid scenarios and flags with hostile numbers either load within their bounds or fail
// with a ScenarioError whose every line names a field; damaged run folders are judged without a
// crash, and one that is cut or corrupt is never passed. Fixed seeds and budgets, so a failure
// replays; each property runs in a few seconds on two cores.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRunFlags } from '../../harness/cli/flags.ts';
import { readRunRecord } from '../../harness/results/run-record-file.ts';
import { judgeRun } from '../../harness/run/judge.ts';
import { prepareScenario } from '../../harness/scenario/prepare.ts';
import { parseScenario, SCENARIO_LIMITS, ScenarioError } from '../../harness/scenario/scenario.ts';
import { mergeThresholds, validateThresholds } from '../../harness/scenario/thresholds.ts';
import { WORKLOAD_LIMITS } from '../../load/workload.ts';
import { asFile, finishedRecord, passingHistory, writeRunFolder } from '../support/run-folder.ts';

/** `npm run fuzz` multiplies every budget (CHATQUAKE_FUZZ_SCALE); the suite runs them as written. */
const SCALE = Math.max(1, Math.min(1000, Math.floor(Number(process.env.CHATQUAKE_FUZZ_SCALE ?? '1')) || 1));

const root = mkdtempSync(join(tmpdir(), 'chatquake-fuzz-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const hostileNumber = fc.oneof(
  fc.constantFrom(
    0,
    -0,
    -1,
    1e9,
    1e15,
    2 ** 31,
    2 ** 53,
    Number.MAX_VALUE,
    Number.NaN,
    Number.POSITIVE_INFINITY,
  ),
  fc.constantFrom(Number.NEGATIVE_INFINITY, 0.5, 1e-9, 100_001, 86_400_001),
  fc.double({ noNaN: false }),
  fc.integer({ min: -1_000_000, max: 2_000_000 }),
);
const hostileValue = fc.oneof(
  hostileNumber,
  fc.constantFrom('1e9', '', '0s', '25h', '-5s', '10 parsecs', null, true, [], {}),
);

/** Paths of every number (and duration) a scenario file may set, with a valid base around them. */
const PATHS: string[][] = [
  ['duration'],
  ['seed'],
  ['topology', 'nodesPerRegion'],
  ['topology', 'leaseMs'],
  ['workload', 'users'],
  ['workload', 'rate'],
  ['workload', 'bodyBytes'],
  ['workload', 'connectRampMs'],
  ['workload', 'conversations', 'direct'],
  ['workload', 'conversations', 'groups'],
  ['workload', 'conversations', 'groupSize'],
  ['workload', 'regions', 'eu-west'],
  ['convergence', 'deadline'],
  ['chaos', '0', 'at'],
  ['chaos', '0', 'duration'],
  ['chaos', '1', 'latency'],
  ['chaos', '1', 'jitter'],
  ['chaos', '2', 'offsetMs'],
];

function base(): Record<string, unknown> {
  return {
    name: 'fuzz',
    description: 'a near-valid scenario',
    duration: '10s',
    seed: 1,
    topology: { nodesPerRegion: 1, leaseMs: 2000 },
    workload: { users: 30, rate: 20, regions: { 'eu-west': 1, 'us-east': 1 }, conversations: {} },
    convergence: { deadline: '20s' },
    chaos: [
      { fault: 'regionOutage', region: 'eu-west', at: '2s', duration: '3s' },
      { fault: 'latency', region: 'us-east', at: '1s', duration: '2s', latency: 100, jitter: 10 },
      { fault: 'clockSkew', region: 'us-east', at: '1s', duration: '2s', offsetMs: 500 },
    ],
  };
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node: Record<string, unknown> = target;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[path[path.length - 1] as string] = value;
}

describe('near-valid scenarios with hostile numbers', () => {
  it('load within their bounds, or fail with a ScenarioError naming a field on every line', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...PATHS), hostileValue), { minLength: 1, maxLength: 3 }),
        (edits) => {
          const raw = base();
          for (const [path, value] of edits) setPath(raw, path, value);
          try {
            const prepared = prepareScenario(parseScenario(raw), 'fuzz.ts', 1);
            const w = prepared.scenario.workload;
            expect(prepared.scenario.durationMs).toBeGreaterThan(0);
            expect(prepared.scenario.durationMs).toBeLessThanOrEqual(SCENARIO_LIMITS.durationMs);
            expect(w.users).toBeLessThanOrEqual(WORKLOAD_LIMITS.users);
            if (typeof w.rate === 'number') expect(w.rate).toBeLessThanOrEqual(WORKLOAD_LIMITS.ratePerSecond);
          } catch (error) {
            if (!(error instanceof ScenarioError)) throw error;
            for (const line of error.message.split('\n')) {
              if (line === '(after the flags were applied)') continue;
              expect(line).toMatch(/^scenario(\.[\w-]+|\[\d+\]|\["[^"]+"\])*: \S/);
            }
          }
        },
      ),
      { seed: 12, numRuns: 150 * SCALE },
    );
  });
});

describe('numeric flags with hostile text', () => {
  const text = fc.oneof(
    hostileNumber.map(String),
    fc.constantFrom(
      '',
      ' ',
      '-',
      '--',
      '-5',
      '-0.5',
      '1e400',
      '0x10',
      '12abc',
      '+3',
      '.5',
      'NaN',
      'Infinity',
    ),
    fc.string({ maxLength: 8 }),
  );
  it('parse within their bounds or fail naming the flag, a negative number by its range', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('--seed', '--duration', '--rate', '--users', '--nodes'),
        text,
        (flag, value) => {
          try {
            const flags = parseRunFlags(['x', flag, value]);
            if (flags.rate !== undefined)
              expect(flags.rate).toBeLessThanOrEqual(WORKLOAD_LIMITS.ratePerSecond);
            if (flags.users !== undefined) expect(flags.users).toBeLessThanOrEqual(WORKLOAD_LIMITS.users);
            if (flags.durationSeconds !== undefined) expect(flags.durationSeconds).toBeGreaterThan(0);
          } catch (error) {
            expect(error).toBeInstanceOf(ScenarioError);
            const message = (error as Error).message;
            expect(message).toMatch(/^chatquake run: /);
            expect(message).toContain(flag);
            // A value that reads as a negative number is judged by its range; parseArgs' own
            // "ambiguous" stays for a value like "--" or "-x", most likely a missing value.
            if (/^-(\d|\.\d)/.test(value)) expect(message).not.toMatch(/ambiguous/);
          }
        },
      ),
      { seed: 7, numRuns: 300 * SCALE },
    );
  });
});

describe('check over damaged run folders', () => {
  const { events, lines } = passingHistory();
  const record = finishedRecord(events);
  const thresholds = validateThresholds(mergeThresholds({}));
  let n = 0;
  const judge = (text: string, rec: unknown = record) => {
    const dir = writeRunFolder(join(root, `f${n++}`), text, rec);
    return judgeRun({ runDir: dir, record: readRunRecord(join(dir, 'run.json')), thresholds });
  };

  it('never passes a history cut anywhere or with a corrupt line', () => {
    const damage = fc.oneof(
      fc.integer({ min: 0, max: lines.length - 1 }).map((k) => asFile(lines.slice(0, k))),
      fc.integer({ min: 1, max: asFile(lines).length - 2 }).map((c) => asFile(lines).slice(0, c)),
      fc
        .tuple(
          fc.integer({ min: 0, max: lines.length - 1 }),
          fc.constantFrom('{', 'null', '[]', '{"t":1}', '\u0000', 'x'),
        )
        .map(([i, junk]) => asFile(lines.map((l, j) => (j === i ? junk : l)))),
    );
    fc.assert(
      fc.property(damage, (text) => {
        const j = judge(text);
        expect(j.ok).toBe(false);
        expect(j.exitCode).not.toBe(0);
      }),
      { seed: 3, numRuns: 60 * SCALE },
    );
  });

  it('judges shuffled and duplicated lines without a crash, and never passes more sends than run.json counts', () => {
    const damage = fc.oneof(
      fc.shuffledSubarray(lines, { minLength: lines.length, maxLength: lines.length }),
      fc
        .tuple(fc.integer({ min: 0, max: lines.length - 1 }), fc.integer({ min: 1, max: 40 }))
        .map(([at, k]) => [...lines.slice(0, at + k), ...lines.slice(at, at + k), ...lines.slice(at + k)]),
    );
    fc.assert(
      fc.property(damage, (list) => {
        const j = judge(asFile(list));
        expect([0, 96, 99]).toContain(j.exitCode);
        const sends = list.filter((l) => l.includes('"type":"send"')).length;
        if (sends > (record.load?.sent ?? 0)) expect(j.ok).toBe(false);
      }),
      { seed: 5, numRuns: 40 * SCALE },
    );
  });

  it('reads a run.json of a wrong shape as an Error naming the file and a field, never a TypeError', () => {
    const fields = Object.keys(record);
    fc.assert(
      fc.property(fc.constantFrom(...fields), hostileValue, (field, value) => {
        const rec = { ...record, [field]: value };
        const dir = writeRunFolder(join(root, `r${n++}`), asFile(lines), rec);
        try {
          readRunRecord(join(dir, 'run.json'));
        } catch (error) {
          expect(error).not.toBeInstanceOf(TypeError);
          expect((error as Error).message).toMatch(
            /run\.json: (not JSON|not a run\.json of chatquake: \S+: )/,
          );
        }
      }),
      { seed: 9, numRuns: 80 * SCALE },
    );
  });
});
