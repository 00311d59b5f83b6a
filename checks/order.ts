// One agreed order per conversation, in the spirit of Jepsen's Kafka checker and Elle.
// - Divergence: across every ack, every delivery and every region's final log, a conversation's
//   seq → message mapping must be a bijection. One seq holding two messages, or one message
//   holding two seqs, makes the conversation divergent; when the logs and streams then order
//   messages in a cycle, the explanation shows the shortest one.
// - Receiver order: each session's stream of a conversation goes strictly up in seq (a reset
//   restarts it from the reset seq). A repeat of a message the session already had is a
//   duplicate (duplicates.ts), not an order violation.
// - Sender order: a message sent after an earlier message of the same sender and conversation
//   was acked must get a higher seq; sends that overlapped in time may be ordered either way.

import type { HistoryEvent } from '../contracts/history.ts';
import { list, when } from './explain.ts';
import { addCount, type MetricStore } from './metrics.ts';
import { findMessage, type MessageRecord, type RunModel, relSeconds } from './model.ts';
import { type Checker, type CheckOptions, createExampleList, type Example } from './result.ts';
import { runChecker } from './run-checker.ts';
import { createSeqSlots, getSlot, type SeqSlots, setSlot } from './seq-slots.ts';

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

/** Where a seq claim was seen, for explanations. */
interface Claim {
  seq: number;
  kind: 'ack' | 'deliver' | 'log';
  /** The user acked or delivered to, or the region whose log it is. */
  who: string;
  t: number;
}

const EDGE_BASE = 2 ** 26;

function describeClaim(model: RunModel, c: Claim): string {
  if (c.kind === 'ack') return `acked to ${c.who} at seq ${c.seq} ${when(model, c.t)}`;
  if (c.kind === 'deliver') return `delivered to ${c.who} at seq ${c.seq} ${when(model, c.t)}`;
  return `at seq ${c.seq} in the final log of ${c.who}`;
}

function shortName(m: MessageRecord): string {
  return `${m.cmid} from ${m.from}`;
}

const KIND_ACK = 1;
const KIND_DELIVER = 2;
const KIND_LOG = 3;
const KINDS = ['', 'ack', 'deliver', 'log'] as const;

