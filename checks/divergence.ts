// Divergence, the half of the order check that needs every source at once: across acks,
// deliveries and final logs, a conversation's seq → message mapping must be a bijection. This
// module keeps each message's first seq claim and each seq's first holder, counts conflicts,
// and explains a divergent conversation by the shortest cycle among its orderings.

import { list, when } from './explain.ts';
import { findMessage, type MessageRecord, type RunModel, relSeconds } from './model.ts';
import type { Example } from './result.ts';
import { createSeqSlots, getSlot, type SeqSlots, setSlot } from './seq-slots.ts';

/** Where a seq claim was seen, for explanations. */
interface Claim {
  seq: number;
  kind: 'ack' | 'deliver' | 'log';
  /** The user acked or delivered to, or the region whose log it is. */
  who: string;
  t: number;
}

export const EDGE_BASE = 2 ** 26;

function describeClaim(model: RunModel, c: Claim): string {
  if (c.kind === 'ack') return `acked to ${c.who} at seq ${c.seq} ${when(model, c.t)}`;
  if (c.kind === 'deliver') return `delivered to ${c.who} at seq ${c.seq} ${when(model, c.t)}`;
  return `at seq ${c.seq} in the final log of ${c.who}`;
}

function shortName(m: MessageRecord): string {
  return `${m.cmid} from ${m.from}`;
}

export const KIND_ACK = 1;
export const KIND_DELIVER = 2;
export const KIND_LOG = 3;
const KINDS = ['', 'ack', 'deliver', 'log'] as const;

export interface DivergenceTracker {
  /**
   * Notes that message `m` was seen at `seq` (by an ack, a delivery or a final log, `kind`);
   * a second seq for the message, or a second message at the seq, is a conflict.
   */
  claim(model: RunModel, m: MessageRecord, seq: number, kind: number, who: string, t: number): void;
  /** Receiver edges of a conversation known to diverge (before * EDGE_BASE + after → user), else undefined. */
  edgesOf(conv: string): Map<number, string> | undefined;
  /** One example per divergent conversation, up to `maxExamples`: its shortest cycle, else its first conflict. */
  examples(model: RunModel, maxExamples: number): Example[];
  /** Conversations with at least one seq conflict. */
  divergentConversations(): number;
  /** Distinct seq conflicts. */
  seqConflicts(): number;
}

export function createDivergenceTracker(): DivergenceTracker {
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
   * Per divergent conversation: receiver edges (before → after) and who saw them, for cycle
   * explanations. Only kept once a conversation is known to diverge: a valid history pays nothing.
   */
  const streamEdges = new Map<string, Map<number, string>>();
  const counts = { seqConflicts: 0 };

  const claim = (
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
        counts.seqConflicts++;
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
        counts.seqConflicts++;
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
    claim,
    edgesOf: (conv) => streamEdges.get(conv),
    examples(model, maxExamples) {
      const options = { maxExamples };
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
      return divergentExamples;
    },
    divergentConversations: () => divergent.size,
    seqConflicts: () => counts.seqConflicts,
  };
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
