// Valid histories from a seeded random model of a correct system, for property tests and the
// benchmark: a single log per conversation (seqs assigned in ack order), every member but the
// sender gets every stored message once and in seq order, users whose region goes down fail
// over and catch up by sync, regions agree after the heal and every final log is complete.
import type { HistoryEvent } from '../../contracts/history.ts';
import { createRandom } from '../../lib/random.ts';

export interface SyntheticOptions {
  seed: number;
  regions?: string[];
  users?: number;
  conversations?: number;
  /** Members per conversation: [min, max]. */
  members?: [number, number];
  messages?: number;
  /** Mean gap between intended sends, ms. */
  gapMs?: number;
  /** Take one region down (users there fail over) for part of the load. */
  outage?: boolean;
  /** Share of conversations bound to a subset of regions. */
  residencyShare?: number;
  /** Share of sends that fail outright / end indeterminate (half of those stored anyway). */
  failShare?: number;
  indeterminateShare?: number;
}

export const T0 = 1_700_000_000_000;

interface Msg {
  conv: string;
  from: string;
  cmid: string;
  intendedAt: number;
  sendT: number;
  ackT: number;
  outcome: 'ack' | 'failed' | 'indeterminate-stored' | 'indeterminate-lost';
  seq: number;
}

export function syntheticHistory(options: SyntheticOptions): HistoryEvent[] {
  const rnd = createRandom(options.seed);
  const regions = options.regions ?? ['eu-west', 'us-east', 'ap-south'];
  const nUsers = options.users ?? 12;
  const nConvs = options.conversations ?? 4;
  const [minMembers, maxMembers] = options.members ?? [2, 4];
  const nMessages = options.messages ?? 60;
  const gapMs = options.gapMs ?? 50;
  const failShare = options.failShare ?? 0.03;
  const indetShare = options.indeterminateShare ?? 0.03;
  const out: { e: HistoryEvent; i: number }[] = [];
  let order = 0;
  const push = (e: HistoryEvent): void => {
    out.push({ e, i: order++ });
  };

  push({
    type: 'run_start',
    t: T0,
    runId: `synthetic-${options.seed}`,
    scenario: 'synthetic',
    seed: options.seed,
    regions,
  });
  const users = Array.from({ length: nUsers }, (_, i) => ({ id: `u${i}`, home: rnd.pick(regions) }));
  for (const u of users) push({ type: 'user', t: T0 + 1, user: u.id, region: u.home });
  const convs = Array.from({ length: nConvs }, (_, i) => {
    const size = Math.min(nUsers, rnd.int(minMembers, maxMembers));
    const members = rnd
      .shuffle(users)
      .slice(0, size)
      .map((u) => u.id);
    const bound = rnd.chance(options.residencyShare ?? 0.25) && regions.length > 1;
    const residency = bound ? rnd.shuffle(regions).slice(0, rnd.int(1, regions.length - 1)) : undefined;
    return { id: `c${i}`, members, residency };
  });
  for (const c of convs) {
    push({
      type: 'conversation',
      t: T0 + 2,
      conv: c.id,
      members: c.members,
      ...(c.residency !== undefined ? { residency: c.residency } : {}),
    });
  }

  const loadStart = T0 + 1000;
  const loadStop = loadStart + nMessages * gapMs + 500;
  // Outage: one region down for the middle half of the load; its users reconnect elsewhere.
  const outRegion = options.outage ? rnd.pick(regions) : undefined;
  const outStart = loadStart + (loadStop - loadStart) * 0.25;
  // Long enough for its users to fail over (0.5–1.5 s) and get going again before it heals.
  const outEnd = Math.max(loadStart + (loadStop - loadStart) * 0.75, outStart + 4000);
  const offline = new Map<string, { down: number; up: number; to: string }>();
  for (const u of users) {
    push({ type: 'conn_up', t: T0 + 100, user: u.id, session: `s-${u.id}`, region: u.home });
    if (outRegion !== undefined && u.home === outRegion) {
      const to = rnd.pick(regions.filter((r) => r !== outRegion));
      offline.set(u.id, { down: outStart + rnd.int(1, 200), up: outStart + rnd.int(500, 1500), to });
    }
  }
  push({ type: 'phase', t: loadStart, name: 'load_start' });
  if (outRegion !== undefined) {
    push({
      type: 'fault_start',
      t: outStart,
      faultId: 'f1',
      kind: 'regionOutage',
      target: outRegion,
      regions: [outRegion],
    });
    push({ type: 'fault_stop', t: outEnd, faultId: 'f1' });
    for (const [user, o] of offline) {
      const session = `s-${user}`;
      push({ type: 'conn_down', t: o.down, user, session, region: outRegion, reason: 'closed' });
      push({ type: 'failover', t: o.up - 1, user, session, from: outRegion, to: o.to });
      push({ type: 'conn_up', t: o.up, user, session, region: o.to });
    }
  }
  const isOffline = (user: string, t: number): { down: number; up: number } | undefined => {
    const o = offline.get(user);
    return o !== undefined && t >= o.down && t < o.up ? o : undefined;
  };

  const msgs: Msg[] = [];
  for (let i = 0; i < nMessages; i++) {
    const conv = rnd.pick(convs);
    const from = rnd.pick(conv.members);
    const intendedAt = loadStart + i * gapMs + rnd.next() * gapMs * 0.5;
    const sendT = intendedAt + rnd.next() * 2;
    const roll = rnd.next();
    const outcome: Msg['outcome'] =
      roll < failShare
        ? 'failed'
        : roll < failShare + indetShare
          ? rnd.chance(0.5)
            ? 'indeterminate-stored'
            : 'indeterminate-lost'
          : 'ack';
    let ackT = sendT + 5 + rnd.next() * 40;
    const off = isOffline(from, sendT) ?? isOffline(from, ackT);
    if (off !== undefined) ackT = off.up + 20 + rnd.next() * 40;
    msgs.push({ conv: conv.id, from, cmid: `m${i}`, intendedAt, sendT, ackT, outcome, seq: 0 });
  }
  // The server numbers messages in the order it stores them.
  const stored = msgs.filter((m) => m.outcome === 'ack' || m.outcome === 'indeterminate-stored');
  stored.sort((a, b) => a.ackT - b.ackT);
  const nextSeq = new Map<string, number>();
  for (const m of stored) {
    const seq = (nextSeq.get(m.conv) ?? 0) + 1;
    nextSeq.set(m.conv, seq);
    m.seq = seq;
  }

  const homeOf = new Map(users.map((u) => [u.id, u.home]));
  const logOf = new Map<string, Msg[]>(convs.map((c) => [c.id, []]));
  for (const m of stored) logOf.get(m.conv)!.push(m);
  const regionOf = (user: string, t: number): string => {
    const o = offline.get(user);
    const home = homeOf.get(user)!;
    return o !== undefined && t >= o.up ? o.to : home;
  };
  for (const m of msgs) {
    const region = regionOf(m.from, m.sendT);
    push({
      type: 'send',
      t: m.sendT,
      intendedAt: m.intendedAt,
      user: m.from,
      conv: m.conv,
      cmid: m.cmid,
      region,
    });
    if (m.outcome === 'ack') {
      push({
        type: 'ack',
        t: m.ackT,
        user: m.from,
        conv: m.conv,
        cmid: m.cmid,
        seq: m.seq,
        level: 'replicated',
      });
    } else if (m.outcome === 'failed') {
      push({
        type: 'send_failed',
        t: m.ackT,
        user: m.from,
        conv: m.conv,
        cmid: m.cmid,
        reason: 'unavailable',
      });
    } else {
      push({
        type: 'send_indeterminate',
        t: m.ackT + 3000,
        user: m.from,
        conv: m.conv,
        cmid: m.cmid,
        reason: 'timeout',
      });
    }
  }

  // Deliveries: per receiver and conversation in seq order, never earlier than the previous one.
  const lastDelivery = new Map<string, number>();
  const lastBeforeDown = new Map<string, number>();
  const convById = new Map(convs.map((c) => [c.id, c]));
  for (const m of stored) {
    for (const member of convById.get(m.conv)!.members) {
      if (member === m.from) continue;
      const key = `${member}\u0000${m.conv}`;
      let t = m.ackT + 2 + rnd.next() * 60;
      let via: 'push' | 'sync' = 'push';
      const off = isOffline(member, t);
      if (off !== undefined) {
        t = off.up + 30;
        via = 'sync';
      }
      t = Math.max(t, (lastDelivery.get(key) ?? 0) + 0.01);
      lastDelivery.set(key, t);
      const o = offline.get(member);
      if (o !== undefined && t < o.down) lastBeforeDown.set(key, m.seq);
      push({
        type: 'deliver',
        t,
        user: member,
        session: `s-${member}`,
        conv: m.conv,
        cmid: m.cmid,
        from: m.from,
        seq: m.seq,
        via,
        region: regionOf(member, t),
      });
    }
  }
  // After reconnecting, each failed-over user finishes a sync of each of its conversations.
  for (const [user, o] of offline) {
    const syncT = o.up + 400;
    for (const c of convs) {
      if (!c.members.includes(user)) continue;
      let head = 0;
      for (const m of logOf.get(c.id)!) if (m.ackT < syncT) head = m.seq;
      const before = lastBeforeDown.get(`${user}\u0000${c.id}`) ?? 0;
      push({ type: 'synced', t: syncT, user, session: `s-${user}`, conv: c.id, afterSeq: before, seq: head });
    }
  }

  push({ type: 'phase', t: loadStop, name: 'load_stop' });
  const lastAck = msgs.reduce((x, m) => Math.max(x, m.ackT + 3000), loadStop);
  const healed = lastAck + 1000;
  push({ type: 'phase', t: healed, name: 'healed' });
  for (const c of convs) {
    const log = logOf.get(c.id)!;
    const allowed = c.residency ?? regions;
    for (const region of allowed) {
      push({
        type: 'digest',
        t: healed + 200,
        region,
        conv: c.id,
        count: log.length,
        lastSeq: log.length,
        hash: `h${log.length}`,
      });
    }
  }
  push({ type: 'phase', t: healed + 300, name: 'converged' });
  push({ type: 'phase', t: healed + 400, name: 'final_reads' });
  for (const c of convs) {
    const log = logOf.get(c.id)!;
    for (const region of c.residency ?? regions) {
      push({
        type: 'final_read',
        t: healed + 500,
        region,
        conv: c.id,
        ok: true,
        messages: log.map((m) => ({ seq: m.seq, cmid: m.cmid, from: m.from })),
      });
    }
  }
  // Sessions stay up well past the delivery grace after the last ack, so every member is owed
  // every message: a dropped delivery is a loss the checkers must see.
  for (const u of users) {
    push({
      type: 'conn_down',
      t: healed + 6000,
      user: u.id,
      session: `s-${u.id}`,
      region: regionOf(u.id, healed),
      reason: 'closed',
    });
  }
  push({
    type: 'health',
    t: healed + 6100,
    sendLagP99Ms: 1,
    sendLagMaxMs: 2,
    eventLoopDelayP99Ms: 1,
    ok: true,
  });
  push({ type: 'run_end', t: healed + 6200 });
  out.sort((a, b) => a.e.t - b.e.t || a.i - b.i);
  return out.map((x) => x.e);
}
