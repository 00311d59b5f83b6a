import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProcessBackend } from '../../chaos/backends/process.ts';
import { createToxiproxyBackend } from '../../chaos/backends/toxiproxy.ts';
import { createAdminBackend } from '../../harness/targets/reference/admin.ts';
import { startFakeToxiproxy } from './fixtures/fake-toxiproxy.ts';
import { api, toxiproxyApiSuite } from './fixtures/toxiproxy-api-suite.ts';

toxiproxyApiSuite('a fake Toxiproxy API', () => startFakeToxiproxy());

describe('toxiproxy backend, failure', () => {
  it('bounds a request to an API that never answers', async () => {
    const fake = await startFakeToxiproxy();
    try {
      await api(`${fake.url}/proxies`, 'POST', { name: 'p', upstream: '127.0.0.1:9' });
      fake.hangOn('proxies/p');
      const backend = createToxiproxyBackend(fake.url, { timeoutMs: 200 });
      const started = Date.now();
      await expect(backend.setEnabled('p', false)).rejects.toThrow(
        'toxiproxy disable p: no answer within 200 ms',
      );
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await fake.close();
    }
  });
});

describe('admin backend', () => {
  let server: Server;
  let seen: { method: string; url: string; auth: string; body: string }[];
  let status = 200;
  let base: string;

  beforeAll(async () => {
    seen = [];
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        seen.push({
          method: req.method ?? '',
          url: req.url ?? '',
          auth: req.headers.authorization ?? '',
          body,
        });
        if (req.url === '/slow/admin/clock') return; // never answers
        res
          .writeHead(status, { 'content-type': 'application/json' })
          .end(status === 200 ? '{"ok":true}' : '{"error":"nope"}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );

  it('POSTs the offset with the bearer token to the node’s admin URL', async () => {
    const admin = createAdminBackend({
      adminUrlOf: (node) => `${base}/${node.replace('/', '-')}/`,
      adminToken: 's3cret',
    });
    status = 200;
    await admin.setClockOffset('eu/n1', -1500);
    expect(seen.at(-1)).toEqual({
      method: 'POST',
      url: '/eu-n1/admin/clock',
      auth: 'Bearer s3cret',
      body: '{"offsetMs":-1500}',
    });
  });

  it('fails with the status, and within its timeout', async () => {
    status = 401;
    const admin = createAdminBackend({ adminUrlOf: () => base, adminToken: 'wrong' });
    await expect(admin.setClockOffset('eu/n1', 5)).rejects.toThrow(
      'admin clock on eu/n1: HTTP 401 {"error":"nope"}',
    );
    const slow = createAdminBackend({ adminUrlOf: () => `${base}/slow`, adminToken: 't', timeoutMs: 200 });
    await expect(slow.setClockOffset('us/n1', 5)).rejects.toThrow(/us\/n1 .*no answer within 200 ms/);
    await expect(
      createAdminBackend({ adminUrlOf: () => 'http://127.0.0.1:9', adminToken: 't' }).setClockOffset(
        'x/n',
        1,
      ),
    ).rejects.toThrow(/admin clock on x\/n/);
  });
});

describe('process backend on real processes', () => {
  const children = new Map<string, ChildProcess>();
  const exits = new Map<number, Promise<NodeJS.Signals | null>>();
  const spawnSleeper = (node: string): void => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    children.set(node, child);
    exits.set(
      child.pid as number,
      new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal))),
    );
  };
  const stateOf = (pid: number): string => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] as string;
  };
  const backend = createProcessBackend({
    pidOf: (node) => {
      const child = children.get(node);
      return child === undefined || child.exitCode !== null || child.signalCode !== null
        ? undefined
        : child.pid;
    },
    restart: async (node) => spawnSleeper(node),
    addNode: async (region) => {
      const id = `${region}/n${children.size + 1}`;
      spawnSleeper(id);
      return id;
    },
    removeNode: async (node) => {
      children.get(node)?.kill('SIGKILL');
      children.delete(node);
    },
  });

  afterAll(async () => {
    for (const child of children.values())
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await Promise.all(exits.values());
  });

  it('pauses (state T), resumes, kills and restarts', async () => {
    spawnSleeper('eu/n1');
    const pid = children.get('eu/n1')?.pid as number;
    await backend.signal('eu/n1', 'SIGSTOP');
    await expect.poll(() => stateOf(pid)).toBe('T');
    expect(backend.paused()).toEqual(['eu/n1']);
    await backend.signal('eu/n1', 'SIGCONT');
    await expect.poll(() => stateOf(pid)).not.toBe('T');
    expect(backend.paused()).toEqual([]);
    await backend.signal('eu/n1', 'SIGKILL');
    expect(await exits.get(pid)).toBe('SIGKILL');
    await expect(backend.signal('eu/n1', 'SIGKILL')).rejects.toThrow('node eu/n1 is not running');
    // Resuming a node that is not there is a successful heal, not an error.
    await backend.signal('eu/n1', 'SIGCONT');
    await backend.restart('eu/n1');
    const newPid = children.get('eu/n1')?.pid as number;
    expect(newPid).not.toBe(pid);
    expect(['S', 'R']).toContain(stateOf(newPid));
  });

  it('SIGTERM reaches a paused node, and resumeAll wakes every paused node', async () => {
    spawnSleeper('us/n1');
    spawnSleeper('us/n2');
    const [p1, p2] = ['us/n1', 'us/n2'].map((n) => children.get(n)?.pid as number) as [number, number];
    await backend.signal('us/n1', 'SIGSTOP');
    await backend.signal('us/n2', 'SIGSTOP');
    await expect.poll(() => stateOf(p1)).toBe('T');
    await backend.signal('us/n1', 'SIGTERM');
    expect(await exits.get(p1)).toBe('SIGTERM');
    await expect.poll(() => stateOf(p2)).toBe('T');
    await backend.resumeAll();
    await expect.poll(() => stateOf(p2)).not.toBe('T');
    expect(backend.paused()).toEqual([]);
    const added = await backend.addNode('ap');
    expect(children.get(added)?.pid).toBeGreaterThan(0);
    await backend.removeNode(added);
  });
});
