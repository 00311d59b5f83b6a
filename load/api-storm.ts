// The `api` workload: traffic over the target's request/response door (MessagingTarget.api) next
// to the sessions. A share of the scheduled sends goes over it, and members read history at a
// steady rate and in storms (everyone at once after a failover, a classic IM overload). Recorded
// as the sessions' traffic is, so the checkers judge it unchanged: an API send is a send with its
// ack or failure, and each history read is a short-lived session (`api:<user>:<n>`) that comes
// up, is delivered what the read returned (via sync), ends as a sync ends (synced or reset) and
// goes down. Every request is bounded (a target's timeout, at most one round per region and three
// rounds per send) and nothing is launched after the load stops.
import { performance } from 'node:perf_hooks';
import type { HistoryEvent } from '../contracts/history.ts';
import type { MessagingApi } from '../contracts/target.ts';
import { sleep } from '../lib/async.ts';
import { parseDuration } from '../lib/duration.ts';
import { createRandom, type Random } from '../lib/random.ts';
import { type LoadContext, settle, type VirtualUser, wall } from './state.ts';
import type { ApiWorkload, ScheduledSend } from './workload.ts';

/** How often the fetch scheduler wakes; fetches due in between go out together. */
const FETCH_TICK_MS = 50;
/** Rounds over the regions a send makes before it is indeterminate. */
const SEND_ROUNDS = 3;
/** Fetches waiting for a free slot beyond which new ones are skipped (and counted). */
const MAX_QUEUED = 100_000;

export interface ApiLoad {
  /** Whether the next scheduled send goes over the API (a seeded draw at `sendShare`). */
  takes(): boolean;
  send(item: ScheduledSend, nowMono: number): void;
  /** Starts the steady reads and the storms; call when the load starts. */
  start(): void;
  /** Launches nothing more; waits up to `waitMs` for what is in flight. */
  stop(waitMs: number): Promise<void>;
  /** Ends every read still open in the history (conn_down), before the sessions are settled. */
  close(): void;
  /** Sees every recorded event, to know the highest seq each user has seen per conversation. */
  observe(event: HistoryEvent): void;
  readonly stats: { sends: number; fetches: number; fetchFailures: number; skipped: number };
}

/** The API load of a run, or undefined when the workload asks for none; throws naming the field when the target has no API. */
export function createApiLoad(ctx: LoadContext): ApiLoad | undefined {
  const spec = ctx.config.spec.api;
  if (spec === undefined) return undefined;
  const api = ctx.config.target.api;
  if (api === undefined) {
    throw new Error(
      `workload.api: the ${ctx.config.target.name} target has no request/response API (MessagingTarget.api); remove workload.api`,
    );
  }
  return apiLoad(ctx, api, spec);
}

