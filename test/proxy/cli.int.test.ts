// `chatquake proxy` as a process: the ready line, --config, bad flags, and a clean SIGTERM.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { api } from './helpers.ts';

const bin = new URL('../../bin/chatquake.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'chatquake-proxy-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(...args: string[]) {
  return spawnSync(process.execPath, [bin, 'proxy', ...args], { encoding: 'utf8', timeout: 20_000 });
}

function readyLine(child: ChildProcess): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`no ready line; got ${buffered}`)), 15_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const newline = buffered.indexOf('\n');
      if (newline >= 0) {
        clearTimeout(timer);
        resolve(JSON.parse(buffered.slice(0, newline)) as Record<string, unknown>);
      }
    });
    child.once('exit', (code) => reject(new Error(`exited ${code} before ready`)));
  });
}

describe('chatquake proxy', () => {
  it('prints the listening line, loads --config, and exits 0 on SIGTERM', async () => {
    const config = join(dir, 'proxies.json');
    writeFileSync(config, JSON.stringify([{ name: 'db', listen: '127.0.0.1:0', upstream: '127.0.0.1:9' }]));
    const child = spawn(process.execPath, [bin, 'proxy', '--port', '0', '--seed', '3', '--config', config], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const ready = await readyLine(child);
      expect(ready).toMatchObject({ event: 'listening', host: '127.0.0.1', port: expect.any(Number) });
      expect(ready.url).toBe(`http://127.0.0.1:${ready.port}`);
      const proxies = await api(String(ready.url), 'GET', '/proxies');
      expect(proxies.json).toMatchObject({ db: { name: 'db', upstream: '127.0.0.1:9', enabled: true } });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('exits 104 naming the flag when a flag is bad', () => {
    const port = run('--port', 'eighty');
    expect(port.status).toBe(104);
    expect(port.stderr).toContain('--port');
    const unknown = run('--colour', 'red');
    expect(unknown.status).toBe(104);
    expect(unknown.stderr).toContain('--colour');
    const seed = run('--seed', '-1');
    expect(seed.status).toBe(104);
    expect(seed.stderr).toContain('--seed');
  });

  it('exits 104 naming the file and the field when --config is bad', () => {
    const missing = run('--config', join(dir, 'absent.json'));
    expect(missing.status).toBe(104);
    expect(missing.stderr).toContain('--config');
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify([{ name: 'db', upstream: '127.0.0.1:9' }, { name: 'x' }]));
    const invalid = run('--config', bad);
    expect(invalid.status).toBe(104);
    expect(invalid.stderr).toContain('[1].upstream');
  });
});
