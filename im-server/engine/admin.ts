// Read-only views of the engine for the admin API and the control plane: one conversation as this
// node holds it (details, a digest of its log for convergence checks, the log itself), what this
// node holds for an election, and counts for metrics.

import { createHash } from 'node:crypto';
import type { ConversationDigest, ConversationLogEntry } from '../../contracts/wire.ts';
import { isResident, sequencingNow } from './conv-state.ts';
import { resolveConv } from './records.ts';
import type { Conv, EngineState } from './state.ts';
import type { ConversationView } from './types.ts';

const convDetails = (s: EngineState, c: Conv): Record<string, unknown> => ({
  ...c.rec,
  resident: isResident(s, c),
  isHome: sequencingNow(s, c),
  lastSeq: c.lastSeq,
  commitSeq: c.commitSeq,
  logEpoch: c.logEpoch,
});

const digestOf = (s: EngineState, c: Conv): ConversationDigest => {
  const rows = isResident(s, c) ? s.storage.logRows(c.rec.id) : [];
  const hash = createHash('sha256');
  for (const row of rows) hash.update(`${row.cmid}\n`);
  const last = rows[rows.length - 1];
  return {
    conv: c.rec.id,
    region: s.cfg.region,
    node: s.cfg.node,
    count: rows.length,
    lastSeq: last?.seq ?? 0,
    epoch: last?.epoch ?? 0,
    hash: hash.digest('hex'),
  };
};

const logOf = (s: EngineState, c: Conv): ConversationLogEntry[] =>
  isResident(s, c) ? s.storage.logRows(c.rec.id) : [];

export const conversation = async (
  s: EngineState,
  id: string,
): Promise<ConversationView | 'not_found' | 'unavailable'> => {
  const found = await resolveConv(s, id);
  if (typeof found === 'string') return found;
  return { details: convDetails(s, found), digest: () => digestOf(s, found), log: () => logOf(s, found) };
};

export const report = (s: EngineState, conv: string): { lastSeq: number; logEpoch: number } => {
  const c = s.convs.get(conv);
  return c === undefined || !isResident(s, c)
    ? { lastSeq: 0, logEpoch: 0 }
    : { lastSeq: c.lastSeq, logEpoch: c.logEpoch };
};

export const stats = (s: EngineState): { conversations: number; homed: number; maxEpoch: number } => {
  let homed = 0;
  let maxEpoch = 0;
  for (const c of s.convs.values()) {
    if (c.homeEpoch !== null) homed++;
    maxEpoch = Math.max(maxEpoch, c.rec.epoch);
  }
  return { conversations: s.convs.size, homed, maxEpoch };
};
