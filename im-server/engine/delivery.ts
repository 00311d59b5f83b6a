// Delivery to this node's own sessions: committed entries are pushed as `msg` frames in seq
// order, from the entries kept in memory when they are there and from storage when they are not.
// Nothing above what conv-state.ts calls deliverable is pushed.

import type { MsgFrame } from '../../contracts/wire.ts';
import type { WireEntry } from '../internal-protocol.ts';
import { deliverable, isResident } from './conv-state.ts';
import type { Conv, EngineState } from './state.ts';
import { pushTraced } from './traces.ts';

/** The `msg` frame of a committed entry, as pushed live or sent in answer to a sync. */
export const msgFrame = (conv: string, e: WireEntry): MsgFrame => ({
  type: 'msg',
  conv,
  epoch: e.epoch,
  seq: e.seq,
  from: e.from,
  cmid: e.cmid,
  body: e.body,
  serverTime: e.serverTime,
});

export const push = (s: EngineState, c: Conv, e: WireEntry): void => {
  const text = JSON.stringify(msgFrame(c.rec.id, e));
  const sent =
    s.tracing === null || e.traceparent === undefined
      ? s.pushToMembers(c.members, text)
      : pushTraced(s, c.rec.id, c.members, { ...e, traceparent: e.traceparent }, text);
  if (sent > 0) s.metrics.delivered.inc({ via: 'push' }, sent);
};

export const deliver = (s: EngineState, c: Conv): void => {
  if (!isResident(s, c)) return;
  const upTo = deliverable(s, c);
  while (c.deliveredSeq < upTo) {
    const next = c.undelivered[0];
    if (next !== undefined && next.seq <= c.deliveredSeq) {
      c.undelivered.shift();
      continue;
    }
    if (next !== undefined && next.seq === c.deliveredSeq + 1) {
      c.undelivered.shift();
      push(s, c, next);
      c.deliveredSeq = next.seq;
      continue;
    }
    const rows = s.storage.range(c.rec.id, c.deliveredSeq, Math.min(upTo, c.deliveredSeq + 1000));
    if (rows.length === 0) break;
    for (const row of rows) push(s, c, row);
    c.deliveredSeq = rows[rows.length - 1]!.seq;
  }
  if (c.undelivered.length > 0 && c.undelivered[0]!.seq <= c.deliveredSeq) {
    c.undelivered = c.undelivered.filter((e) => e.seq > c.deliveredSeq);
  }
};
