// The engine's life around its traffic: loading the database at start (taking up the homes it
// holds in static mode), the periodic tick (ack deadlines, commit points to disk) and close
// (write what is pending, start nothing new).

import { flushAppends } from './group-commit.ts';
import { becomeHome, settleWaiters } from './home-role.ts';
import { type EngineState, newConv } from './state.ts';

export const load = (s: EngineState, staticHomes: boolean): void => {
  for (const stored of s.storage.loadConversations()) {
    const c = newConv(stored.record);
    c.lastSeq = stored.lastSeq;
    c.logEpoch = stored.logEpoch;
    c.commitSeq = Math.min(stored.commitSeq, stored.lastSeq);
    c.epochStarts = stored.epochStarts;
    // Sessions reconnecting after a restart catch up by sync; no pushes of old messages.
    c.deliveredSeq = stored.lastSeq;
    s.convs.set(c.rec.id, c);
  }
  if (staticHomes) for (const c of s.convs.values()) if (c.rec.home === s.myId) becomeHome(s, c);
};

/** The commit points that moved since the last tick, in one transaction rather than one each. */
const writeCommits = (s: EngineState): void => {
  if (s.commitDirty.size === 0) return;
  s.storage.atomically(() => {
    for (const c of s.commitDirty) s.storage.setCommit(c.rec.id, c.commitSeq);
  });
  s.commitDirty.clear();
};

export const tick = (s: EngineState): void => {
  for (const c of [...s.waitingConvs]) settleWaiters(s, c);
  writeCommits(s);
};

export const close = (s: EngineState): void => {
  s.closing = true;
  flushAppends(s);
  writeCommits(s);
};
