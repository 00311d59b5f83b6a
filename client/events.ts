// What a client reports. The first members mirror load/target.ts's SessionEvent field for field
// (client/ may not import load/, so the shapes are repeated here and the harness adapter asserts
// at the type level that they still match); `sent` and `error` are the SDK's own additions.

export type ClientEvent =
  | { type: 'connected'; t: number; region: string; node?: string }
  | { type: 'disconnected'; t: number; region: string; reason: string }
  | { type: 'failover'; t: number; from: string; to: string }
  | { type: 'acked'; t: number; conv: string; cmid: string; seq: number; epoch?: number; level?: string }
  | { type: 'send_failed'; t: number; conv: string; cmid: string; reason: string }
  | { type: 'send_indeterminate'; t: number; conv: string; cmid: string; reason: string }
  | {
      type: 'delivered';
      t: number;
      conv: string;
      cmid: string;
      from: string;
      seq: number;
      via: 'push' | 'sync';
    }
  | { type: 'synced'; t: number; conv: string; afterSeq: number; seq: number }
  | { type: 'reset'; t: number; conv: string; seq: number; reason: string }
  | { type: 'out_of_order'; t: number; conv: string; seq: number; afterSeq: number }
  /** A send frame went out; `attempt` counts from 1 and grows with every resend of the cmid. */
  | { type: 'sent'; t: number; conv: string; cmid: string; attempt: number; region: string }
  /**
   * Something the client could not act on: an invalid server frame, an error frame that is not
   * a send's definite outcome, or a fatal authentication failure (`code: 'unauthorized'`).
   */
  | { type: 'error'; t: number; code: string; message: string; conv?: string; cmid?: string };

export type ClientEventType = ClientEvent['type'];
