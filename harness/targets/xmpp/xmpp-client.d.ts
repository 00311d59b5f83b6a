// @xmpp/client 0.14 ships no types. This declares the small part of its API the XMPP target
// uses (session.ts, mam.ts, stanza.ts), as the library's sources show it, so the rest of the
// target typechecks under `strict` without `any`.
declare module '@xmpp/client' {
  import type { Socket } from 'node:net';

  /** An ltx element: a stanza, or a child of one. */
  export interface XmlElement {
    name: string;
    attrs: Record<string, string | undefined>;
    children: (XmlElement | string)[];
    is(name: string, xmlns?: string): boolean;
    getChild(name: string, xmlns?: string): XmlElement | undefined;
    getChildren(name: string, xmlns?: string): XmlElement[];
    getChildElements(): XmlElement[];
    getChildText(name: string, xmlns?: string): string | null;
    getText(): string;
    toString(): string;
  }

  export type XmlChild = XmlElement | string | number | undefined | null | false;

  export function xml(
    name: string,
    attrs?: Record<string, string | number | undefined> | null,
    ...children: XmlChild[]
  ): XmlElement;

  interface Emitter {
    on(event: string, listener: (...args: never[]) => void): unknown;
    removeListener(event: string, listener: (...args: never[]) => void): unknown;
  }

  /** XEP-0198 state (@xmpp/stream-management). */
  export interface StreamManagement extends Emitter {
    enabled: boolean;
    id: string;
    /** Unacked outbound stanzas are re-requested after this many ms of quiet. */
    requestAckInterval: number;
    /** An `<r/>` goes out this many ms after the last outbound stanza (each one restarts it). */
    requestAckDebounce: number;
    /** The stream is dropped when an `<r/>` stays unanswered this long (0: never). */
    timeout: number;
    on(event: 'ack' | 'fail', listener: (stanza: XmlElement) => void): unknown;
    on(event: 'resumed', listener: () => void): unknown;
  }

  export interface Reconnect {
    delay: number;
    stop(): void;
  }

  export interface IqCaller {
    request(stanza: XmlElement, timeout?: number): Promise<XmlElement>;
  }

  export interface XmppClient extends Emitter {
    status: string;
    /** The TCP socket (a net.Socket subclass) while one is attached. */
    socket: Socket | null;
    /** Open and close stream timeout. */
    timeout: number;
    streamManagement: StreamManagement;
    reconnect: Reconnect;
    iqCaller: IqCaller;
    start(): Promise<unknown>;
    stop(): Promise<unknown>;
    send(stanza: XmlElement): Promise<void>;
    on(event: 'stanza' | 'nonza' | 'element', listener: (element: XmlElement) => void): unknown;
    on(event: 'status', listener: (status: string) => void): unknown;
    on(event: 'disconnect', listener: (info: { clean: boolean; reason?: unknown }) => void): unknown;
    on(event: 'online' | 'offline', listener: () => void): unknown;
    on(event: 'error', listener: (error: unknown) => void): unknown;
  }

  export interface ClientOptions {
    service: string;
    domain: string;
    username: string;
    password: string;
    resource?: string;
    timeout?: number;
    /** Chooses the SASL mechanism and authenticates; without it PLAIN is refused off TLS. */
    credentials?: (
      authenticate: (credentials: { username: string; password: string }, mechanism: string) => Promise<void>,
      mechanisms: string[],
    ) => Promise<void>;
  }

  export function client(options: ClientOptions): XmppClient;
}
