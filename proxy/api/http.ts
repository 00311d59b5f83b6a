// The HTTP side of the Toxiproxy API, byte for byte as Toxiproxy (Go's net/http) answers:
// JSON replies, Go's http.Error for failures, plain-text refusals, bounded JSON bodies, and
// the queue that runs requests one at a time.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequestBody } from '../errors.ts';
import type { Reply } from './route.ts';

const MAX_BODY_BYTES = 1024 * 1024;

export function send(response: ServerResponse, reply: Reply): void {
  if (reply.status === 204) {
    response.writeHead(204).end();
    return;
  }
  const text = reply.text ?? JSON.stringify(reply.body);
  response.writeHead(reply.status, {
    'Content-Type': reply.contentType ?? 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  response.end(text);
}

// Go's http.Error: a JSON text in a text/plain answer, with a trailing newline.
export function sendError(response: ServerResponse, status: number, message: string): void {
  const text = `${JSON.stringify({ error: message, status })}\n`;
  response.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
    'Content-Length': Buffer.byteLength(text),
  });
  response.end(text);
}

export function sendPlain(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
    'Content-Length': Buffer.byteLength(text),
  });
  response.end(text);
}

export function readBody(request: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Past the limit, keep reading into the void so the 400 can still be answered.
      if (size > MAX_BODY_BYTES) reject(badRequestBody(`larger than ${MAX_BODY_BYTES} bytes`));
      else chunks.push(chunk);
    });
    request.on('error', (error) => reject(badRequestBody(error.message)));
    // A client gone before the end of its body: settle, so nothing waits on it for ever.
    request.on('close', () => {
      if (!request.complete) reject(badRequestBody('the connection closed before the body ended'));
    });
    request.on('end', () => {
      if (size > MAX_BODY_BYTES) return;
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') {
        reject(badRequestBody('EOF'));
        return;
      }
      try {
        resolve(JSON.parse(text));
      } catch (error) {
        reject(badRequestBody((error as Error).message));
      }
    });
  });
}

/** Runs the work it is given one at a time, in order, whether the one before failed or not. */
export function createSerializer(): <T>(work: () => Promise<T>) => Promise<T> {
  let queue: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work);
    queue = run.catch(() => {});
    return run;
  };
}
