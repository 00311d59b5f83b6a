// Sends that arrive at a node other than the conversation's home are forwarded there. Items for
// one home are queued and sent in batches, one request in flight per home, so a session's
// messages reach the home in the order they arrived here. The home answers each item with an
// ack, `not_home`, `pending` (resend the same item) or an error.

import type { Agent } from 'node:http';
import { describeIssues } from '../contracts/errors.ts';

import type { PeerInfo } from './control-plane.ts';
import { requestJson } from './http.ts';
import { type ForwardItem, ForwardResponse, type ForwardResult } from './internal-protocol.ts';
import type { Logger } from './log.ts';
import { PEER_HEADER } from './token.ts';

export interface Forwarder {
  /**
   * Resolves with the home's answer; rejects when the home could not be reached, or when the
   * item was still queued at `deadline` (monotonic ms) and so was never sent.
   */
  forward(target: PeerInfo, item: ForwardItem, deadline: number): Promise<ForwardResult>;
  stop(): void;
}

export interface ForwarderOptions {
  myId: string;
  peerKey: string;
  agent: Agent;
  logger: Logger;
  timeoutMs: number;
  /** Most items per request; default 500. */
  maxBatch?: number;
}

interface Pending {
  item: ForwardItem;
  deadline: number;
  resolve: (result: ForwardResult) => void;
  reject: (error: Error) => void;
}

interface Queue {
  target: PeerInfo;
  items: Pending[];
  inFlight: boolean;
}

export function createForwarder(opts: ForwarderOptions): Forwarder {
  const queues = new Map<string, Queue>();
  const maxBatch = opts.maxBatch ?? 500;
  let stopped = false;

  const pump = (queue: Queue): void => {
    if (stopped || queue.inFlight || queue.items.length === 0) return;
    // Items whose sender has given up are not sent: behind a slow home they would only pile up.
    const now = performance.now();
    const live = queue.items.filter((p) => p.deadline > now);
    for (const p of queue.items) if (p.deadline <= now) p.reject(new Error('deadline passed while queued'));
    queue.items = live;
    if (queue.items.length === 0) return;
    const batch = queue.items.splice(0, maxBatch);
    queue.inFlight = true;
    requestJson(`${queue.target.url}/internal/send`, {
      body: { from: opts.myId, items: batch.map((p) => p.item) },
      timeoutMs: opts.timeoutMs,
      headers: { [PEER_HEADER]: opts.peerKey },
      agent: opts.agent,
    })
      .then((res) => {
        if (res.status !== 200) throw new Error(`home answered ${res.status}`);
        const parsed = ForwardResponse.safeParse(res.body);
        if (!parsed.success) throw new Error(`bad forward answer: ${describeIssues(parsed.error)}`);
        if (parsed.data.results.length !== batch.length)
          throw new Error('forward answer has the wrong length');
        for (const [i, p] of batch.entries()) p.resolve(parsed.data.results[i]!);
      })
      .catch((error: unknown) => {
        const failure = error instanceof Error ? error : new Error(String(error));
        for (const p of batch) p.reject(failure);
      })
      .finally(() => {
        queue.inFlight = false;
        pump(queue);
      });
  };

  return {
    forward(target, item, deadline) {
      return new Promise((resolve, reject) => {
        if (stopped) {
          reject(new Error('node is shutting down'));
          return;
        }
        let queue = queues.get(target.id);
        if (queue === undefined) {
          queue = { target, items: [], inFlight: false };
          queues.set(target.id, queue);
        }
        queue.target = target;
        queue.items.push({ item, deadline, resolve, reject });
        const q = queue;
        // Let the rest of this tick's sends join the batch.
        setImmediate(() => pump(q));
      });
    },
    stop() {
      stopped = true;
      for (const queue of queues.values()) {
        for (const p of queue.items.splice(0)) p.reject(new Error('node is shutting down'));
      }
      opts.logger.debug('forwarder stopped');
    },
  };
}
