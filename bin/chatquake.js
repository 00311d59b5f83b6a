#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so a fresh clone works right after `npm install`
// with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../harness/cli.ts');
const argv = process.argv.slice(2);
process.exitCode = await main(argv);
if (argv[0] === 'run') {
  // A finished run has written its results and stopped everything it started; a client
  // library's leftover socket or timer must not keep the process alive (or busy) after that.
  // The timer is unref'd: a process that ends by itself never sees it.
  setTimeout(() => {
    process.stderr.write('chatquake run: still busy 10 s after the run ended; exiting\n');
    process.exit();
  }, 10_000).unref();
}
