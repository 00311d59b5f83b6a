// Building one replicate request for a peer: every dirty conversation that still has something
// for it, entries from where the peer's log is known to match ours, within the entry and body
// budgets of a single request.
import type { ReplicateItem, WireEntry } from '../internal-protocol.ts';
import { isTransient, type Link, needsWork, type ShipperState } from './state.ts';

const MAX_BODY_CHARS = 4 * 1024 * 1024;
const MAX_ITEMS = 5000;

/** The items of the next request to `link`; conversations with nothing to send leave `dirty`. */
export function collectItems(state: ShipperState, link: Link): ReplicateItem[] {
  const items: ReplicateItem[] = [];
  let budget = state.maxEntries;
  let chars = 0;
  for (const conv of [...link.dirty]) {
    const src = state.opts.source(conv);
    if (src === undefined) {
      link.dirty.delete(conv);
      link.convs.delete(conv);
      continue;
    }
    if (!needsWork(state, link, conv)) {
      link.dirty.delete(conv);
      continue;
    }
    let pc = link.convs.get(conv);
    if (pc === undefined) {
      pc = { matched: null, commitSent: 0, needsMeta: false };
      link.convs.set(conv, pc);
    }
    const transient = isTransient(src, link.peer.region);
    const upTo = transient ? src.commit : src.lastSeq;
    // Unknown position: send no entries and let the follower say how much of our log it holds.
    // A transient peer (outside the residency) starts at the current commit: it gets pushes, not history.
    const start = pc.matched ?? (transient ? src.commit : src.lastSeq);
    let entries: WireEntry[] = [];
    if (start < upTo && budget > 0 && chars < MAX_BODY_CHARS) {
      entries = state.opts.readEntries(conv, start, Math.min(upTo, start + budget));
      budget -= entries.length;
      for (const e of entries) chars += e.body.length + 100;
    }
    items.push({
      conv,
      epoch: src.epoch,
      lastSeq: upTo,
      commit: src.commit,
      epochStarts: src.epochStarts,
      entries,
      transient,
      ...(pc.needsMeta ? { meta: { members: src.members, residency: src.residency } } : {}),
    });
    if (items.length >= MAX_ITEMS) break;
  }
  return items;
}
