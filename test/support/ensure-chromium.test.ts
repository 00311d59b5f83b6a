// `npm test` starts with test/support/ensure-chromium.mjs: on a machine without Chromium it must
// stop at once with the command to run (or install it, as root with apt-get), never let the
// suite run for minutes and fail in the browser test.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const SCRIPT = new URL('./ensure-chromium.mjs', import.meta.url).pathname;

function run(env: Record<string, string>) {
  return spawnSync(process.execPath, [SCRIPT], { encoding: 'utf8', env: { ...env } });
}

describe('ensure-chromium (first step of npm test)', () => {
  it('passes silently when Chromium is there', () => {
    const result = run({ CHATQUAKE_CHROMIUM: process.execPath, PATH: process.env.PATH ?? '' });
    expect(result.status).toBe(0);
    expect(result.stdout + result.stderr).toBe('');
  });

  it('fails at once with the install command when Chromium is missing and apt-get is not at hand', () => {
    const result = run({ CHATQUAKE_CHROMIUM: '/nonexistent/chromium', PATH: '/nonexistent-bin' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('/nonexistent/chromium');
    expect(result.stderr).toContain('apt-get install -y chromium');
  });
});