function apiLoad(ctx: LoadContext, api: MessagingApi, spec: ApiWorkload): ApiLoad {
  const { state } = ctx;
  const random = createRandom(ctx.config.seed).fork('api');
  const regions = ctx.config.target.regions();
  const orderFor = (home: string): string[] => [home, ...regions.filter((r) => r !== home)];
  const lastSeen = new Map<string, number>();
  /** Highest seq each user has been shown per conversation (any session), reset by a reset. */
  const seen = new Map<string, number>();
  const open = new Map<string, { user: string; region: string }>();
  const stats = { sends: 0, fetches: 0, fetchFailures: 0, skipped: 0 };
  const inFlight = new Set<Promise<void>>();
  const queue: { kind: 'send' | 'fetch'; work: () => Promise<void> }[] = [];
  let stopped = false;
  let timer: ReturnType<typeof setInterval> | undefined;
  let fetchCounter = 0;

  const launch = (kind: 'send' | 'fetch', work: () => Promise<void>): void => {
    if (inFlight.size >= spec.concurrency) {
      queue.push({ kind, work });
      return;
    }
    const p: Promise<void> = work()
      .catch(() => undefined)
      .finally(() => {
        inFlight.delete(p);
        const next = queue.shift();
        if (next !== undefined && !state.finished) launch(next.kind, next.work);
      });
    inFlight.add(p);
  };

  const fetchOne = (user: VirtualUser, conv: string): void => {
    if (queue.length >= MAX_QUEUED) {
      stats.skipped++;
      return;
    }
    launch('fetch', () => historyRead(user, conv));
  };

  async function historyRead(user: VirtualUser, conv: string): Promise<void> {
    const key = `${user.id}\u0000${conv}`;
    const afterSeq = spec.from === 'last' ? (lastSeen.get(key) ?? 0) : 0;
    for (const region of orderFor(user.region)) {
      if (state.finished || stopped) return;
      const session = `api:${user.id}:${++fetchCounter}`;
      stats.fetches++;
      open.set(session, { user: user.id, region });
      ctx.append({ type: 'conn_up', t: wall(), user: user.id, session, region });
      const seenBefore = seen.get(key) ?? 0;
      try {
        const answer = await api.history({ user: user.id, region, conv, afterSeq });
        if (!open.delete(session)) return;
        // A push of a later seq that arrived while the read was under way is no regression: the
        // read's end (synced) is then left out, as the read is behind that push, not the log.
        const overtaken = answer.seq >= seenBefore && answer.seq < (seen.get(key) ?? 0);
        recordHistory(ctx, user.id, session, conv, afterSeq, answer, overtaken);
        ctx.append({
          type: 'conn_down',
          t: wall(),
          user: user.id,
          session,
          region,
          reason: 'history read done',
        });
        if (answer.status !== 'reset') lastSeen.set(key, Math.max(lastSeen.get(key) ?? 0, answer.seq));
        else lastSeen.set(key, answer.seq);
        return;
      } catch (error) {
        stats.fetchFailures++;
        if (!open.delete(session)) return;
        const reason = `history read failed: ${(error as Error).message}`;
        ctx.append({ type: 'conn_down', t: wall(), user: user.id, session, region, reason });
      }
    }
  }

  const sendOver = createApiSender(ctx, api, orderFor);

  const tick = createFetchTicker(ctx, spec, random, fetchOne);

  return {
    stats,
    takes: () => spec.sendShare > 0 && random.next() < spec.sendShare,
    send(item, nowMono) {
      stats.sends++;
      launch('send', sendOver(item, nowMono));
    },
    start() {
      timer = setInterval(() => {
        if (!stopped && !state.aborted) tick(performance.now());
      }, FETCH_TICK_MS);
    },
    async stop(waitMs) {
      stopped = true;
      if (timer !== undefined) clearInterval(timer);
      // Reads not yet started are dropped; sends already recorded still go out.
      const sends = queue.filter((q) => q.kind === 'send');
      queue.length = 0;
      queue.push(...sends);
      const deadline = performance.now() + waitMs;
      while (inFlight.size > 0 && performance.now() < deadline) {
        await Promise.race([Promise.all(inFlight), sleep(Math.max(1, deadline - performance.now()))]);
      }
    },
    observe(e) {
      if (e.type !== 'deliver' && e.type !== 'synced' && e.type !== 'reset') return;
      const key = `${e.user}\u0000${e.conv}`;
      if (e.type === 'reset') seen.set(key, e.seq);
      else if (e.seq > (seen.get(key) ?? 0)) seen.set(key, e.seq);
    },
    close() {
      stopped = true;
      if (timer !== undefined) clearInterval(timer);
      for (const [session, { user, region }] of open) {
        ctx.append({ type: 'conn_down', t: wall(), user, session, region, reason: 'load ended' });
      }
      open.clear();
    },
  };
}

/**
 * A read's answer as a sync's events: deliveries, then synced or reset (behind, or a read a
 * concurrent push overtook, ends with neither).
 */
function recordHistory(
  ctx: LoadContext,
  user: string,
  session: string,
  conv: string,
  afterSeq: number,
  answer: Awaited<ReturnType<MessagingApi['history']>>,
  overtaken: boolean,
): void {
  const { counts } = ctx.state;
  const t = wall();
  for (const m of answer.messages) {
    counts.delivered++;
    ctx.state.windowDelivered++;
    ctx.append({
      type: 'deliver',
      t,
      user,
      session,
      conv,
      cmid: m.cmid,
      from: m.from,
      seq: m.seq,
      via: 'sync',
      region: answer.region,
    });
  }
  if (answer.status === 'synced' && !overtaken) {
    ctx.append({ type: 'synced', t, user, session, conv, afterSeq, seq: answer.seq });
  } else if (answer.status === 'reset') {
    const reason = answer.reason ?? 'reset';
    ctx.append({ type: 'reset', t, user, session, conv, seq: answer.seq, reason });
  }
}

/**
 * The send side: the `send` event now (as a session send records it, same cmid scheme), then
 * the API request region by region (home first) until an ack or a definite no; after
 * SEND_ROUNDS rounds without either it is indeterminate. Returns the work to run.
 */
