// Syncs: a client's (answered from this node's copy where its region keeps one, from the home's
// otherwise) and a peer's on behalf of its client. The answer carries committed messages only,
// then says whether that is everything (synced), all this node can vouch for (behind) or whether
// the client's position is not part of the log (reset). A node that is not current waits a while
// for the home before answering `behind`.

import { describeIssues } from '../../contracts/errors.ts';
import { sleep } from '../../lib/async.ts';
import { requestJson } from '../http.ts';
import { InternalSyncResponse } from '../internal-protocol.ts';
import { errorMessage } from '../log.ts';
import { PEER_HEADER } from '../token.ts';
import { deliverable, followerCurrent, isResident, peerById, sequencingNow } from './conv-state.ts';
import { refresh, resolveConv } from './records.ts';
import { type Conv, type EngineState, mono } from './state.ts';
import type { SyncOutcome } from './types.ts';

export const clientSync = async (
  s: EngineState,
  user: string,
  conv: string,
  afterSeq: number,
  /** Read at most this many messages (a history page); absent: all. */
  limit?: number,
): Promise<SyncOutcome> => {
  const resolved = await resolveConv(s, conv);
  if (resolved === 'not_found') {
    return {
      status: 'error',
      code: 'not_found',
      seq: 0,
      messages: [],
      reason: `conv: ${conv} does not exist`,
    };
  }
  if (resolved === 'unavailable') {
    return {
      status: 'error',
      code: 'unavailable',
      seq: 0,
      messages: [],
      reason: 'the directory is unreachable; sync again later',
    };
  }
  if (!resolved.members.has(user)) {
    return {
      status: 'error',
      code: 'forbidden',
      seq: 0,
      messages: [],
      reason: `${user} is not a member of ${conv}`,
    };
  }
  const outcome = isResident(s, resolved)
    ? await localSync(s, resolved, afterSeq, limit)
    : await remoteSync(s, resolved, afterSeq, user);
  // Bug knob: silently drop the first message of every non-empty answer.
  if (s.cfg.bugs.has('drop-sync') && outcome.messages.length > 0) outcome.messages.shift();
  return outcome;
};

export const internalSync = async (
  s: EngineState,
  conv: string,
  afterSeq: number,
  user: string,
): Promise<SyncOutcome> => {
  const c = s.convs.get(conv);
  if (c === undefined || !isResident(s, c)) return { status: 'not_home', seq: 0, messages: [] };
  if (!c.members.has(user)) {
    return { status: 'error', code: 'forbidden', seq: 0, messages: [], reason: 'not a member' };
  }
  return localSync(s, c, afterSeq);
};

const localSync = async (
  s: EngineState,
  c: Conv,
  afterSeq: number,
  limit = Number.POSITIVE_INFINITY,
): Promise<SyncOutcome> => {
  const deadline = mono(s) + s.cfg.timings.syncWaitMs;
  // A log is contiguous from seq 1, so a page of `limit` ends at afterSeq + limit: reading only
  // that far makes a page from anywhere cost what the last page does.
  const read = (upTo: number) =>
    afterSeq < upTo ? s.storage.range(c.rec.id, afterSeq, Math.min(upTo, afterSeq + limit)) : [];
  while (true) {
    const now = mono(s);
    if (sequencingNow(s, c)) {
      const upTo = c.commitSeq;
      if (afterSeq > c.lastSeq) {
        return {
          status: 'reset',
          seq: upTo,
          messages: [],
          reason: `the log ends at seq ${c.lastSeq}; seq ${afterSeq} is not part of it`,
        };
      }
      if (afterSeq > upTo && now < deadline) {
        await sleep(20);
        continue;
      }
      return {
        status: 'synced',
        seq: upTo,
        messages: read(upTo),
      };
    }
    const upTo = deliverable(s, c);
    const current = followerCurrent(s, c);
    if (current && afterSeq <= upTo) {
      return {
        status: 'synced',
        seq: upTo,
        messages: read(upTo),
      };
    }
    if (now < deadline && !s.closing) {
      await sleep(20);
      continue;
    }
    return {
      status: 'behind',
      seq: upTo,
      messages: read(upTo),
      reason: current
        ? `this node holds up to seq ${upTo}`
        : 'this node is not in contact with the conversation’s home',
    };
  }
};

const remoteSync = async (s: EngineState, c: Conv, afterSeq: number, user: string): Promise<SyncOutcome> => {
  const deadline = mono(s) + s.cfg.timings.syncWaitMs;
  while (c.rec.home === null && mono(s) < deadline) {
    await refresh(s, c);
    await sleep(50);
  }
  const target = c.rec.home === null ? undefined : peerById(s, c.rec.home);
  if (target === undefined) {
    return { status: 'error', code: 'unavailable', seq: 0, messages: [], reason: 'no home to read from' };
  }
  try {
    const res = await requestJsonPeer(s, `${target.url}/internal/sync`, { conv: c.rec.id, afterSeq, user });
    const parsed = InternalSyncResponse.safeParse(res);
    if (!parsed.success) throw new Error(describeIssues(parsed.error));
    if (parsed.data.status === 'not_home') {
      void refresh(s, c, true);
      return {
        status: 'error',
        code: 'unavailable',
        seq: 0,
        messages: [],
        reason: 'the home moved; sync again',
      };
    }
    return parsed.data;
  } catch (error) {
    return {
      status: 'error',
      code: 'unavailable',
      seq: 0,
      messages: [],
      reason: `home unreachable: ${errorMessage(error)}`,
    };
  }
};

const requestJsonPeer = async (s: EngineState, url: string, body: unknown): Promise<unknown> => {
  const res = await requestJson(url, {
    body,
    timeoutMs: s.cfg.timings.peerTimeoutMs,
    headers: { [PEER_HEADER]: s.cfg.peerKey },
    agent: s.agent,
  });
  if (res.status !== 200) throw new Error(`status ${res.status}`);
  return res.body;
};
