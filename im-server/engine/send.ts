// A send taken to an ack or a definite answer wherever the conversation's home is: sequenced
// here when this node is the home, forwarded to the home otherwise (a client's send follows the
// home as it moves; a peer's forward is answered `not_home` or `pending` instead).

import { sleep } from '../../lib/async.ts';
import type { ForwardItem, ForwardResult } from '../internal-protocol.ts';
import { peerById, sequencingNow } from './conv-state.ts';
import { sequenceLocal } from './group-commit.ts';
import { awaitLevel } from './home-role.ts';
import { refresh, resolveConv } from './records.ts';
import { type Conv, type EngineState, mono } from './state.ts';
import type { SendOutcome } from './types.ts';

/**
 * A forward's answer, or 'moved' as soon as the conversation gets another home or epoch while
 * waiting. A home that froze answers only after the request timeout; by then the directory has
 * often named a successor, which deduplicates the send if the frozen one had replicated it.
 */
const unlessMoved = (c: Conv, work: Promise<ForwardResult>): Promise<ForwardResult | 'moved'> => {
  const home = c.rec.home;
  const epoch = c.rec.epoch;
  return new Promise((resolve, reject) => {
    const watch = setInterval(() => {
      if (c.rec.home !== home || c.rec.epoch !== epoch) {
        clearInterval(watch);
        resolve('moved');
      }
    }, 50);
    work.then(
      (r) => {
        clearInterval(watch);
        resolve(r);
      },
      (error: unknown) => {
        clearInterval(watch);
        reject(error);
      },
    );
  });
};

/** Takes one send to an ack or a definite answer, wherever the home is. */
export const submitSend = async (
  s: EngineState,
  item: ForwardItem,
  origin: 'client' | 'peer',
  deadline: number,
): Promise<SendOutcome> => {
  const resolved = await resolveConv(s, item.conv);
  if (resolved === 'not_found')
    return { kind: 'error', code: 'not_found', message: `conv: ${item.conv} does not exist` };
  if (resolved === 'unavailable') {
    return { kind: 'error', code: 'unavailable', message: 'the directory is unreachable; resend later' };
  }
  const c = resolved;
  if (!c.members.has(item.from)) {
    return { kind: 'error', code: 'forbidden', message: `${item.from} is not a member of ${item.conv}` };
  }
  let failures = 0;
  while (!s.closing) {
    if (mono(s) >= deadline) break;
    if (c.rec.home === s.myId) {
      if (sequencingNow(s, c)) {
        const stored = await sequenceLocal(s, c, item);
        const level = await awaitLevel(s, c, stored.seq, deadline);
        if (level === 'stored' || level === 'replicated') {
          return {
            kind: 'ack',
            seq: stored.seq,
            epoch: stored.epoch,
            level,
            serverTime: stored.serverTime,
          };
        }
        if (level === 'timeout') break;
        continue; // lost the home role: route again (the next home deduplicates)
      }
      await sleep(20); // waiting for the lease to be renewed or the conversation to move
      continue;
    }
    if (origin === 'peer') return { kind: 'not_home', home: c.rec.home, epoch: c.rec.epoch };
    const target = c.rec.home === null ? undefined : peerById(s, c.rec.home);
    if (target === undefined) {
      await refresh(s, c);
      await sleep(50);
      continue;
    }
    let result: ForwardResult | 'moved';
    try {
      result = await unlessMoved(c, s.wiring.forwarder.forward(target, item, deadline));
    } catch {
      s.metrics.forwards.inc({ result: 'failed' });
      failures += 1;
      await refresh(s, c, true);
      await sleep(Math.min(1000, 50 * 2 ** Math.min(failures, 5)));
      continue;
    }
    if (result === 'moved') {
      s.metrics.forwards.inc({ result: 'moved' });
      continue;
    }
    s.metrics.forwards.inc({ result: result.status });
    if (result.status === 'ack') return { kind: 'ack', ...result };
    if (result.status === 'error') return { kind: 'error', code: result.code, message: result.message };
    if (result.status === 'not_home') {
      const before = `${c.rec.home}@${c.rec.epoch}`;
      await refresh(s, c, true);
      if (`${c.rec.home}@${c.rec.epoch}` === before) await sleep(50);
    }
  }
  if (origin === 'peer') return { kind: 'pending' };
  return {
    kind: 'error',
    code: 'unavailable',
    message: 'the conversation’s home could not take the message in time; resend with the same cmid',
  };
};

/** A batch forwarded by another node: each item held until the forward hold runs out. */
export const forwarded = async (s: EngineState, items: ForwardItem[]): Promise<ForwardResult[]> => {
  const deadline = mono(s) + s.cfg.timings.forwardHoldMs;
  const outcomes = await Promise.all(items.map((item) => submitSend(s, item, 'peer', deadline)));
  return outcomes.map((o): ForwardResult => {
    if (o.kind === 'ack')
      return { status: 'ack', seq: o.seq, epoch: o.epoch, level: o.level, serverTime: o.serverTime };
    if (o.kind === 'error') return { status: 'error', code: o.code, message: o.message };
    if (o.kind === 'not_home') return { status: 'not_home', home: o.home, epoch: o.epoch };
    return { status: 'pending' };
  });
};
