import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The browser scripts are plain JS (inlined as they are); their JSDoc types are checked here
// against uPlot's and ReportData's, so a renamed field breaks a test, not a user's report.
describe('reports/page scripts', () => {
  it('type-check', () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const tsc = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));
    let output = '';
    try {
      execFileSync(process.execPath, [tsc, '-p', 'reports/page/tsconfig.json'], {
        cwd: root,
        encoding: 'utf8',
      });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error);
    }
    expect(output).toBe('');
  }, 60_000);
});