export function createOrderChecker(options: CheckOptions): Checker<OrderResult> {
  // First seq claim of each message, by message id, in parallel arrays (no object per message).
  // (claimKind says whether a message has a claim; the other arrays are read only where it has.)
  // Stryker disable next-line ArrayDeclaration: slot 0 is written together with claimKind[0] before any read
  const claimSeq: number[] = [];
  const claimKind: number[] = [];
  // Stryker disable next-line ArrayDeclaration: slot 0 is written together with claimKind[0] before any read
  const claimWho: string[] = [];
  // Stryker disable next-line ArrayDeclaration: slot 0 is written together with claimKind[0] before any read
  const claimT: number[] = [];
  /** The first claim of a message that has one. */
  const claimAt = (id: number): Claim => ({
    seq: claimSeq[id] as number,
    kind: KINDS[claimKind[id] as number] as Claim['kind'],
    who: claimWho[id] as string,
    t: claimT[id] as number,
  });
  /** Per conversation: seq → id of the first message claiming it. */
  const holderOf = new Map<string, SeqSlots<number>>();
  const conflictKeys = new Set<string>();
  const divergent = new Map<string, Example>();
  /** Per divergent conversation: messages in conflicts, where a cycle search starts. */
  const conflicted = new Map<string, number[]>();
  /**
   * Per session, per conversation: the highest seq delivered and the message delivered at it
   * (`top`, for explanations), and the message delivered last (`id`, for cycle edges); -1 after a reset.
   */
  const streams = new Map<string, Map<string, { seq: number; top: number; id: number }>>();
  /**
   * Per divergent conversation: receiver edges (before → after) and who saw them, for cycle
   * explanations. Only kept once a conversation is known to diverge: a valid history pays nothing.
   */
  const streamEdges = new Map<string, Map<number, string>>();
  const examples = createExampleList(options.maxExamples);
  let receiverInversions = 0;
  let seqConflicts = 0;

  const conflict = (
    model: RunModel,
    m: MessageRecord,
    seq: number,
    kind: number,
    who: string,
    t: number,
  ): void => {
    const id = m.id;
    if (claimKind[id] === undefined) {
      claimSeq[id] = seq;
      claimKind[id] = kind;
      claimWho[id] = who;
      claimT[id] = t;
    } else if (claimSeq[id] !== seq) {
      const key = `m${id}\u0000${seq}`;
      if (!conflictKeys.has(key)) {
        conflictKeys.add(key);
        seqConflicts++;
        const claim: Claim = { seq, kind: KINDS[kind] as Claim['kind'], who, t };
        noteDivergent(
          m.conv,
          () =>
            `Message ${m.cmid} from ${m.from} in ${m.conv} holds two seqs: ${describeClaim(model, claimAt(id))}, and ${describeClaim(model, claim)}.`,
          m,
          claim,
          model,
        );
      }
    }
    let holders = holderOf.get(m.conv);
    if (holders === undefined) {
      holders = createSeqSlots();
      holderOf.set(m.conv, holders);
    }
    const holder = getSlot(holders, seq);
    if (holder === undefined) {
      setSlot(holders, seq, id);
    } else if (holder !== id) {
      const key = `s${seq}\u0000${m.conv}\u0000${id}`;
      if (!conflictKeys.has(key)) {
        conflictKeys.add(key);
        seqConflicts++;
        const claim: Claim = { seq, kind: KINDS[kind] as Claim['kind'], who, t };
        // Only the conversation's first conflict is explained, and then the holder's first claim
        // is this seq: a holder first claimed at another seq would have been a conflict already.
        noteDivergent(
          m.conv,
          () =>
            `Conversation ${m.conv} has two messages at seq ${seq}: ${shortName(model.messages[holder]!)} (${describeClaim(model, claimAt(holder))}), and ${shortName(m)} (${describeClaim(model, claim)}).`,
          m,
          claim,
          model,
        );
      }
    }
  };

  const noteDivergent = (
    conv: string,
    message: () => string,
    m: MessageRecord,
    claim: Claim,
    model: RunModel,
  ): void => {
    const ids = conflicted.get(conv);
    if (ids === undefined) conflicted.set(conv, [m.id]);
    else if (ids.length < 50 && !ids.includes(m.id)) ids.push(m.id);
    if (divergent.has(conv)) return;
    streamEdges.set(conv, new Map());
    divergent.set(conv, {
      check: 'divergence',
      message: message(),
      conv,
      cmid: m.cmid,
      from: m.from,
      ...(claim.kind === 'log' ? { region: claim.who } : { user: claim.who }),
      t: relSeconds(model, claim.t),
    });
  };

  return {
    name: 'order',
    add(e: HistoryEvent, model: RunModel) {
      if (e.type === 'ack') {
        conflict(model, model.current!, e.seq, KIND_ACK, e.user, e.t);
      } else if (e.type === 'deliver') {
        const m = model.current!;
        conflict(model, m, e.seq, KIND_DELIVER, e.user, e.t);
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
        const edges = streamEdges.get(e.conv);
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
          if (m !== undefined) conflict(model, m, entry.seq, KIND_LOG, e.region, e.t);
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

      const divergentExamples: Example[] = [];
      for (const [conv, first] of divergent) {
        if (divergentExamples.length >= options.maxExamples) break;
        const cycle = findCycle(model, conv, streamEdges.get(conv)!, conflicted.get(conv)!);
        if (cycle !== undefined) {
          divergentExamples.push({ check: 'divergence', message: cycle, conv });
        } else {
          divergentExamples.push(first);
        }
      }

      addCount(metrics, 'order_violations', receiverInversions + senderInversions);
      addCount(metrics, 'divergent_conversations', divergent.size);
      return {
        orderViolations: receiverInversions + senderInversions,
        receiverInversions,
        senderInversions,
        divergentConversations: divergent.size,
        seqConflicts,
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
  const groups = new Map<string, MessageRecord[]>();
  for (const m of model.messages) {
    if (!m.acked || Number.isNaN(m.sendT)) continue;
    const key = `${m.from}\u0000${m.conv}`;
    const g = groups.get(key);
    if (g === undefined) groups.set(key, [m]);
    else g.push(m);
  }
  let inversions = 0;
  for (const g of groups.values()) {
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

/**
 * The shortest cycle among a divergent conversation's orderings (each region's final log in
 * seq order, each receiver's stream), explained edge by edge; undefined when there is none.
 */
function findCycle(
  model: RunModel,
  conv: string,
  stream: Map<number, string>,
  starts: number[],
): string | undefined {
  const label = new Map<number, string>();
  const reads = model.finalReads.get(conv);
  if (reads !== undefined) {
    for (const read of reads.values()) {
      if (!read.ok) continue;
      const ids = read.messages
        .slice()
        .sort((a, b) => a.seq - b.seq)
        .flatMap((entry) => findMessage(model, conv, entry.from, entry.cmid)?.id ?? []);
      // Stryker disable next-line EqualityOperator: one step past the end makes a NaN edge, which no message's cycle reaches
      for (let i = 1; i < ids.length; i++) {
        if (ids[i - 1] === ids[i]) continue;
        const edge = ids[i - 1]! * EDGE_BASE + ids[i]!;
        if (!label.has(edge)) label.set(edge, `the final log of ${read.region} puts`);
      }
    }
  }
  for (const [edge, user] of stream) if (!label.has(edge)) label.set(edge, `${user} received`);

  const adj = new Map<number, number[]>();
  for (const edge of label.keys()) {
    const a = Math.floor(edge / EDGE_BASE);
    const b = edge % EDGE_BASE;
    const out = adj.get(a);
    if (out === undefined) adj.set(a, [b]);
    else out.push(b);
  }
  // Breadth-first from each conflicting message finds the shortest cycle through it; a cycle
  // that proves divergence passes through a message whose place differs between orderings.
  // Each search after the first only looks for a cycle shorter than the best so far.
  let bestCycle: number[] | undefined;
  for (const start of starts) {
    const maxLength = bestCycle === undefined ? Number.POSITIVE_INFINITY : bestCycle.length - 1;
    const cycle = shortestCycleThrough(adj, start, maxLength);
    if (cycle !== undefined) bestCycle = cycle;
  }
  if (bestCycle === undefined) return undefined;
  // Start at the earliest message so the same history always reads the same way.
  const first = bestCycle.indexOf(Math.min(...bestCycle));
  bestCycle = [...bestCycle.slice(first), ...bestCycle.slice(0, first)];
  const steps: string[] = [];
  for (let i = 0; i < bestCycle.length; i++) {
    const a = bestCycle[i]!;
    const b = bestCycle[(i + 1) % bestCycle.length]!;
    const ma = model.messages[a]!;
    const mb = model.messages[b]!;
    steps.push(`${label.get(a * EDGE_BASE + b)} ${ma.cmid} before ${mb.cmid}`);
  }
  return `Conversation ${conv} has no single order: ${list(steps, 6)}.`;
}

/** The shortest cycle through `start` if it has at most `maxLength` messages, else undefined. */
function shortestCycleThrough(
  adj: Map<number, number[]>,
  start: number,
  maxLength: number,
): number[] | undefined {
  const parent = new Map<number, number>();
  const depth = new Map<number, number>([[start, 0]]);
  let frontier = [start];
  while (frontier.length > 0) {
    const next: number[] = [];
    for (const node of frontier) {
      const d = depth.get(node)!;
      if (d + 1 > maxLength) return undefined;
      const out = adj.get(node);
      if (out === undefined) continue;
      for (const to of out) {
        if (to === start) {
          const path = [node];
          let cur = node;
          while (cur !== start) {
            cur = parent.get(cur)!;
            path.push(cur);
          }
          return path.reverse();
        }
        if (depth.has(to)) continue;
        depth.set(to, d + 1);
        parent.set(to, node);
        next.push(to);
      }
    }
    frontier = next;
  }
  return undefined;
}

/** Divergence, receiver order and sender order over a whole history. */
export function checkOrder(events: Iterable<HistoryEvent>, options: Partial<CheckOptions> = {}): OrderResult {
  return runChecker(createOrderChecker, events, options);
}
