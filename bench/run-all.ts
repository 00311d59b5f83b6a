// Runs every benchmark in this folder one after another (never in parallel: each reports ratios
// against a baseline measured in the same run, and two benchmarks sharing 2 cores would skew
// both). Exits non-zero when any benchmark does: when one measured something wrong, or, with
// --strict, missed a goal, so a nightly job can gate on it.
//
//   npm run bench                   # all, full size (about 15 minutes on 2 cores)
//   npm run bench -- proxy          # only those whose file name contains "proxy"
//   npm run bench -- --quick        # every benchmark at its smallest size (the test suite's run)
//   npm run bench -- --strict       # exit 1 when a goal is missed
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const flags = args.filter((a) => a.startsWith('--'));
const filters = args.filter((a) => !a.startsWith('--'));
const benches = readdirSync(here, { withFileTypes: true })
  .filter((f) => f.isFile() && f.name.endsWith('.ts') && f.name !== 'run-all.ts')
  .map((f) => f.name)
  .filter((f) => filters.length === 0 || filters.some((filter) => f.includes(filter)))
  .sort();

let failed = 0;
const started = performance.now();
for (const file of benches) {
  process.stdout.write(`\n=== bench/${file} ${flags.join(' ')}\n`);
  const t0 = performance.now();
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(here, file), ...flags], {
    stdio: 'inherit',
  });
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  if (result.status !== 0) {
    failed++;
    process.stdout.write(`bench/${file} exited ${result.status ?? result.signal} after ${seconds} s\n`);
  } else {
    process.stdout.write(`bench/${file} took ${seconds} s\n`);
  }
}
const total = ((performance.now() - started) / 1000).toFixed(0);
process.stdout.write(`\n${benches.length - failed} benchmarks passed, ${failed} failed, in ${total} s\n`);
process.exitCode = failed === 0 ? 0 : 1;
