// One node of the reference IM server, wired together: storage, the control plane (directory
// client or static), the engine, replication, forwarding, client sessions and the HTTP server.
// The parts are built in node/parts.ts; this file runs them: timers, the server, shutdown.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createAgent } from './http.ts';
import { type NodeConfig, type NodeIdentity, nodeTimings } from './node/config.ts';
import { nodeHealth } from './node/health.ts';
import { watchIsolation } from './node/isolation.ts';
import { createNodeParts } from './node/parts.ts';
import { createNodeHttpHandler } from './node-http.ts';
import { openStorage } from './storage.ts';
import { peerKey } from './token.ts';

export type { NodeConfig } from './node/config.ts';

export interface RunningNode {
  host: string;
  port: number;
  close(): Promise<void>;
}

export async function startNode(cfg: NodeConfig): Promise<RunningNode> {
  const id: NodeIdentity = {
    myId: `${cfg.region}/${cfg.node}`,
    incarnation: randomBytes(8).toString('hex'),
    key: peerKey(cfg.secret),
  };
  const log = cfg.logger;

  mkdirSync(cfg.dataDir, { recursive: true });
  const storage = openStorage(join(cfg.dataDir, 'node.db'), { fsync: cfg.fsync });
  const agent = createAgent(16);
  let advertisedUrl = '';
  const timings = nodeTimings(cfg.leaseMs);
  const parts = createNodeParts({
    cfg,
    id,
    timings,
    storage,
    agent,
    advertisedUrl: () => advertisedUrl,
  });
  const { metrics, engine, controlPlane, shipper, forwarder, sessions } = parts;

  const server: Server = createServer(
    createNodeHttpHandler({
      region: cfg.region,
      node: cfg.node,
      adminToken: cfg.adminToken,
      peerKey: id.key,
      engine,
      controlPlane,
      clock: cfg.clock,
      metrics,
      logger: log,
      healthz: () => nodeHealth(cfg, id, parts),
      api: { secret: cfg.secret, sendTimeoutMs: timings.sendTimeoutMs, maxBodyBytes: cfg.maxBodyBytes },
    }),
  );
  server.keepAliveTimeout = 30_000;
  server.headersTimeout = 20_000;
  server.on('upgrade', (req, socket, head) => sessions.upgrade(req, socket, head));

  engine.load(controlPlane.mode === 'static');
  const upkeep = setInterval(() => engine.tick(), 50);
  const isolation = watchIsolation(parts, cfg.leaseMs);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.port, cfg.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  advertisedUrl = `http://${cfg.host}:${port}`;
  controlPlane.start();
  log.info('node started', {
    port,
    mode: controlPlane.mode,
    ack: cfg.ack,
    replicas: cfg.replicas,
    leaseMs: cfg.leaseMs,
    conversations: engine.stats().conversations,
    bugs: [...cfg.bugs],
  });

  let closing: Promise<void> | null = null;
  return {
    host: cfg.host,
    port,
    close() {
      closing ??= (async () => {
        clearInterval(upkeep);
        clearInterval(isolation);
        engine.close();
        controlPlane.stop();
        shipper.stop();
        forwarder.stop();
        await sessions.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        engine.close();
        agent.destroy();
        storage.close();
        log.info('node stopped');
      })();
      return closing;
    },
  };
}