function createApiSender(
  ctx: LoadContext,
  api: MessagingApi,
  orderFor: (home: string) => string[],
): (item: ScheduledSend, nowMono: number) => () => Promise<void> {
  const { state, config } = ctx;
  const padding = 'x'.repeat(config.spec.bodyBytes);
  return (item, nowMono) => {
    const user = state.users.get(item.user);
    if (user === undefined) throw new Error(`workload: schedule names unknown user ${item.user}`);
    const n = user.sends++;
    const cmid = `${user.id}-${n}`;
    const intendedAt = state.loadStartWall + item.at;
    user.intended[n] = intendedAt;
    state.counts.sent++;
    state.windowSent++;
    state.outstanding.set(cmid, { user: user.id, conv: item.conv });
    const t = state.loadStartWall + (nowMono - state.loadStartMono);
    ctx.append({ type: 'send', t, intendedAt, user: user.id, conv: item.conv, cmid });
    const body = `${cmid} ${padding}`.slice(0, Math.max(config.spec.bodyBytes, cmid.length));
    const outcome = (type: 'send_failed' | 'send_indeterminate', reason: string): void => {
      if (!settle(state, cmid)) return;
      state.counts[type === 'send_failed' ? 'failed' : 'indeterminate']++;
      ctx.append({ type, t: wall(), user: user.id, conv: item.conv, cmid, reason });
    };
    return async () => {
      let last = 'no region answered';
      for (let round = 0; round < SEND_ROUNDS; round++) {
        for (const region of orderFor(user.region)) {
          if (state.finished) return;
          try {
            const r = await api.send({ user: user.id, region, conv: item.conv, cmid, body });
            if (r.outcome === 'acked') {
              if (!settle(state, cmid)) return;
              state.counts.acked++;
              ctx.append({
                type: 'ack',
                t: wall(),
                user: user.id,
                conv: item.conv,
                cmid,
                seq: r.seq,
                ...(r.epoch === undefined ? {} : { epoch: r.epoch }),
                ...(r.level === undefined ? {} : { level: r.level }),
                region: r.region,
              });
              return;
            }
            if (r.outcome === 'failed') {
              outcome('send_failed', `${r.region}: ${r.reason}`);
              return;
            }
            last = `${r.region}: ${r.reason}`;
          } catch (error) {
            last = `${region}: ${(error as Error).message}`;
          }
        }
        await sleep(250);
      }
      outcome('send_indeterminate', `API send without an answer after ${SEND_ROUNDS} rounds (${last})`);
    };
  };
}

/**
 * The read schedule, as a function of the load's clock: `fetchRate` reads a second at a
 * constant pace (a random member, one of its conversations), and each storm's members reading
 * every conversation they are in, spread evenly over the storm's `over`.
 */
function createFetchTicker(
  ctx: LoadContext,
  spec: ApiWorkload,
  random: Random,
  fetchOne: (user: VirtualUser, conv: string) => void,
): (nowMono: number) => void {
  const { state, config } = ctx;
  const members = [...state.users.values()].filter((u) => u.conversations.length > 0);
  const storms = spec.storms.map((storm) => {
    const chosen = random.shuffle(members).slice(0, Math.round(storm.users * members.length));
    const reads = chosen.flatMap((u) => u.conversations.map((conv) => ({ user: u, conv })));
    return { at: parseDuration(storm.at), over: Math.max(1, parseDuration(storm.over)), reads, next: 0 };
  });
  let steadyDone = 0;
  return (nowMono) => {
    const elapsed = nowMono - state.loadStartMono;
    if (elapsed > config.durationMs) return;
    if (members.length > 0) {
      const due = Math.floor((elapsed * spec.fetchRate) / 1000);
      for (; steadyDone < due; steadyDone++) {
        const user = random.pick(members);
        fetchOne(user, random.pick(user.conversations));
      }
    }
    for (const storm of storms) {
      if (elapsed < storm.at || storm.next >= storm.reads.length) continue;
      const due = Math.min(
        storm.reads.length,
        Math.ceil(((elapsed - storm.at) / storm.over) * storm.reads.length),
      );
      for (; storm.next < due; storm.next++) {
        const read = storm.reads[storm.next] as { user: VirtualUser; conv: string };
        fetchOne(read.user, read.conv);
      }
    }
  };
}
