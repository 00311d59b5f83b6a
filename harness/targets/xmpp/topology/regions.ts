// The regions of an XMPP topology: each is one Prosody server (node `n1`) with its own domain,
// ports, data, DNS view and config file, run through `chatquake xmpp-region` so that it is in the
// run ledger, the cleanup registry and under the run's lifeline. The node's pid is PROSODY's (from
// the wrapper's ready line), so pause and crash faults act on the server itself.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { withTimeout } from '../../../../lib/async.ts';
import { linkProxyName } from '../../../local/layout.ts';
import { readyPort, ServiceStartError, startService } from '../../../local/processes.ts';
import { stopNode } from '../../../local/topology/nodes.ts';
import { type NodeState, newNodeState, nodeKey, type TopologyState } from '../../../local/topology/state.ts';
import type { RunCa } from '../prosody/certs.ts';
import { prosodyConfig } from '../prosody/config.ts';
import { dnsView, domainOf } from '../prosody/dns.ts';
import type { XmppOptions } from '../types.ts';

/** How long a killed Prosody's wrapper gets to notice and exit by itself. */
const KILL_WAIT_MS = 2_000;

/** Every region has exactly one server. */
export const XMPP_NODE = 'n1';

export interface RegionState {
  region: string;
  domain: string;
  c2sPort: number;
  s2sPort: number;
  /** Config, DNS view and pid file: `<runDir>/prosody/<region>`. */
  dir: string;
  configFile: string;
  /** Prosody's data_path: `<runDir>/data/<region>`. */
  dataPath: string;
  node: NodeState;
}

/** A region not started yet, on the ports its proxies will name; joins `state.nodeStates`. */
export function newRegionState(
  state: TopologyState,
  region: string,
  c2sPort: number,
  s2sPort: number,
): RegionState {
  const node = newNodeState(state, region, XMPP_NODE, '127.0.0.1', c2sPort);
  const dir = join(state.options.runDir, 'prosody', region);
  const dataPath = join(state.dataDir, region);
  node.info.dataDir = dataPath;
  node.info.logFile = join(state.logsDir, `${region}.log`);
  // No HTTP side: Prosody here listens for c2s and s2s only.
  node.info.httpUrl = '';
  state.nodeStates.set(nodeKey(region, XMPP_NODE), node);
  const configFile = join(dir, 'prosody.cfg.lua');
  return { region, domain: domainOf(region), c2sPort, s2sPort, dir, configFile, dataPath, node };
}

/** Writes the region's DNS view and Prosody config; its peers are reached through link proxies. */
export async function writeRegionFiles(
  state: TopologyState,
  regions: readonly RegionState[],
  self: RegionState,
  xmpp: XmppOptions,
  ca: RunCa | undefined,
): Promise<void> {
  const peers = regions
    .filter((peer) => peer !== self)
    .map((peer) => {
      const proxy = state.proxies.get(linkProxyName(self.region, peer.region, XMPP_NODE));
      if (proxy === undefined) throw new Error(`no link proxy ${self.region}->${peer.region}`);
      const colon = proxy.listen.lastIndexOf(':');
      return {
        domain: peer.domain,
        host: proxy.listen.slice(0, colon),
        port: Number(proxy.listen.slice(colon + 1)),
      };
    });
  const view = dnsView(peers);
  const hostsFile = join(self.dir, 'hosts');
  const resolvConf = join(self.dir, 'resolv.conf');
  const certificatesDir = join(self.dir, 'no-certs');
  // Fresh per run: a reused run folder must not bring back last run's accounts and archives.
  await rm(self.dataPath, { recursive: true, force: true });
  await mkdir(certificatesDir, { recursive: true });
  await mkdir(self.dataPath, { recursive: true });
  await writeFile(hostsFile, view.hosts);
  await writeFile(resolvConf, view.resolvConf);
  const cert = ca?.certs.get(self.domain);
  const config = prosodyConfig({
    domain: self.domain,
    c2sPort: self.c2sPort,
    s2sPort: self.s2sPort,
    dataPath: self.dataPath,
    pidFile: join(self.dir, 'prosody.pid'),
    adminSocket: join(self.dir, 'admin.sock'),
    certificatesDir,
    logFile: self.node.info.logFile,
    dnsHostsFile: hostsFile,
    dnsResolvConf: resolvConf,
    dns: view,
    xmpp,
    tls:
      ca === undefined || cert === undefined
        ? undefined
        : { ...cert, cafile: ca.cafile, noClientCert: join(self.dir, 'no-client-cert.pem') },
  });
  await writeFile(self.configFile, config);
}

/** Starts the region's server on its ports and data; a running one is left alone. */
export async function startRegion(state: TopologyState, self: RegionState): Promise<void> {
  if (state.closed) throw new Error('the topology is closed');
  const node = self.node;
  if (node.service?.isRunning()) return;
  const name = `${self.region}/${XMPP_NODE}`;
  const service = await startService({
    name,
    args: ['xmpp-region', '--config', self.configFile, '--port', String(self.c2sPort)],
    logFile: node.info.logFile,
    registry: state.registry,
    ledger: state.options.ledger,
    // The wrapper gives Prosody 3 s between SIGTERM and SIGKILL.
    stopGraceMs: 5_000,
  });
  node.service = service;
  const prosodyPid = service.ready.prosodyPid;
  if (readyPort(service) !== self.c2sPort || typeof prosodyPid !== 'number') {
    await service.stop();
    throw new ServiceStartError(
      `${name} reported ${JSON.stringify(service.ready)}, expected port ${self.c2sPort}`,
    );
  }
  node.info.pid = prosodyPid;
  node.info.running = true;
  service.exited().then(() => {
    if (node.service === service) {
      node.info.running = false;
      node.info.pid = undefined;
    }
  });
}

/** `kill` SIGKILLs Prosody itself (a crash), `stop` asks it to shut down; then the wrapper goes. */
export async function stopRegion(self: RegionState, how: 'kill' | 'stop'): Promise<void> {
  const pid = self.node.info.pid;
  const service = self.node.service;
  if (how === 'kill' && pid !== undefined && service !== undefined) {
    for (const signal of ['SIGCONT', 'SIGKILL'] as const) {
      try {
        process.kill(pid, signal);
      } catch {
        // Already gone.
      }
    }
    // The wrapper reaps Prosody and exits by itself; only a stuck one is killed below.
    await withTimeout(service.exited(), KILL_WAIT_MS, 'the wrapper').catch(() => {});
  }
  await stopNode(self.node, how);
}
