// Small HTTP helpers shared by nodes and the directory. Every outgoing request has a timeout:
// peers and the directory may sit behind a fault proxy that slows, cuts or blackholes links.
import { Agent, type IncomingMessage, request, type ServerResponse } from 'node:http';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface RequestJsonOptions {
  method?: string;
  body?: unknown;
  timeoutMs: number;
  headers?: Record<string, string>;
  agent?: Agent;
  /** Largest response body accepted; default 64 MiB. */
  maxResponseBytes?: number;
}

export interface JsonResponse {
  status: number;
  body: unknown;
}

/** Keep-alive agent so steady peer traffic does not pay a TCP handshake per request. */
export function createAgent(maxSockets = 16): Agent {
  return new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' });
}

/** One JSON request; rejects on network errors, timeouts and non-JSON answers. */
export function requestJson(url: string, opts: RequestJsonOptions): Promise<JsonResponse> {
  const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
  const maxBytes = opts.maxResponseBytes ?? 64 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (error: Error | null, value?: JsonResponse): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (error !== null || value === undefined) {
        req.destroy();
        reject(error ?? new Error('no response'));
      } else {
        resolve(value);
      }
    };
    const req = request(
      url,
      {
        method: opts.method ?? (payload === undefined ? 'GET' : 'POST'),
        agent: opts.agent,
        headers: {
          ...(payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': String(payload.length) }),
          ...opts.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) finish(new Error(`response larger than ${maxBytes} bytes`));
          else chunks.push(chunk);
        });
        res.on('error', (error) => finish(error));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = null;
          if (text.length > 0) {
            try {
              body = JSON.parse(text);
            } catch {
              finish(new Error(`non-JSON response (status ${res.statusCode})`));
              return;
            }
          }
          finish(null, { status: res.statusCode ?? 0, body });
        });
      },
    );
    const timer = setTimeout(() => finish(new Error(`timeout after ${opts.timeoutMs} ms`)), opts.timeoutMs);
    req.on('error', (error) => finish(error));
    req.end(payload);
  });
}

/** Reads a JSON request body, refusing bodies over `limitBytes` (413) and bad JSON (400). */
export function readJsonBody(req: IncomingMessage, limitBytes: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limitBytes) {
        failed = true;
        reject(new HttpError(413, `body larger than ${limitBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', (error) => {
      if (!failed) reject(error);
      failed = true;
    });
    req.on('end', () => {
      if (failed) return;
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim().length === 0) {
        reject(new HttpError(400, 'body: expected a JSON document'));
        return;
      }
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new HttpError(400, 'body: malformed JSON'));
      }
    });
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

export function sendError(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, { error: message, status });
}

/** decodeURIComponent that answers 400 instead of throwing on a malformed escape. */
export function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, `path: malformed escape in "${segment.slice(0, 64)}"`);
  }
}
