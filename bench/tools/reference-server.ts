// The server the load-generator benchmarks (bench/loadgen.ts, bench/overhead.ts) drive: one
// reference-server node in one region, started the way a local run starts it, and what a load
// generator needs to reach it: the node's own WebSocket address (not the edge proxy's, so the
// fault proxy's process is not part of what is compared), the token secret, and an admin call
// that creates a run's conversations up front. Its teardown leaves no process or port behind,
// on an error and on Ctrl-C too.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCleanupRegistry } from '../../harness/local/cleanup.ts';
import { startLocalTopology } from '../../harness/local/topology.ts';
import { signToken } from '../../im-server/index.ts';

export interface BenchServer {
  /** ws://host:port/ws of the node itself. */
  wsUrl: string;
  /** http://host:port of the node (admin API). */
  httpUrl: string;
  region: string;
  secret: string;
  adminToken: string;
  /** The node's process id, for its CPU seconds. */
  pid: number;
  /** Creates conversations through the admin API, a few at a time. */
  createConversations(conversations: readonly { id: string; members: string[] }[]): Promise<void>;
  close(): Promise<void>;
}

/** What a drive plan needs of the server: where it is and the secrets its users' tokens take. */
export function serverFields(server: BenchServer) {
  const { wsUrl, httpUrl, region, secret, adminToken } = server;
  return { wsUrl, httpUrl, region, secret, adminToken };
}

export const BENCH_REGION = 'bench';

/** A token every virtual user of a benchmark can connect with (24 h, longer than any run). */
export function benchToken(user: string, secret: string): string {
  return signToken({ user, secret, ttlSeconds: 86_400 });
}

export async function startBenchServer(options: { serverArgs?: string[] } = {}): Promise<BenchServer> {
  const runDir = mkdtempSync(join(tmpdir(), 'chatquake-bench-'));
  const registry = createCleanupRegistry();
  const secret = 'bench-secret';
  const adminToken = 'bench-admin';
  const onSignal = (): void => {
    void registry.run().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const close = async (): Promise<void> => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await registry.run();
    rmSync(runDir, { recursive: true, force: true });
  };
  try {
    const topology = await startLocalTopology({
      runDir,
      regions: [BENCH_REGION],
      // One node: a stored ack is all it can give; a replicated one would wait for peers it lacks.
      ack: 'stored',
      seed: 1,
      secret,
      adminToken,
      registry,
      ...(options.serverArgs === undefined ? {} : { serverArgs: options.serverArgs }),
    });
    const node = topology.node(BENCH_REGION, 'n1');
    if (node.pid === undefined) throw new Error('bench server: the node did not start');
    const httpUrl = node.httpUrl;
    return {
      wsUrl: `ws://${node.host}:${node.port}/ws`,
      httpUrl,
      region: BENCH_REGION,
      secret,
      adminToken,
      pid: node.pid,
      createConversations: (conversations) => createConversations(httpUrl, adminToken, conversations),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

async function createConversations(
  httpUrl: string,
  adminToken: string,
  conversations: readonly { id: string; members: string[] }[],
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < conversations.length) {
      const c = conversations[next++] as { id: string; members: string[] };
      const response = await fetch(`${httpUrl}/admin/conversations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ id: c.id, members: c.members }),
        signal: AbortSignal.timeout(10_000),
      });
      const text = await response.text();
      if (response.status !== 200 && response.status !== 201 && response.status !== 409)
        throw new Error(`creating conversation ${c.id}: HTTP ${response.status} ${text.slice(0, 200)}`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

/** CPU seconds of this process's exited, waited-for children (and theirs), from /proc/self/stat. */
export function reapedChildrenCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // cutime and cstime: fields 16 and 17 of stat(5), 13 and 14 after the command name.
  return (Number(fields[13]) + Number(fields[14])) / 100;
}
