// Starts a real reference cluster on loopback for integration tests: one directory process and
// `nodesPerRegion` server processes per region, each a `node bin/chatquake.js ...` child,
// directly connected to each other (no fault proxy). Ports are chosen up front so a restarted
// node comes back at the same address its peers already know.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rendezvousOrder } from '../../im-server/placement.ts';
import { signToken } from '../../im-server/token.ts';

export interface ClusterNode {
  region: string;
  node: string;
  /** http://127.0.0.1:PORT */
  url: string;
  /** ws://127.0.0.1:PORT/ws */
  wsUrl: string;
  pid: number;
}

export interface Cluster {
  directoryUrl: string;
  secret: string;
  adminToken: string;
  nodes: ClusterNode[];
  token(user: string): string;
  /** The index-th node (default 0) of a region. */
  node(region: string, index?: number): ClusterNode;
  /**
   * Sends a signal to a node (default SIGKILL); the id `directory` addresses the directory
   * process. For signals that end the process it resolves once the process has exited; SIGSTOP
   * and SIGCONT resolve at once.
   */
  kill(nodeId: string, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a stopped or killed node again with the same flags, port and data directory. */
  restart(nodeId: string): Promise<ClusterNode>;
  admin(
    nodeId: string,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: unknown }>;
  /** How a node's last process ended (null while it runs or before it ever ran). */
  lastExit(nodeId: string): { code: number | null; signal: string | null } | null;
  /** Kills every process and removes the temporary directories. */
  stop(): Promise<void>;
}

export interface StartClusterOptions {
  regions: string[];
  /** Default 1. Nodes are named n1, n2, ... within each region. */
  nodesPerRegion?: number;
  /** Default: the server's default (replicated). */
  ack?: 'stored' | 'replicated';
  /** Bug knobs passed to every node. */
  bugs?: string[];
  /** Lease length for the directory and every node; default the server's default (3000). */
  leaseMs?: number;
  /** Where data lives; default a fresh temporary directory, removed by stop(). */
  dataDir?: string;
  /** Extra bug knobs for single nodes, by node id (`region/node`). */
  nodeBugs?: Record<string, string[]>;
  /** Extra flags appended to every server's command line. */
  serverArgs?: string[];
  /**
   * The URL node `from` uses to reach node `to` (default: `to`'s own URL), so a test can put a
   * proxy on a link. Ids are `region/node`.
   */
  peerUrl?: (from: string, to: string, url: string) => string;
  /**
   * Default true. False starts no directory: nodes run with fixed homes and no failover (one
   * node in one region is the standalone server); `directoryUrl` is then the empty string.
   */
  directory?: boolean;
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(repoRoot, 'bin', 'chatquake.js');
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

interface Listening {
  port: number;
}

async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((ok, fail) => {
          const server = createServer();
          server.once('error', fail);
          server.listen(0, '127.0.0.1', () => ok(server));
        }),
    ),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    return address.port;
  });
  await Promise.all(servers.map((server) => new Promise<void>((ok) => server.close(() => ok()))));
  return ports;
}

