// The per-conversation engine of a node: sequencing at the home (group commit, deduplication,
// acks at the configured level), forwarding elsewhere, applying a home's log as a follower (log
// matching, truncation of divergent tails, fencing by epoch), delivering committed messages and
// answering syncs. It owns no sockets: sessions.ts turns frames into calls here and node-http.ts
// exposes the peer and admin endpoints. docs/CONSISTENCY.md explains the rules enforced here.
// This file composes the parts in engine/, each a set of functions over the shared EngineState
// (engine/state.ts): conv-state, delivery, home-role, group-commit, records, send, follower,
// sync, admin and lifecycle.

import { conversation, report, stats } from './engine/admin.ts';
import { onFenced, replicate } from './engine/follower.ts';
import { commitMatters, onProgress, recentEntries, shipSource } from './engine/home-role.ts';
import { close, load, tick } from './engine/lifecycle.ts';
import { onRecord } from './engine/records.ts';
import { forwarded, submitSend } from './engine/send.ts';
import { createState } from './engine/state.ts';
import { clientSync, internalSync } from './engine/sync.ts';
import { withTraceparents } from './engine/traces.ts';
import type { Engine, EngineDeps } from './engine/types.ts';

export type {
  ConversationView,
  Engine,
  EngineConfig,
  EngineDeps,
  EngineTimings,
  EngineWiring,
  SendOutcome,
  SyncOutcome,
} from './engine/types.ts';

export function createEngine(deps: EngineDeps): Engine {
  const s = createState(deps);
  return {
    attach(wiring) {
      s.wiring = { ...wiring };
    },
    onRecord: (rec) => onRecord(s, rec),
    knownRecord: (conv) => s.convs.get(conv)?.rec,
    report: (conv) => report(s, conv),
    clientSend: (item, deadline) => submitSend(s, item, 'client', deadline),
    clientSync: (user, conv, afterSeq, limit) => clientSync(s, user, conv, afterSeq, limit),
    forwarded: (items) => forwarded(s, items),
    replicate: (request) => replicate(s, request),
    internalSync: (conv, afterSeq, user) => internalSync(s, conv, afterSeq, user),
    conversation: (id) => conversation(s, id),
    shipSource: (conv) => shipSource(s, conv),
    recentEntries: (conv, afterSeq, upToSeq) => recentEntries(s, conv, afterSeq, upToSeq),
    withTraceparents: (conv, entries) => withTraceparents(s, conv, entries),
    commitMatters: (src, region) => commitMatters(s, src, region),
    onProgress: (conv) => onProgress(s, conv),
    onFenced: (conv, epoch) => onFenced(s, conv, epoch),
    stats: () => stats(s),
    load: (staticHomes) => load(s, staticHomes),
    tick: () => tick(s),
    close: () => close(s),
  };
}
