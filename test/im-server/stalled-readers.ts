// WebSocket sessions that stop reading, for the slow-consumer tests: a bare TCP socket does the
// upgrade by hand (a thousand of them cost the test process almost nothing, as no frame is ever
// parsed), then pauses, so the node's frames pile up in the kernel and then in the node. A
// resumed reader sees what the node sent before it gave up, and then the end of the connection.
import { randomBytes } from 'node:crypto';
import { type Socket, connect as tcpConnect } from 'node:net';

export interface StalledReader {
  socket: Socket;
  /** Starts reading again; resolves with every byte after the upgrade once the node ends it. */
  resume(timeoutMs: number): Promise<{ bytes: Buffer; ended: boolean }>;
  destroy(): void;
}

/** Upgrades `/ws?token=` on host:port, waits for the 101 and the welcome, then stops reading. */
export function openStalledReader(host: string, port: number, token: string): Promise<StalledReader> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(port, host);
    const chunks: Buffer[] = [];
    let head = '';
    let upgraded = false;
    let ended = false;
    const timer = setTimeout(() => fail(new Error('no upgrade within 20 s')), 20_000);
    function fail(error: Error): void {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    }
    socket.on('error', (error) => {
      if (!upgraded) fail(error);
    });
    socket.on('end', () => {
      ended = true;
    });
    socket.on('close', () => {
      ended = true;
    });
    socket.on('data', (chunk: Buffer) => {
      if (upgraded) {
        chunks.push(chunk);
        return;
      }
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      if (!head.startsWith('HTTP/1.1 101')) {
        fail(new Error(`upgrade refused: ${head.slice(0, head.indexOf('\r\n'))}`));
        return;
      }
      // The welcome follows the 101; wait until it is here, so the session is registered.
      if (head.length - end - 4 < 2) return;
      upgraded = true;
      chunks.push(Buffer.from(head.slice(end + 4), 'latin1'));
      clearTimeout(timer);
      socket.pause();
      resolve({
        socket,
        resume(timeoutMs) {
          return new Promise((done) => {
            const finish = (): void => {
              clearTimeout(limit);
              done({ bytes: Buffer.concat(chunks), ended });
            };
            const limit = setTimeout(finish, timeoutMs);
            if (ended && socket.readableLength === 0) finish();
            else socket.once('close', finish);
            socket.resume();
          });
        },
        destroy: () => socket.destroy(),
      });
    });
    socket.on('connect', () => {
      socket.write(
        `GET /ws?token=${encodeURIComponent(token)} HTTP/1.1\r\nHost: ${host}:${port}\r\n` +
          'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n' +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n\r\n`,
      );
    });
  });
}

/** The server→client text frames in `bytes` (unmasked, as a server sends them), until a close. */
export function textFrames(bytes: Buffer): { texts: string[]; closeCode: number | undefined } {
  const texts: string[] = [];
  let at = 0;
  while (at + 2 <= bytes.length) {
    const opcode = bytes[at]! & 0x0f;
    let length = bytes[at + 1]! & 0x7f;
    let start = at + 2;
    if (length === 126) {
      if (start + 2 > bytes.length) break;
      length = bytes.readUInt16BE(start);
      start += 2;
    } else if (length === 127) {
      if (start + 8 > bytes.length) break;
      length = Number(bytes.readBigUInt64BE(start));
      start += 8;
    }
    if (start + length > bytes.length) break;
    const payload = bytes.subarray(start, start + length);
    if (opcode === 0x8) return { texts, closeCode: payload.length >= 2 ? payload.readUInt16BE(0) : 1005 };
    if (opcode === 0x1) texts.push(payload.toString('utf8'));
    at = start + length;
  }
  return { texts, closeCode: undefined };
}
