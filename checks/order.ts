// One agreed order per conversation, in the spirit of Jepsen's Kafka checker and Elle.
// - Divergence: across every ack, every delivery and every region's final log, a conversation's
//   seq → message mapping must be a bijection. One seq holding two messages, or one message
//   holding two seqs, makes the conversation divergent; when the logs and streams then order
//   messages in a cycle, the explanation shows the shortest one (divergence.ts keeps the claims).
// - Receiver order: each session's stream of a conversation goes strictly up in seq (a reset
//   restarts it from the reset seq). A repeat of a message the session already had is a
//   duplicate (duplicates.ts), not an order violation.
// - Sender order: a message sent after an earlier message of the same sender and conversation
//   was acked must get a higher seq; sends that overlapped in time may be ordered either way.

import type { HistoryEvent } from '../contracts/history.ts';
import { createDivergenceTracker, EDGE_BASE, KIND_ACK, KIND_DELIVER, KIND_LOG } from './divergence.ts';
import { when } from './explain.ts';
import { addCount, type MetricStore } from './metrics.ts';
import { type MessageRecord, type RunModel, relSeconds } from './model.ts';
import { type Checker, type CheckOptions, createExampleList, type Example } from './result.ts';
import { runChecker } from './run-checker.ts';

export interface OrderResult {
  /** receiverInversions + senderInversions. */
  orderViolations: number;
  /** Deliveries whose seq was not above the session's previous one in that conversation. */
  receiverInversions: number;
  /** Messages that got a lower seq than a message of the same sender acked before they were sent. */
  senderInversions: number;
  /** Conversations with at least one seq conflict. */
  divergentConversations: number;
  /** Distinct seq conflicts: (seq, second message) and (message, second seq) pairs. */
  seqConflicts: number;
  examples: Example[];
}

export function createOrderChecker(options: CheckOptions): Checker<OrderResult> {
  /**
   * Per session, per conversation: the highest seq delivered and the message delivered at it
   * (`top`, for explanations), and the message delivered last (`id`, for cycle edges); -1 after a reset.
   */
  const streams = new Map<string, Map<string, { seq: number; top: number; id: number }>>();
  const examples = createExampleList(options.maxExamples);
  let receiverInversions = 0;
  const divergence = createDivergenceTracker();

  return {
    name: 'order',
    add(e: HistoryEvent, model: RunModel) {
      if (e.type === 'ack') {
        divergence.claim(model, model.current!, e.seq, KIND_ACK, e.user, e.t);
      } else if (e.type === 'deliver') {
        const m = model.current!;
        divergence.claim(model, m, e.seq, KIND_DELIVER, e.user, e.t);
        if (!Number.isNaN(model.currentRepeatOf)) return;
        let byConv = streams.get(e.session);
        if (byConv === undefined) {
          byConv = new Map();
          streams.set(e.session, byConv);
        }
        const last = byConv.get(e.conv);
        if (last === undefined) {
          byConv.set(e.conv, { seq: e.seq, top: m.id, id: m.id });
          return;
        }
        const edges = divergence.edgesOf(e.conv);
        if (edges !== undefined) {
          // Stryker disable next-line ConditionalExpression: an edge out of a reset's -1 leaves a node no cycle search reaches
          if (last.id >= 0) {
            const edge = last.id * EDGE_BASE + m.id;
            if (!edges.has(edge)) edges.set(edge, e.user);
          }
        }
        if (e.seq <= last.seq) {
          receiverInversions++;
          // Stryker disable next-line ConditionalExpression: add() keeps nothing once the list is full; this only skips building the sentence
          if (examples.wanted) {
            const prev = last.top >= 0 ? ` (${model.messages[last.top]!.cmid})` : '';
            examples.add({
              check: 'order',
              message: `User ${e.user} (session ${e.session}) received ${m.cmid} from ${m.from} in ${e.conv} at seq ${e.seq} by ${e.via} after seq ${last.seq}${prev}, ${when(model, e.t)}.`,
              conv: e.conv,
              cmid: e.cmid,
              from: e.from,
              user: e.user,
              t: relSeconds(model, e.t),
            });
          }
          last.id = m.id;
          return;
        }
        last.seq = e.seq;
        last.top = m.id;
        last.id = m.id;
      } else if (e.type === 'final_read') {
        if (!e.ok) return;
        const records = model.currentRead!;
        e.messages.forEach((entry, i) => {
          const m = records[i];
          if (m !== undefined) divergence.claim(model, m, entry.seq, KIND_LOG, e.region, e.t);
        });
      } else if (e.type === 'out_of_order') {
        receiverInversions++;
        // Stryker disable next-line ConditionalExpression: add() keeps nothing once the list is full; this only skips building the sentence
        if (examples.wanted) {
          examples.add({
            check: 'order',
            message: `The system pushed seq ${e.seq} of ${e.conv} to user ${e.user} (session ${e.session}) after it had already pushed seq ${e.afterSeq} on the same connection, ${when(model, e.t)}; the client reordered them, but the server applied or sent them out of order.`,
            conv: e.conv,
            user: e.user,
            t: relSeconds(model, e.t),
          });
        }
      } else if (e.type === 'reset') {
        // Delivery restarts after the reset seq; nothing delivered precedes what comes next.
        let byConv = streams.get(e.session);
        if (byConv === undefined) {
          byConv = new Map();
          streams.set(e.session, byConv);
        }
        byConv.set(e.conv, { seq: e.seq, top: -1, id: -1 });
      }
    },
    finish(model: RunModel, metrics: MetricStore): OrderResult {
      // finish() leaves the checker's state alone, so a run can be judged again later.
      const orderExamples = createExampleList(options.maxExamples);
      for (const ex of examples.items) orderExamples.add(ex);
      const senderInversions = checkSenderOrder(model, orderExamples);

      addCount(metrics, 'order_violations', receiverInversions + senderInversions);
      const divergentExamples = divergence.examples(model, options.maxExamples);
      addCount(metrics, 'divergent_conversations', divergence.divergentConversations());
      return {
        orderViolations: receiverInversions + senderInversions,
        receiverInversions,
        senderInversions,
        divergentConversations: divergence.divergentConversations(),
        seqConflicts: divergence.seqConflicts(),
        examples: [...divergentExamples, ...orderExamples.items],
      };
    },
  };
}

