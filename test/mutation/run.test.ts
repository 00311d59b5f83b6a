// The mutation gate's arithmetic: what counts towards a score and what fails the gate.
import { describe, expect, it } from 'vitest';
import { FILE_MIN, gateFailures, type MutationReport, scoreFile, scores } from './run.ts';

const mutant = (status: 'Killed' | 'Survived' | 'NoCoverage' | 'Timeout' | 'Ignored') => ({
  mutatorName: 'ConditionalExpression',
  status,
  location: { start: { line: 1, column: 1 } },
});

describe('mutation scores', () => {
  it('counts timeouts as killed, leaves ignored (equivalent) mutants out, and counts uncovered ones against', () => {
    const f = scoreFile('checks/a.ts', [
      mutant('Killed'),
      mutant('Timeout'),
      mutant('Survived'),
      mutant('NoCoverage'),
      mutant('Ignored'),
    ]);
    expect(f).toEqual({ file: 'checks/a.ts', killed: 2, survived: 1, noCoverage: 1, ignored: 1, score: 50 });
    expect(scoreFile('checks/b.ts', [mutant('Ignored')]).score).toBe(100);
  });

  it('fails a file under the per-file bar, and the whole only on a full run', () => {
    const report: MutationReport = {
      files: {
        'checks/good.ts': { mutants: [...Array(9).fill(mutant('Killed')), mutant('Survived')] },
        'checks/weak.ts': {
          mutants: [...Array(8).fill(mutant('Killed')), ...Array(2).fill(mutant('Survived'))],
        },
      },
    };
    const s = scores(report);
    expect(s.files.map((f) => f.score)).toEqual([90, 80]);
    expect(s.total.score).toBe(85);
    expect(FILE_MIN).toBe(85);
    expect(gateFailures(s, false)).toEqual(['checks/weak.ts: 80.0% < 85%']);
    expect(gateFailures(s, true)).toEqual(['checks/weak.ts: 80.0% < 85%', 'all of checks/: 85.0% < 90%']);
  });
});
