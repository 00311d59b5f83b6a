// Starts one real Prosody (0.12, `prosody --config FILE -F`) on loopback for the XMPP target's
// integration tests, with one VirtualHost per region so two "regions" share one server and
// local routing stands in for federation. Accounts are written as Prosody's internal storage
// files, so no prosodyctl or in-band registration is needed. The topology proper lives in
// harness/targets/xmpp/; this is only what the client half's tests need while it is written.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../harness/local/topology/nodes.ts';
import { writeAccount } from '../../harness/targets/xmpp/prosody/accounts.ts';
import { luaString } from '../../harness/targets/xmpp/prosody/lua.ts';
import type { XmppAccounts, XmppRegion } from '../../harness/targets/xmpp/types.ts';
import { sleep } from '../../lib/async.ts';

export interface TestProsody {
  regions: XmppRegion[];
  accounts: XmppAccounts;
  port: number;
  /** Prosody's log file (info level), for a failing test's post-mortem. */
  logFile: string;
  /**
   * Kills Prosody (SIGKILL) and starts it again on the same port and data: accounts and
   * archives survive, stream-management sessions do not, so clients cannot resume.
   */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** A loopback TCP relay the tests can cut: what a fault proxy does to a client's connection. */
export interface CutProxy {
  /** `xmpp://127.0.0.1:PORT` */
  service: string;
  /** Destroys every relayed connection; while `refuse` is set, new ones are closed at once. */
  cut(refuse?: boolean): void;
  /** Accepts new connections again. */
  heal(): void;
  stop(): Promise<void>;
}

export async function startCutProxy(targetPort: number): Promise<CutProxy> {
  const sockets = new Set<Socket>();
  let refusing = false;
  const server = createServer((inbound) => {
    if (refusing) {
      inbound.destroy();
      return;
    }
    const outbound = createConnection({ port: targetPort, host: '127.0.0.1' });
    outbound.setNoDelay(true);
    inbound.setNoDelay(true);
    for (const [a, b] of [
      [inbound, outbound],
      [outbound, inbound],
    ] as const) {
      sockets.add(a);
      a.pipe(b);
      a.on('error', () => b.destroy());
      a.on('close', () => {
        sockets.delete(a);
        b.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const cut = (refuse = false): void => {
    refusing = refuse;
    for (const socket of sockets) socket.destroy();
  };
  return {
    service: `xmpp://127.0.0.1:${port}`,
    cut,
    heal() {
      refusing = false;
    },
    async stop() {
      cut(true);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`prosody exited with code ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await sleep(50);
  }
  throw new Error(`prosody: c2s port ${port} not open within ${timeoutMs} ms`);
}

function config(dir: string, port: number, domains: string[], logFile: string): string {
  return [
    'run_as_root = true',
    'daemonize = false',
    `data_path = ${luaString(join(dir, 'data'))}`,
    `pidfile = ${luaString(join(dir, 'prosody.pid'))}`,
    `admin_socket = ${luaString(join(dir, 'admin.sock'))}`,
    'interfaces = { "127.0.0.1" }',
    `c2s_ports = { ${port} }`,
    's2s_ports = {}',
    'modules_enabled = { "roster", "saslauth", "disco", "ping", "mam", "smacks", "carbons" }',
    'authentication = "internal_plain"',
    'c2s_require_encryption = false',
    'allow_unencrypted_plain_auth = true',
    'archive_expires_after = "never"',
    `log = { info = ${luaString(logFile)} }`,
    ...domains.map((d) => `VirtualHost ${luaString(d)}`),
    '',
  ].join('\n');
}

async function launch(configFile: string, port: number): Promise<ChildProcess> {
  const child = spawn('prosody', ['--config', configFile, '-F'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  try {
    await waitForPort(port, child, 15_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n${stderr}`);
  }
  return child;
}

/** One Prosody serving `regions` (region name -> its own VirtualHost `<name>.chatquake.test`). */
export async function startProsody(regionNames: string[] = ['r1']): Promise<TestProsody> {
  const dir = mkdtempSync(join(tmpdir(), 'cq-prosody-'));
  const dataPath = join(dir, 'data');
  mkdirSync(dataPath, { recursive: true });
  const port = await freePort('127.0.0.1');
  const regions: XmppRegion[] = regionNames.map((name) => ({
    name,
    domain: `${name}.chatquake.test`,
    service: `xmpp://127.0.0.1:${port}`,
  }));
  const logFile = join(dir, 'prosody.log');
  const configFile = join(dir, 'prosody.cfg.lua');
  writeFileSync(
    configFile,
    config(
      dir,
      port,
      regions.map((r) => r.domain),
      logFile,
    ),
  );
  let child = await launch(configFile, port);
  const kill = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  };

  const accounts: XmppAccounts = {
    async register(regionName, user, password) {
      const region = regions.find((r) => r.name === regionName);
      if (region === undefined) throw new RangeError(`region "${regionName}" is not served here`);
      // Prosody reads account files on each login, so writing one while it runs is enough.
      await writeAccount(dataPath, region.domain, user, password);
    },
  };

  return {
    regions,
    accounts,
    port,
    logFile,
    async restart() {
      await kill();
      child = await launch(configFile, port);
    },
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
