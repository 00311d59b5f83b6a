// A small in-process stand-in for a reference node, for the client's integration tests. Several
// fake nodes can share one store (standing in for replication), and each node can be told to
// misbehave: refuse the upgrade, ignore sends, answer `unavailable`, claim to be `behind`, stop
// listening, or go silent behind a blackholing TCP proxy. A silent TCP server stands in for a
// frozen node: the kernel accepts the connection, nothing ever answers.
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server, Socket } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import type { ClientFrame, ServerFrame } from '../../contracts/wire.ts';
import { verifyToken } from '../../im-server/token.ts';

export interface StoredMessage {
  seq: number;
  epoch: number;
  from: string;
  cmid: string;
  body: string;
  serverTime: number;
}

/** What every fake node sharing it "replicates": per conversation, its messages in seq order. */
export interface FakeStore {
  conversations: Map<string, StoredMessage[]>;
  /** Appends unless (conv, from, cmid) is already stored; returns the message either way. */
  append(conv: string, from: string, cmid: string, body: string): { message: StoredMessage; fresh: boolean };
  after(conv: string, afterSeq: number): StoredMessage[];
  lastSeq(conv: string): number;
}

export function createFakeStore(): FakeStore {
  const conversations = new Map<string, StoredMessage[]>();
  const store: FakeStore = {
    conversations,
    append(conv, from, cmid, body) {
      let log = conversations.get(conv);
      if (log === undefined) {
        log = [];
        conversations.set(conv, log);
      }
      const existing = log.find((m) => m.from === from && m.cmid === cmid);
      if (existing !== undefined) return { message: existing, fresh: false };
      const message = { seq: log.length + 1, epoch: 1, from, cmid, body, serverTime: Date.now() };
      log.push(message);
      return { message, fresh: true };
    },
    after(conv, afterSeq) {
      return (conversations.get(conv) ?? []).filter((m) => m.seq > afterSeq);
    },
    lastSeq(conv) {
      return conversations.get(conv)?.length ?? 0;
    },
  };
  return store;
}

export type SendMode = 'ack' | 'ignore' | 'unavailable' | 'not_found' | 'rate_limited';
export type SyncMode = 'answer' | 'behind' | 'ignore';

export interface FakeNodeOptions {
  region: string;
  node?: string;
  store: FakeStore;
  /** Check real signed tokens with this secret; without it a token is just `token-USER`. */
  secret?: string;
}

export interface FakeSession {
  user: string;
  socket: WebSocket;
}

export interface FakeNode {
  readonly region: string;
  /** ws://127.0.0.1:PORT/ws (the proxy's port when `proxied` was used). */
  url: string;
  port: number;
  /** Upgrade requests seen, accepted or not. */
  upgrades: number;
  /** Every frame received, with the user who sent it. */
  received: { user: string; frame: ClientFrame }[];
  sessions: Set<FakeSession>;
  sendMode: SendMode;
  /** How many upcoming sends to ignore before answering per sendMode. */
  ignoreNextSends: number;
  syncMode: SyncMode;
  /** Refuse the upgrade with this HTTP status; undefined accepts. */
  refuseWith: number | undefined;
  /** Push a stored message to its sender's sessions too. */
  pushToSender: boolean;
  /** Skip the welcome frame (the client must time the attempt out). */
  silentWelcome: boolean;
  /** WebSocket pings received (ws has already answered each with a pong). */
  pings: number;
  /** Called on each ping, after the pong went out; a test can stall the process here. */
  onPing: (() => void) | undefined;
  /** Stops listening and drops every session (a crash, as clients see it). */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  restart(): Promise<void>;
  /** Drops every session without stopping the listener. */
  dropAll(): void;
  /** Sends a raw frame (or text) to every session of `user`. */
  sendTo(user: string, frame: ServerFrame | string): void;
  /** Pushes a stored message to every session (as a new message would be). */
  push(conv: string, message: StoredMessage, exceptUser?: string): void;
  close(): Promise<void>;
}

function listen(server: Server | HttpServer, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error('no address'));
      else resolve(address.port);
    });
  });
}

