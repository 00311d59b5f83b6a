// What a client reports: every session event of the target contract (contracts/target.ts), plus
// the SDK's own `sent` and `error`, which the load generator never needs.
import type { SessionEvent } from '../contracts/target.ts';

export type ClientEvent =
  | SessionEvent
  /** A send frame went out; `attempt` counts from 1 and grows with every resend of the cmid. */
  | { type: 'sent'; t: number; conv: string; cmid: string; attempt: number; region: string }
  /**
   * Something the client could not act on: an invalid server frame, an error frame that is not
   * a send's definite outcome, or a fatal authentication failure (`code: 'unauthorized'`).
   */
  | { type: 'error'; t: number; code: string; message: string; conv?: string; cmid?: string };

export type ClientEventType = ClientEvent['type'];
