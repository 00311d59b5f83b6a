// Conversation records from the control plane: applying one as it arrives (taking up or giving
// up the home role it names), asking the directory again when a conversation seems to have
// moved, and finding a conversation this node has not heard of yet.

import type { ConvRecord } from '../internal-protocol.ts';
import { flushAppends } from './group-commit.ts';
import { becomeHome, loseHome } from './home-role.ts';
import { type Conv, type EngineState, mono, newConv } from './state.ts';

export const onRecord = (s: EngineState, rec: ConvRecord): void => {
  flushAppends(s);
  let c = s.convs.get(rec.id);
  if (c === undefined) {
    c = newConv(rec);
    s.convs.set(rec.id, c);
    s.notFound.delete(rec.id);
  } else {
    c.members = new Set(rec.members);
    c.rec.members = rec.members;
    c.rec.residency = rec.residency;
    // An older epoch than we know (we may have heard of the new home from the home itself),
    // or an older version of the record than we already applied.
    if (rec.epoch < c.rec.epoch || rec.version < c.rec.version) {
      s.storage.upsertConversation(c.rec);
      return;
    }
    // Becoming home counts in becomeHome; here only a newer home elsewhere.
    if (rec.epoch > c.rec.epoch && rec.home !== s.myId) s.metrics.epochChanges.inc({ role: 'follower' });
    c.rec = { ...rec };
  }
  s.storage.upsertConversation(c.rec);
  if (c.rec.home === s.myId && c.homeEpoch !== c.rec.epoch) becomeHome(s, c);
  else if (c.rec.home !== s.myId && c.homeEpoch !== null) loseHome(s, c);
};

export const refresh = async (s: EngineState, c: Conv, force = false): Promise<void> => {
  const cp = s.wiring.controlPlane;
  if (cp.mode !== 'directory') return;
  const now = mono(s);
  if (!force && now < c.refreshAt) return;
  c.refreshAt = now + 250;
  try {
    const rec = await cp.fetch(c.rec.id);
    if (rec !== null) onRecord(s, rec);
  } catch {
    // The directory is unreachable; the heartbeat loop will bring news when it is back.
  }
};

export const resolveConv = async (
  s: EngineState,
  id: string,
): Promise<Conv | 'not_found' | 'unavailable'> => {
  const known = s.convs.get(id);
  if (known !== undefined) return known;
  const cp = s.wiring.controlPlane;
  if ((s.notFound.get(id) ?? 0) > mono(s) || cp.mode === 'static') return 'not_found';
  let rec: ConvRecord | null;
  try {
    rec = await cp.fetch(id);
  } catch {
    return 'unavailable';
  }
  if (rec === null) {
    if (s.notFound.size > 10_000) s.notFound.clear();
    s.notFound.set(id, mono(s) + 250);
    return 'not_found';
  }
  onRecord(s, rec);
  return s.convs.get(id) ?? 'not_found';
};
