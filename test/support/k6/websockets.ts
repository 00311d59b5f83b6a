// Test code only, not k6: part of the stand-in (index.ts) that lets the suite run generated k6
// scripts where k6 cannot be installed; behaviour follows k6's docs.
// The stand-in's k6/websockets on the `ws` package: the
// WebSocket of k6's docs (readyState, url, send, close, ping, the on* properties and
// addEventListener; text arrives as a string), with k6's built-in ws_* metrics. An open socket
// keeps its VU's iteration open until it closes, as in k6; an exception in a handler fails the
// iteration; when an iteration is cut, its sockets are closed (and dropped if the peer is slow).
import { Blob } from 'node:buffer';
import WS from 'ws';
import { builtin } from './metrics.ts';
import type { MetricInfo } from './output.ts';
import { callAsVu, type Pending, requireVu, type VuState } from './state.ts';

type EventName = 'open' | 'close' | 'error' | 'message' | 'ping' | 'pong';
const EVENTS: readonly EventName[] = ['open', 'close', 'error', 'message', 'ping', 'pong'];

export interface WsEvent {
  type: EventName;
  timestamp: number;
  data?: string | ArrayBuffer | Blob;
  error?: string;
  code?: number;
  reason?: string;
}
type Handler = (event: WsEvent) => void;

interface Params {
  headers?: Record<string, string>;
  compression?: 'deflate';
  tags?: Record<string, string | number | boolean>;
}

const SESSIONS: MetricInfo = { name: 'ws_sessions', type: 'counter', contains: 'default' };
const SENT: MetricInfo = { name: 'ws_msgs_sent', type: 'counter', contains: 'default' };
const RECEIVED: MetricInfo = { name: 'ws_msgs_received', type: 'counter', contains: 'default' };
const CONNECTING: MetricInfo = { name: 'ws_connecting', type: 'trend', contains: 'time' };
const DURATION: MetricInfo = { name: 'ws_session_duration', type: 'trend', contains: 'time' };
/** How long a cut socket may take to close cleanly before it is dropped. */
const CUT_GRACE_MS = 500;

/** Every socket not yet closed, of every VU: the runner waits for them before it returns. */
const open = new Set<Promise<void>>();

export async function allSocketsClosed(): Promise<void> {
  await Promise.all([...open]);
}

export class WebSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSING = 2;
  readonly CLOSED = 3;

  readonly url: string;
  binaryType: 'blob' | 'arraybuffer' = 'blob';
  onopen: Handler | null = null;
  onmessage: Handler | null = null;
  onclose: Handler | null = null;
  onerror: Handler | null = null;
  onping: Handler | null = null;
  onpong: Handler | null = null;

  readonly #ws: WS;
  readonly #vu: VuState;
  readonly #listeners = new Map<EventName, Handler[]>();
  readonly #tags: Record<string, unknown>;

  constructor(url: string, protocols?: string | string[] | null, params?: Params | null) {
    this.#vu = requireVu('new WebSocket()');
    if (typeof url !== 'string' || !/^wss?:\/\//.test(url)) {
      throw new TypeError(`WebSocket: url must be ws:// or wss://, got ${JSON.stringify(url)}`);
    }
    this.url = url;
    this.#tags = { url, ...(params?.tags ?? {}) };
    const started = performance.now();
    this.#ws = new WS(url, protocols ?? undefined, {
      headers: params?.headers ?? {},
      perMessageDeflate: params?.compression === 'deflate',
    });
    const pending: Pending = { cancel: () => this.#cut() };
    this.#vu.pending.add(pending);
    let opened = 0;
    let markClosed = (): void => {};
    const closed = new Promise<void>((resolve) => {
      markClosed = resolve;
    });
    open.add(closed);
    this.#ws.on('open', () => {
      opened = performance.now();
      this.#metric(CONNECTING, opened - started);
      this.#metric(SESSIONS, 1);
      this.#dispatch({ type: 'open', timestamp: Date.now() });
    });
    this.#ws.on('message', (raw: Buffer, isBinary: boolean) => {
      this.#metric(RECEIVED, 1);
      this.#dispatch({ type: 'message', timestamp: Date.now(), data: this.#data(raw, isBinary) });
    });
    this.#ws.on('ping', () => this.#dispatch({ type: 'ping', timestamp: Date.now() }));
    this.#ws.on('pong', () => this.#dispatch({ type: 'pong', timestamp: Date.now() }));
    this.#ws.on('error', (error: Error) =>
      this.#dispatch({ type: 'error', timestamp: Date.now(), error: error.message }),
    );
    this.#ws.on('close', (code: number, reason: Buffer) => {
      if (opened > 0) this.#metric(DURATION, performance.now() - opened);
      this.#dispatch({ type: 'close', timestamp: Date.now(), code, reason: reason.toString() });
      open.delete(closed);
      markClosed();
      this.#vu.pending.delete(pending);
      this.#vu.changed();
    });
  }

  get readyState(): 0 | 1 | 2 | 3 {
    return this.#ws.readyState;
  }

  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }

  send(data: string | ArrayBuffer | ArrayBufferView): void {
    if (this.#ws.readyState === WS.CONNECTING) {
      throw new Error('InvalidStateError: WebSocket.send() before the connection is open');
    }
    if (this.#ws.readyState !== WS.OPEN) return;
    if (data instanceof Blob) throw new TypeError('WebSocket.send(): the k6 stand-in does not send Blobs');
    this.#ws.send(data, () => {});
    this.#metric(SENT, 1);
  }

  close(code = 1000, reason = ''): void {
    if (this.#ws.readyState === WS.CLOSING || this.#ws.readyState === WS.CLOSED) return;
    this.#ws.close(code, reason);
  }

  ping(): void {
    if (this.#ws.readyState === WS.OPEN) this.#ws.ping();
  }

  addEventListener(event: EventName, handler: Handler): void {
    if (!EVENTS.includes(event)) throw new TypeError(`WebSocket.addEventListener: unknown event ${event}`);
    if (typeof handler !== 'function')
      throw new TypeError('WebSocket.addEventListener: handler is not a function');
    this.#listeners.set(event, [...(this.#listeners.get(event) ?? []), handler]);
  }

  #dispatch(event: WsEvent): void {
    const property = this[`on${event.type}`];
    const handlers = [...(property === null ? [] : [property]), ...(this.#listeners.get(event.type) ?? [])];
    for (const handler of handlers) callAsVu(this.#vu, () => handler.call(this, event));
  }

  #metric(metric: MetricInfo, value: number): void {
    callAsVu(this.#vu, () => builtin(metric, value, this.#tags));
  }

  #data(raw: Buffer, isBinary: boolean): string | ArrayBuffer | Blob {
    if (!isBinary) return raw.toString('utf8');
    const bytes = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength) as ArrayBuffer;
    return this.binaryType === 'arraybuffer' ? bytes : new Blob([bytes]);
  }

  /** The iteration was cut: close now, and drop the connection if the peer does not answer soon. */
  #cut(): void {
    if (this.#ws.readyState === WS.CLOSED) return;
    if (this.#ws.readyState === WS.CONNECTING) {
      this.#ws.terminate();
      return;
    }
    this.#ws.close(1001, 'k6 iteration interrupted');
    setTimeout(() => this.#ws.terminate(), CUT_GRACE_MS).unref();
  }
}
