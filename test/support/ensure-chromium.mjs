// Runs first in `npm test`: the report's browser tests drive Debian's Chromium through
// playwright-core, and a fresh machine has none. As root with apt-get at hand it installs the
// package (what CI does); otherwise it stops the suite at once with the command to run, instead
// of one test failing minutes later. Plain JavaScript, so it needs nothing from node_modules.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

// CHATQUAKE_CHROMIUM lets its own test point it at a path that does not exist.
const CHROMIUM = process.env.CHATQUAKE_CHROMIUM ?? '/usr/bin/chromium';
const INSTALL = 'apt-get update && apt-get install -y chromium';

function has(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

if (!existsSync(CHROMIUM)) {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root || !has('apt-get')) {
    process.stderr.write(
      `npm test: the report's browser tests need Debian's Chromium at ${CHROMIUM}, and it is missing.\n` +
        `Install it, then run npm test again:\n\n  sudo sh -c '${INSTALL}'\n\n`,
    );
    process.exit(1);
  }
  process.stdout.write(`npm test: ${CHROMIUM} is missing; installing Debian's chromium (${INSTALL})\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env });
}
