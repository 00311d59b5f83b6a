// A bare WebSocket test client (the SDK is built elsewhere): records every frame and waits for
// frames matching a predicate.
import WebSocket from 'ws';

export type Frame = Record<string, unknown> & { type: string };

export interface TestClient {
  ws: WebSocket;
  frames: Frame[];
  /** Resolves with the first recorded frame (past or future) matching `pred`. */
  waitFor(pred: (f: Frame) => boolean, timeoutMs?: number, what?: string): Promise<Frame>;
  send(frame: unknown): void;
  sendRaw(data: string | Buffer, binary?: boolean): void;
  closed: Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
}

export function connect(wsUrl: string, token: string | null): Promise<TestClient> {
  const url = token === null ? wsUrl : `${wsUrl}?token=${encodeURIComponent(token)}`;
  const ws = new WebSocket(url);
  const frames: Frame[] = [];
  const listeners = new Set<() => void>();
  ws.on('message', (data) => {
    frames.push(JSON.parse(String(data)) as Frame);
    for (const l of [...listeners]) l();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => {
      resolve({ code, reason: String(reason) });
      for (const l of [...listeners]) l();
    });
  });
  ws.on('error', () => {});
  const client: TestClient = {
    ws,
    frames,
    closed,
    waitFor(pred, timeoutMs = 10_000, what = 'frame') {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const found = frames.find(pred);
          if (found !== undefined) {
            cleanup();
            resolve(found);
            return true;
          }
          return false;
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(frames.slice(-5))}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          listeners.delete(listener);
        };
        const listener = (): void => {
          check();
        };
        if (!check()) listeners.add(listener);
      });
    },
    send(frame) {
      ws.send(JSON.stringify(frame));
    },
    sendRaw(data, binary = false) {
      ws.send(data, { binary });
    },
    async close() {
      if (ws.readyState === ws.CLOSED) return;
      ws.close();
      await closed;
    },
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

export const isAck = (cmid: string) => (f: Frame) => f.type === 'ack' && f.cmid === cmid;
export const isError = (cmid: string) => (f: Frame) => f.type === 'error' && f.cmid === cmid;
export const isAckOrError = (cmid: string) => (f: Frame) =>
  (f.type === 'ack' || f.type === 'error') && f.cmid === cmid;