/** Spawns a CLI child and waits for its `{"event":"listening"}` line on stdout. */
function spawnListening(
  args: string[],
  label: string,
): Promise<{ child: ChildProcess; listening: Listening }> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    const stderrTail: string[] = [];
    let settled = false;
    const timer = setTimeout(
      () => finish(new Error(`${label}: not listening after ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS,
    );
    function finish(error: Error | null, listening?: Listening): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error !== null || listening === undefined) {
        child.kill('SIGKILL');
        fail(new Error(`${error?.message ?? 'failed'}\n${stderrTail.join('')}`));
      } else {
        ok({ child, listening });
      }
    }
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      stdout += chunk;
      let newline = stdout.indexOf('\n');
      while (newline >= 0) {
        const line = stdout.slice(0, newline).trim();
        stdout = stdout.slice(newline + 1);
        newline = stdout.indexOf('\n');
        if (!line.startsWith('{')) continue;
        try {
          const event = JSON.parse(line) as { event?: unknown; port?: unknown };
          if (event.event === 'listening' && typeof event.port === 'number')
            finish(null, { port: event.port });
        } catch {
          // Not a JSON line; ignore.
        }
      }
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      // Keep a short tail for startup errors; with CHATQUAKE_TEST_LOGS=1 show everything.
      if (process.env.CHATQUAKE_TEST_LOGS === '1') process.stderr.write(`[${label}] ${chunk}`);
      stderrTail.push(chunk);
      if (stderrTail.length > 40) stderrTail.shift();
    });
    child.once('error', (error) => finish(error));
    child.once('exit', (code, signal) =>
      finish(new Error(`${label}: exited early (code ${code}, signal ${signal})`)),
    );
  });
}

function waitExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((ok) => {
    const timer = setTimeout(() => ok(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      ok(true);
    });
  });
}

interface NodeEntry {
  info: ClusterNode;
  args: string[];
  child: ChildProcess | null;
}

function exitOf(child: ChildProcess | null): { code: number | null; signal: string | null } | null {
  if (child === null || (child.exitCode === null && child.signalCode === null)) return null;
  return { code: child.exitCode, signal: child.signalCode };
}

export async function startCluster(opts: StartClusterOptions): Promise<Cluster> {
  const nodesPerRegion = opts.nodesPerRegion ?? 1;
  const ownsDataDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'chatquake-cluster-'));
  mkdirSync(dataDir, { recursive: true });
  const secret = `secret-${process.pid}-${Date.now()}`;
  const adminToken = `admin-${process.pid}-${Date.now()}`;
  const children: ChildProcess[] = [];
  const entries = new Map<string, NodeEntry>();
  let directory: ChildProcess | null = null;

  const stop = async (): Promise<void> => {
    const all = [...(directory === null ? [] : [directory]), ...[...entries.values()].map((e) => e.child)];
    await Promise.all(
      all.map(async (child) => {
        if (child === null || child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGCONT');
        child.kill('SIGTERM');
        if (!(await waitExit(child, STOP_TIMEOUT_MS))) {
          child.kill('SIGKILL');
          await waitExit(child, STOP_TIMEOUT_MS);
        }
      }),
    );
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    let directoryUrl = '';
    if (opts.directory !== false) {
      const directoryArgs = [
        'directory',
        '--port',
        '0',
        '--host',
        '127.0.0.1',
        '--data',
        join(dataDir, 'directory'),
      ];
      if (opts.leaseMs !== undefined) directoryArgs.push('--lease-ms', String(opts.leaseMs));
      const started = await spawnListening(directoryArgs, 'directory');
      directory = started.child;
      children.push(directory);
      directoryUrl = `http://127.0.0.1:${started.listening.port}`;
    }

    const layout: { region: string; node: string }[] = [];
    for (const region of opts.regions) {
      for (let i = 1; i <= nodesPerRegion; i++) layout.push({ region, node: `n${i}` });
    }
    const ports = await freePorts(layout.length);
    const urlOf = (i: number): string => `http://127.0.0.1:${ports[i]}`;
    layout.forEach((place, i) => {
      const id = `${place.region}/${place.node}`;
      const peers = layout
        .map((other, j) => ({ other, j }))
        .filter(({ j }) => j !== i)
        .map(({ other, j }) => {
          const to = `${other.region}/${other.node}`;
          return `${to}=${opts.peerUrl?.(id, to, urlOf(j)) ?? urlOf(j)}`;
        })
        .join(',');
      const args = [
        'server',
        '--region',
        place.region,
        '--node',
        place.node,
        '--host',
        '127.0.0.1',
        '--port',
        String(ports[i]),
        '--data',
        join(dataDir, `${place.region}-${place.node}`),
        '--secret',
        secret,
        '--admin-token',
        adminToken,
      ];
      if (directoryUrl !== '') args.push('--directory', directoryUrl);
      if (peers.length > 0) args.push('--peers', peers);
      if (opts.ack !== undefined) args.push('--ack', opts.ack);
      if (opts.leaseMs !== undefined) args.push('--lease-ms', String(opts.leaseMs));
      for (const bug of [...(opts.bugs ?? []), ...(opts.nodeBugs?.[id] ?? [])]) args.push('--bug', bug);
      args.push(...(opts.serverArgs ?? []));
      entries.set(id, {
        args,
        child: null,
        info: {
          region: place.region,
          node: place.node,
          url: urlOf(i),
          wsUrl: `ws://127.0.0.1:${ports[i]}/ws`,
          pid: 0,
        },
      });
    });

    const launch = async (id: string): Promise<ClusterNode> => {
      const entry = entries.get(id);
      if (entry === undefined) throw new Error(`no node ${id}`);
      const { child, listening } = await spawnListening(entry.args, id);
      children.push(child);
      entry.child = child;
      entry.info.pid = child.pid ?? 0;
      entry.info.url = `http://127.0.0.1:${listening.port}`;
      entry.info.wsUrl = `ws://127.0.0.1:${listening.port}/ws`;
      return entry.info;
    };
    await Promise.all([...entries.keys()].map((id) => launch(id)));

    const cluster: Cluster = {
      directoryUrl,
      secret,
      adminToken,
      nodes: [...entries.values()].map((e) => e.info),
      token: (user) => signToken({ user, secret }),
      node: (region, index = 0) => {
        const found = [...entries.values()].filter((e) => e.info.region === region)[index];
        if (found === undefined) throw new Error(`no node ${index} in region ${region}`);
        return found.info;
      },
      kill: async (nodeId, signal = 'SIGKILL') => {
        const entry = entries.get(nodeId);
        if (entry === undefined && nodeId !== 'directory') throw new Error(`no node ${nodeId}`);
        const child = entry === undefined ? directory : entry.child;
        if (child === null || child.exitCode !== null || child.signalCode !== null) return;
        child.kill(signal);
        if (signal === 'SIGSTOP' || signal === 'SIGCONT' || signal === 'SIGTSTP') return;
        if (signal !== 'SIGKILL') child.kill('SIGCONT');
        if (!(await waitExit(child, STOP_TIMEOUT_MS))) {
          child.kill('SIGKILL');
          await waitExit(child, STOP_TIMEOUT_MS);
        }
      },
      restart: async (nodeId) => {
        const entry = entries.get(nodeId);
        if (entry === undefined) throw new Error(`no node ${nodeId}`);
        if (entry.child !== null && entry.child.exitCode === null && entry.child.signalCode === null) {
          await cluster.kill(nodeId, 'SIGKILL');
        }
        return launch(nodeId);
      },
      admin: async (nodeId, method, path, body) => {
        const entry = entries.get(nodeId);
        if (entry === undefined) throw new Error(`no node ${nodeId}`);
        const response = await fetch(`${entry.info.url}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${adminToken}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(15_000),
        });
        const text = await response.text();
        let parsed: unknown = text;
        try {
          parsed = text.length > 0 ? JSON.parse(text) : null;
        } catch {
          // Leave non-JSON bodies as text.
        }
        return { status: response.status, body: parsed };
      },
      lastExit: (nodeId) => exitOf(entries.get(nodeId)?.child ?? null),
      stop,
    };
    return cluster;
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A conversation id the server's placement homes in `region` first, so a test knows what it kills. */
export function convHomedIn(regions: string[], region: string, prefix: string): string {
  for (let i = 0; ; i++) {
    const id = `${prefix}-${i}`;
    if (rendezvousOrder(id, regions)[0] === region) return id;
  }
}

/** The cluster as a topology file (harness/k6/topology.ts), as a team writes one for its deployment. */
export function clusterTopology(cluster: Cluster, regions: readonly string[]) {
  return {
    target: 'reference' as const,
    regions: regions.map((name) => ({
      name,
      endpoints: [cluster.node(name).wsUrl],
      adminUrls: [cluster.node(name).url],
    })),
    secret: cluster.secret,
    adminToken: cluster.adminToken,
  };
}
