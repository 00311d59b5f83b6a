import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const bin = new URL('../../bin/chatquake.js', import.meta.url).pathname;

function chatquake(...args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 20_000 });
}

describe('chatquake CLI', () => {
  it('lists every command under --help and exits 0', () => {
    const result = chatquake('--help');
    expect(result.status).toBe(0);
    for (const name of ['run', 'list', 'validate', 'check', 'server', 'directory', 'token', 'proxy']) {
      expect(result.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    }
  });

  it('exits 104 and names the command when it is unknown', () => {
    const result = chatquake('frobnicate');
    expect(result.status).toBe(104);
    expect(result.stderr).toContain('unknown command "frobnicate"');
  });

  it('prints a command’s usage for --help without running it', () => {
    const result = chatquake('server', '--help');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('--region R');
  });
});