export async function startFakeNode(options: FakeNodeOptions): Promise<FakeNode> {
  const nodeName = options.node ?? 'n1';
  const store = options.store;
  let http = createHttpServer();
  let wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });

  const fake: FakeNode = {
    region: options.region,
    url: '',
    port: 0,
    upgrades: 0,
    received: [],
    sessions: new Set(),
    sendMode: 'ack',
    ignoreNextSends: 0,
    syncMode: 'answer',
    refuseWith: undefined,
    pushToSender: true,
    silentWelcome: false,
    pings: 0,
    onPing: undefined,
    async stop() {
      fake.dropAll();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
    async restart() {
      http = createHttpServer();
      wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
      wire();
      await listen(http, fake.port);
    },
    dropAll() {
      for (const session of fake.sessions) session.socket.terminate();
      fake.sessions.clear();
      http.closeAllConnections();
    },
    sendTo(user, frame) {
      const text = typeof frame === 'string' ? frame : JSON.stringify(frame);
      for (const session of fake.sessions) if (session.user === user) session.socket.send(text);
    },
    push(conv, message, exceptUser) {
      const text = JSON.stringify({ type: 'msg', conv, ...pick(message) });
      for (const session of fake.sessions) if (session.user !== exceptUser) session.socket.send(text);
    },
    async close() {
      await fake.stop();
    },
  };

  function pick(m: StoredMessage) {
    return { epoch: m.epoch, seq: m.seq, from: m.from, cmid: m.cmid, body: m.body, serverTime: m.serverTime };
  }

  function onFrame(session: FakeSession, frame: ClientFrame): void {
    fake.received.push({ user: session.user, frame });
    const socket = session.socket;
    if (frame.type === 'send') {
      if (fake.ignoreNextSends > 0) {
        fake.ignoreNextSends--;
        return;
      }
      if (fake.sendMode === 'ignore') return;
      if (
        fake.sendMode === 'unavailable' ||
        fake.sendMode === 'not_found' ||
        fake.sendMode === 'rate_limited'
      ) {
        const code = fake.sendMode;
        socket.send(
          JSON.stringify({ type: 'error', code, message: code, cmid: frame.cmid, conv: frame.conv }),
        );
        return;
      }
      const { message, fresh } = store.append(frame.conv, session.user, frame.cmid, frame.body);
      socket.send(
        JSON.stringify({
          type: 'ack',
          conv: frame.conv,
          cmid: frame.cmid,
          epoch: message.epoch,
          seq: message.seq,
          level: 'replicated',
          serverTime: message.serverTime,
        }),
      );
      if (fresh) fake.push(frame.conv, message, fake.pushToSender ? undefined : session.user);
      return;
    }
    if (fake.syncMode === 'ignore') return;
    if (fake.syncMode === 'behind') {
      socket.send(JSON.stringify({ type: 'behind', conv: frame.conv, seq: 0, reason: 'catching up' }));
      return;
    }
    if (frame.afterSeq > store.lastSeq(frame.conv)) {
      // As the reference node does: the client claims more than the log holds.
      const seq = store.lastSeq(frame.conv);
      socket.send(JSON.stringify({ type: 'reset', conv: frame.conv, seq, reason: `log ends at ${seq}` }));
      return;
    }
    for (const m of store.after(frame.conv, frame.afterSeq)) {
      socket.send(JSON.stringify({ type: 'msg', conv: frame.conv, ...pick(m) }));
    }
    socket.send(JSON.stringify({ type: 'synced', conv: frame.conv, seq: store.lastSeq(frame.conv) }));
  }

  function wire(): void {
    http.on('upgrade', (request, socket, head) => {
      fake.upgrades++;
      const url = new URL(request.url ?? '/', 'http://localhost');
      const token = url.searchParams.get('token') ?? '';
      if (fake.refuseWith !== undefined) {
        socket.end(`HTTP/1.1 ${fake.refuseWith} Refused\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
        return;
      }
      let user = token.replace(/^token-/, '');
      if (options.secret !== undefined) {
        const verified = verifyToken(token, options.secret);
        if (verified === null) {
          socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
          return;
        }
        user = verified.user;
      }
      wss.handleUpgrade(request, socket, head, (ws) => {
        const session: FakeSession = { user, socket: ws };
        if (token === 'token-revoked') {
          ws.close(4401, 'unauthorized');
          return;
        }
        fake.sessions.add(session);
        ws.on('close', () => fake.sessions.delete(session));
        ws.on('ping', () => {
          fake.pings++;
          fake.onPing?.();
        });
        ws.on('message', (data) => {
          const frame = JSON.parse(String(data)) as ClientFrame;
          onFrame(session, frame);
        });
        if (!fake.silentWelcome) {
          ws.send(
            JSON.stringify({
              type: 'welcome',
              user: session.user,
              region: options.region,
              node: nodeName,
              serverTime: Date.now(),
            }),
          );
        }
      });
    });
  }

  wire();
  fake.port = await listen(http, 0);
  fake.url = `ws://127.0.0.1:${fake.port}/ws`;
  return fake;
}

export interface BlackholeProxy {
  url: string;
  /** While true, bytes in both directions are swallowed and connections stay open. */
  blackhole: boolean;
  /** TCP connections accepted so far. */
  connections: number;
  close(): Promise<void>;
}

/** A TCP relay in front of a fake node that can silently stop forwarding, like a partition. */
export async function startBlackholeProxy(targetPort: number): Promise<BlackholeProxy> {
  const sockets = new Set<Socket>();
  const proxy: BlackholeProxy = {
    url: '',
    blackhole: false,
    connections: 0,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = createServer((client) => {
    proxy.connections++;
    const upstream = new Socket();
    sockets.add(client);
    sockets.add(upstream);
    upstream.connect(targetPort, '127.0.0.1');
    client.on('data', (chunk) => {
      if (!proxy.blackhole) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!proxy.blackhole) client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  const port = await listen(server, 0);
  proxy.url = `ws://127.0.0.1:${port}/ws`;
  return proxy;
}

export interface SilentServer {
  /** ws://127.0.0.1:PORT/ws */
  url: string;
  /** TCP connections accepted so far. */
  connections: number;
  close(): Promise<void>;
}

/**
 * Accepts TCP connections and never answers the upgrade, as the kernel does for a node frozen
 * with SIGSTOP or one whose edge blackholes traffic.
 */
export async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  const silent: SilentServer = {
    url: '',
    connections: 0,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = createServer((socket) => {
    silent.connections++;
    sockets.add(socket);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await listen(server, 0);
  silent.url = `ws://127.0.0.1:${port}/ws`;
  return silent;
}
