// Runs every benchmark in this folder one after another (never in parallel: each reports ratios
// against a baseline measured in the same process, and two benchmarks sharing 2 cores would skew
// both). Exits non-zero when any benchmark does, so a floor such as "the recorder keeps 100k
// events/s" can gate a nightly job.
//
//   npm run bench            # all
//   npm run bench -- proxy   # only those whose file name contains "proxy"
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const filter = process.argv[2];
const benches = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run-all.ts')
  .filter((f) => filter === undefined || f.includes(filter))
  .sort();

let failed = 0;
for (const file of benches) {
  process.stdout.write(`\n=== bench/${file}\n`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(here, file)], { stdio: 'inherit' });
  if (result.status !== 0) {
    failed++;
    process.stdout.write(`bench/${file} exited ${result.status ?? result.signal}\n`);
  }
}
process.stdout.write(`\n${benches.length - failed} benchmarks passed, ${failed} failed\n`);
process.exitCode = failed === 0 ? 0 : 1;
