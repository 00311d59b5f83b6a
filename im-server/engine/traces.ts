// Where the engine meets the node's tracing (../tracing.ts): the sequence span of a traced
// message at its home, the traceparent remembered per (conversation, seq) so replication can
// carry it (entries read back from storage have none), the replicate span at a peer and the
// deliver span per recipient session. Every caller checks `s.tracing !== null` (and that the
// message carries a traceparent) first, so with tracing off none of this runs.
import type { ForwardItem, ReplicateItem, ReplicateItemResult, WireEntry } from '../internal-protocol.ts';
import type { MessageSpan } from '../tracing.ts';
import type { EngineState, RememberedTraces } from './state.ts';

/**
 * Traceparents kept for shipping, in two generations: when the newer holds this many, the older
 * is dropped and the newer takes its place (a peer that far behind gets those entries untraced).
 * Cheaper than evicting one by one from a Map, whose deleted slots its iterator walks over.
 */
const GENERATION = 5_000;

const key = (conv: string, seq: number): string => `${conv}\u0000${seq}`;

const remember = (m: RememberedTraces, k: string, traceparent: string): void => {
  if (m.current.size >= GENERATION) {
    m.previous = m.current;
    m.current = new Map();
  }
  m.current.set(k, traceparent);
};

/** Opens the sequence span of `entry` (its context replaces the client's on the entry). */
export const startSequenceSpan = (
  s: EngineState,
  conv: string,
  item: ForwardItem & { traceparent: string },
  entry: WireEntry,
): MessageSpan | undefined => {
  const span = s.tracing?.start('sequence', item.traceparent, conv, {
    'messaging.message.id': item.cmid,
    'chatquake.sender': item.from,
    'chatquake.seq': entry.seq,
    'chatquake.epoch': entry.epoch,
    'chatquake.node': s.myId,
  });
  if (span === undefined) return undefined;
  entry.traceparent = span.traceparent;
  remember(s.traceparents, key(conv, entry.seq), span.traceparent);
  return span;
};

/** The entries to ship, each traced one carrying its sequence span's traceparent again. */
export const withTraceparents = (s: EngineState, conv: string, entries: WireEntry[]): WireEntry[] => {
  const { current, previous } = s.traceparents;
  if (current.size === 0) return entries;
  for (const e of entries) {
    const k = key(conv, e.seq);
    const tp = current.get(k) ?? previous.get(k);
    if (tp !== undefined) e.traceparent = tp;
  }
  return entries;
};

/**
 * Applies a replicated item inside a replicate span per traced entry; each entry then carries
 * its replicate span's context, so delivery here is that span's child.
 */
export const traceReplicated = (
  s: EngineState,
  from: string,
  item: ReplicateItem,
  apply: () => ReplicateItemResult,
): ReplicateItemResult => {
  const spans: MessageSpan[] = [];
  for (const e of item.entries) {
    if (e.traceparent === undefined) continue;
    const span = s.tracing?.start('replicate', e.traceparent, item.conv, {
      'messaging.message.id': e.cmid,
      'chatquake.sender': e.from,
      'chatquake.seq': e.seq,
      'chatquake.epoch': e.epoch,
      'chatquake.node': s.myId,
      'chatquake.home': from,
      'chatquake.transient': item.transient ? 1 : 0,
    });
    if (span === undefined) continue;
    e.traceparent = span.traceparent;
    spans.push(span);
  }
  const result = apply();
  for (const span of spans) span.end({ 'chatquake.replicate.status': result.status });
  return result;
};

/** Pushes a traced entry's frame with one deliver span per session that got it. */
export const pushTraced = (
  s: EngineState,
  conv: string,
  members: ReadonlySet<string>,
  e: WireEntry & { traceparent: string },
  text: string,
): number =>
  s.pushToMembers(members, text, (user) => {
    s.tracing
      ?.start('deliver', e.traceparent, conv, {
        'messaging.message.id': e.cmid,
        'chatquake.sender': e.from,
        'chatquake.seq': e.seq,
        'chatquake.recipient': user,
        'chatquake.node': s.myId,
      })
      ?.end();
  });
