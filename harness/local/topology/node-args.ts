// A reference-server node's command line: its own address and data, the directory through its
// dir proxy, and its peers (same-region peers directly, others through the link proxies), plus
// the bug knobs and extra flags of the options. The credentials go in the environment, where
// `ps` does not show them.
import { dirProxyName, linkProxyName } from '../layout.ts';
import type { TopologyState } from './state.ts';
import type { NodeInfo } from './types.ts';

/** The variables the server and directory read their secrets from (im-server/secrets-env.ts; a test keeps them equal). */
export const CREDENTIAL_ENV = { secret: 'CHATQUAKE_SECRET', adminToken: 'CHATQUAKE_ADMIN_TOKEN' } as const;

/** The run's credentials as the server and directory read them from their environment. */
export function credentialsOf(options: { secret: string; adminToken: string }): Record<string, string> {
  return { [CREDENTIAL_ENV.secret]: options.secret, [CREDENTIAL_ENV.adminToken]: options.adminToken };
}

/** The environment of a node or the directory: this process's, plus the run's credentials. */
export function credentialsEnv(options: { secret: string; adminToken: string }): NodeJS.ProcessEnv {
  return { ...process.env, ...credentialsOf(options) };
}

function peersOf(state: TopologyState, region: string, node: string): string {
  const entries: string[] = [];
  for (const other of state.nodeStates.values()) {
    const peer = other.info;
    if (peer.region === region && peer.node === node) continue;
    const address =
      peer.region === region
        ? `${peer.host}:${peer.port}`
        : state.proxies.get(linkProxyName(region, peer.region, peer.node))?.listen;
    if (address === undefined) continue;
    entries.push(`${peer.region}/${peer.node}=http://${address}`);
  }
  return entries.join(',');
}

export function argsOf(state: TopologyState, info: NodeInfo): string[] {
  const { options } = state;
  const dirListen = state.proxies.get(dirProxyName(info.region, info.node))?.listen;
  const args = [
    'server',
    '--region',
    info.region,
    '--node',
    info.node,
    '--host',
    info.host,
    '--port',
    String(info.port),
    '--data',
    info.dataDir,
    '--directory',
    `http://${dirListen}`,
    '--ack',
    options.ack ?? 'replicated',
    '--lease-ms',
    String(state.leaseMs),
  ];
  const peers = peersOf(state, info.region, info.node);
  if (peers !== '') args.push('--peers', peers);
  for (const bug of options.bugs ?? []) args.push('--bug', bug);
  args.push(...(options.serverArgs ?? []));
  return args;
}
