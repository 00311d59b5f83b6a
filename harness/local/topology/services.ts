// The two services a local topology starts before any node: the directory, and the Toxiproxy
// API every proxy is created through (the embedded fault proxy, or an external Toxiproxy).
// Each started process joins `state.services`, which teardown stops in reverse.
import { join } from 'node:path';
import { createToxiproxyClient, type ToxiproxyClient } from '../../../chaos/index.ts';
import { DIRECTORY_HOST } from '../layout.ts';
import { readyPort, startService } from '../processes.ts';
import { credentialsEnv } from './node-args.ts';
import type { TopologyState } from './state.ts';

/** Starts the directory; returns its host:port. */
export async function startDirectory(state: TopologyState): Promise<string> {
  const { options } = state;
  state.status('starting the directory');
  const directory = await startService({
    name: 'directory',
    args: [
      'directory',
      '--host',
      DIRECTORY_HOST,
      '--port',
      '0',
      '--lease-ms',
      String(state.leaseMs),
      '--data',
      join(state.dataDir, 'directory'),
    ],
    env: credentialsEnv(options),
    logFile: join(state.logsDir, 'directory.log'),
    registry: state.registry,
    ledger: state.options.ledger,
  });
  state.services.push(directory);
  return `${DIRECTORY_HOST}:${readyPort(directory)}`;
}

/** Connects to the external Toxiproxy if one is set (state.external), else starts the fault proxy. */
export async function connectProxyApi(state: TopologyState): Promise<ToxiproxyClient> {
  const externalUrl = state.toxiproxyUrl;
  if (externalUrl !== undefined && externalUrl !== '') {
    state.status(`using the Toxiproxy at ${externalUrl}`);
    const external = createToxiproxyClient(externalUrl);
    state.external = external;
    await external.version();
    state.options.ledger?.useToxiproxy(external.url, true);
    return external;
  }
  state.status('starting the fault proxy');
  const proxyService = await startService({
    name: 'proxy',
    args: ['proxy', '--host', '127.0.0.1', '--port', '0', '--seed', String(state.options.seed)],
    logFile: join(state.logsDir, 'proxy.log'),
    registry: state.registry,
    ledger: state.options.ledger,
  });
  state.services.push(proxyService);
  const url = `http://127.0.0.1:${readyPort(proxyService)}`;
  state.options.ledger?.useToxiproxy(url, false);
  return createToxiproxyClient(url, { timeoutMs: 10_000 });
}
