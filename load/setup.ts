// The steps of a load run before the load: every user and conversation recorded and the
// conversations created on the target (a few at a time), then every user connected, spread over
// the connection ramp by one loop in bounded batches rather than one timer per user.
import { performance } from 'node:perf_hooks';
import { sleep, withTimeout } from '../lib/async.ts';
import { connectUser } from './session-events.ts';
import { type LoadContext, nextTurn, type VirtualUser, wall } from './state.ts';
import type { Workload } from './workload.ts';

const CONNECT_BATCH = 64;

/** 1. Users and conversations, before anyone connects. */
export async function createConversations(ctx: LoadContext): Promise<void> {
  const { config, state } = ctx;
  const { workload } = config;
  const setupT = wall();
  for (const u of workload.users) ctx.append({ type: 'user', t: setupT, user: u.id, region: u.region });
  if (config.target.addUsers !== undefined)
    await withTimeout(
      config.target.addUsers(workload.users.map((u) => ({ user: u.id, region: u.region }))),
      config.setupTimeoutMs,
      `adding ${workload.users.length} users`,
    );
  let nextConv = 0;
  const createWorker = async (): Promise<void> => {
    while (nextConv < workload.conversations.length && !state.aborted) {
      const c = workload.conversations[nextConv++] as Workload['conversations'][number];
      await withTimeout(
        config.target.createConversation({
          id: c.id,
          members: c.members,
          ...(c.residency ? { residency: c.residency } : {}),
        }),
        config.setupTimeoutMs,
        `creating conversation ${c.id}`,
      );
      ctx.append({
        type: 'conversation',
        t: wall(),
        conv: c.id,
        members: c.members,
        ...(c.residency ? { residency: c.residency } : {}),
      });
    }
  };
  await Promise.all(Array.from({ length: config.setupConcurrency }, createWorker));
}

/** 2. Connections, spread over the ramp by one loop rather than one timer per user. */
export async function connectUsers(ctx: LoadContext): Promise<void> {
  const { config, state } = ctx;
  const order = [...state.users.values()];
  const rampStart = performance.now();
  const spacing = order.length > 0 ? config.spec.connectRampMs / order.length : 0;
  let nextUser = 0;
  while (nextUser < order.length && !state.aborted) {
    const now = performance.now();
    let batch = 0;
    while (nextUser < order.length && rampStart + nextUser * spacing <= now && batch < CONNECT_BATCH) {
      connectUser(ctx, order[nextUser++] as VirtualUser);
      batch++;
    }
    if (nextUser >= order.length) break;
    if (batch === CONNECT_BATCH) await nextTurn();
    else await sleep(rampStart + nextUser * spacing - performance.now(), config.signal);
  }
}