/**
 * For each sender and conversation: sweeping sends in time order while admitting acks in
 * time order, a send must get a seq above every seq acked before it was sent.
 */
function checkSenderOrder(model: RunModel, examples: ReturnType<typeof createExampleList>): number {
  // Sender → conversation → its messages (no key string per message); `groups` keeps them in
  // the order they were first seen, which is the order examples come in.
  const bySender = new Map<string, Map<string, MessageRecord[]>>();
  const groups: MessageRecord[][] = [];
  for (const m of model.messages) {
    if (!m.acked || Number.isNaN(m.sendT)) continue;
    let byConv = bySender.get(m.from);
    if (byConv === undefined) {
      byConv = new Map();
      bySender.set(m.from, byConv);
    }
    const g = byConv.get(m.conv);
    if (g === undefined) {
      const group = [m];
      byConv.set(m.conv, group);
      groups.push(group);
    } else g.push(m);
  }
  let inversions = 0;
  for (const g of groups) {
    const byAck = g.slice().sort((a, b) => a.ackT - b.ackT);
    const bySend = g.sort((a, b) => a.sendT - b.sendT);
    let i = 0;
    let best: MessageRecord | undefined;
    for (const b of bySend) {
      // b's own ack may be among these (acked the instant it was sent): it can only raise the bar
      // to b's own seq, which b meets, and it must bound the sends after b.
      while (i < byAck.length && byAck[i]!.ackT <= b.sendT) {
        const a = byAck[i]!;
        if (best === undefined || a.seq > best.seq) best = a;
        i++;
      }
      if (best !== undefined && b.seq < best.seq) {
        inversions++;
        examples.add({
          check: 'order',
          message: `User ${b.from} sent ${b.cmid} in ${b.conv} ${when(model, b.sendT)}, after ${best.cmid} was acked with seq ${best.seq} at ${relSeconds(model, best.ackT).toFixed(1)}s, yet ${b.cmid} got the lower seq ${b.seq}.`,
          conv: b.conv,
          cmid: b.cmid,
          from: b.from,
          t: relSeconds(model, b.sendT),
        });
      }
    }
  }
  return inversions;
}

/** Divergence, receiver order and sender order over a whole history. */
export function checkOrder(events: Iterable<HistoryEvent>, options: Partial<CheckOptions> = {}): OrderResult {
  return runChecker(createOrderChecker, events, options);
}
