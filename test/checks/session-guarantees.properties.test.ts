// Property tests for the session-guarantees checker: over random interleavings of acks,
// reconnects, resets, deliveries and syncs, its read-your-writes and monotonic-read counts
// equal those of a direct statement of each guarantee, and its silent gaps equal the runs of
// unannounced missing seqs between received ones, however the deliveries were ordered and
// however large the seqs are.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkSessionGuarantees } from '../../checks/session-guarantees.ts';
import { type Builder, history, sorted } from './fixtures.ts';

const USERS = ['u1', 'u2'] as const;
const CONVS = ['c1', 'c2'] as const;
const REGIONS = ['eu-west', 'us-east'] as const;

type Action =
  | { kind: 'ack'; user: string; conv: string; seq: number }
  | { kind: 'reconnect'; user: string; region: string }
  | { kind: 'reset'; user: string; conv: string; seq: number }
  | { kind: 'deliver'; user: string; conv: string; seq: number }
  | { kind: 'sync'; user: string; conv: string; afterSeq: number; seq: number };

const user = fc.constantFrom(...USERS);
const conv = fc.constantFrom(...CONVS);
const seq = fc.integer({ min: 0, max: 25 });

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('ack' as const), user, conv, seq }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('reconnect' as const),
      user,
      region: fc.constantFrom(...REGIONS),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reset' as const), user, conv, seq }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deliver' as const), user, conv, seq }) },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('sync' as const), user, conv, afterSeq: seq, seq }),
  },
);

/** The actions as a history: every user connected from +0.1 s, one action every 100 ms. */
function toHistory(actions: Action[]): Builder {
  const b = history().start();
  for (const u of USERS) b.up(u, 'eu-west', 0.1);
  actions.forEach((a, i) => {
    const s = 1 + i * 0.1;
    switch (a.kind) {
      case 'ack':
        b.send(a.user, a.conv, `a${i}`, s).ack(a.user, a.conv, `a${i}`, a.seq, s + 0.01);
        break;
      case 'reconnect':
        b.down(a.user, 'eu-west', s).up(a.user, a.region, s + 0.05);
        break;
      case 'reset':
        b.reset(a.user, a.conv, a.seq, s);
        break;
      case 'deliver':
        // From a user that never syncs: no one ever gets its own message back.
        b.deliver(a.user, a.conv, 'u9', `d${i}`, a.seq, s);
        break;
      case 'sync':
        b.synced(a.user, a.conv, a.afterSeq, a.seq, s);
        break;
    }
  });
  return b.end(1 + actions.length * 0.1 + 1);
}

/**
 * The two guarantees stated directly. Read-your-writes: a sync must report at least the
 * highest seq of the user's acks in that conversation from before its connection opened,
 * unless a reset came on that connection. Monotonic reads: a sync must report at least the
 * highest seq the user saw since the last reset.
 */
function expected(actions: Action[]): { ryw: number; mono: number } {
  const acks = new Map<string, { conv: string; seq: number }[]>();
  const acksAtConnUp = new Map<string, number>();
  const seen = new Map<string, number>();
  const excused = new Set<string>();
  let ryw = 0;
  let mono = 0;
  for (const a of actions) {
    const key = `${a.user}/${'conv' in a ? a.conv : ''}`;
    const own = acks.get(a.user) ?? [];
    acks.set(a.user, own);
    if (a.kind === 'ack') own.push({ conv: a.conv, seq: a.seq });
    else if (a.kind === 'reconnect') {
      acksAtConnUp.set(a.user, own.length);
      for (const c of CONVS) excused.delete(`${a.user}/${c}`);
    } else if (a.kind === 'reset') {
      seen.set(key, a.seq);
      excused.add(key);
    } else if (a.kind === 'deliver') seen.set(key, Math.max(seen.get(key) ?? -1, a.seq));
    else {
      const before = seen.get(key) ?? -1;
      if (a.seq < before) mono++;
      else seen.set(key, a.seq);
      if (excused.has(key)) continue;
      const required = own
        .slice(0, acksAtConnUp.get(a.user) ?? 0)
        .filter((x) => x.conv === a.conv)
        .reduce((max, x) => Math.max(max, x.seq), -1);
      if (a.seq < required) ryw++;
    }
  }
  return { ryw, mono };
}

describe('session guarantees against their direct statement', () => {
  it('count exactly the syncs that miss an ack from before their connection, or go below what the user saw', () => {
    fc.assert(
      fc.property(fc.array(action, { minLength: 1, maxLength: 120 }), (actions) => {
        const r = checkSessionGuarantees(toHistory(actions).events);
        const want = expected(actions);
        expect({ ryw: r.readYourWritesViolations, mono: r.monotonicReadViolations }).toEqual(want);
      }),
      { numRuns: 300, seed: 2020 },
    );
  });

  it('judge long runs of acks between reconnects exactly (many acks per conversation)', () => {
    const acksHeavy = fc.array(
      fc.oneof(
        { weight: 12, arbitrary: fc.record({ kind: fc.constant('ack' as const), user, conv, seq }) },
        {
          weight: 1,
          arbitrary: fc.record({
            kind: fc.constant('reconnect' as const),
            user,
            region: fc.constantFrom(...REGIONS),
          }),
        },
        {
          weight: 2,
          arbitrary: fc.record({ kind: fc.constant('sync' as const), user, conv, afterSeq: seq, seq }),
        },
      ),
      { minLength: 20, maxLength: 200 },
    );
    fc.assert(
      fc.property(acksHeavy, (actions) => {
        const r = checkSessionGuarantees(toHistory(actions).events);
        expect(r.readYourWritesViolations).toBe(expected(actions).ryw);
      }),
      { numRuns: 150, seed: 2021 },
    );
  });
});

/** Who holds each seq 1..n of c1, as u2 sees it, and what u2 received. */
interface GapCase {
  base: number;
  /** Per seq: its sender ('u2' is the user under test), 'final' for a message only a final log names, or 'none'. */
  holders: ('u1' | 'u2' | 'u3' | 'final' | 'none')[];
  received: boolean[];
  /** The order u2 received its seqs in: a permutation key per seq. */
  order: number[];
  resets: number[];
}

const gapCase: fc.Arbitrary<GapCase> = fc.integer({ min: 1, max: 40 }).chain((n) =>
  fc.record({
    base: fc.constantFrom(0, 1_000_000_000),
    holders: fc.array(
      fc.constantFrom(
        'u1' as const,
        'u1' as const,
        'u3' as const,
        'u2' as const,
        'final' as const,
        'none' as const,
      ),
      {
        minLength: n,
        maxLength: n,
      },
    ),
    received: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
    order: fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: n, maxLength: n }),
    resets: fc.array(fc.integer({ min: 0, max: n }), { maxLength: 2 }),
  }),
);

function gapHistory(c: GapCase): Builder {
  const b = history().start().up('u2', 'eu-west', 0.1);
  const finalLog: [number, string, string][] = [];
  c.holders.forEach((holder, i) => {
    const q = c.base + i + 1;
    if (holder === 'none') return;
    if (holder === 'final') {
      finalLog.push([q, 'u3', `f${q}`]);
      return;
    }
    b.send(holder, 'c1', `m${q}`, 1 + i * 0.01).ack(holder, 'c1', `m${q}`, q, 1.005 + i * 0.01);
    finalLog.push([q, holder, `m${q}`]);
  });
  // u2 receives its seqs in a shuffled order, from +2 s on.
  const deliveries = c.holders
    .map((holder, i) => ({ holder, i }))
    .filter(({ holder, i }) => holder !== 'none' && holder !== 'final' && c.received[i])
    .sort((x, y) => (c.order[x.i] as number) - (c.order[y.i] as number) || x.i - y.i);
  deliveries.forEach(({ holder, i }, k) => {
    const q = c.base + i + 1;
    b.deliver('u2', 'c1', holder, `m${q}`, q, 2 + k * 0.01);
  });
  c.resets.forEach((r, k) => {
    b.reset('u2', 'c1', c.base + r, 2.005 + k * 0.1);
  });
  b.finalRead('eu-west', 'c1', 20, ...finalLog);
  return b.end(30);
}

/**
 * Silent gaps stated directly: cut the seqs below the highest one u2 received at each seq it
 * received; a piece holding some other user's message that u2 missed and no reset reached is
 * one gap, and those messages are its size.
 */
function expectedGaps(c: GapCase): { gaps: number; messages: number } {
  const got = c.holders.map((h, i) => h !== 'none' && h !== 'final' && (c.received[i] as boolean));
  const top = got.lastIndexOf(true);
  const cover = c.resets.length === 0 ? 0 : Math.max(...c.resets);
  let gaps = 0;
  let messages = 0;
  let piece = 0;
  for (let i = 0; i <= top; i++) {
    if (got[i]) {
      if (piece > 0) gaps++;
      messages += piece;
      piece = 0;
    } else if (c.holders[i] !== 'none' && c.holders[i] !== 'u2' && i + 1 > cover) piece++;
  }
  return { gaps, messages };
}

describe('silent gaps against their direct statement', () => {
  it('are the runs of unannounced missing seqs between received ones, whatever the delivery order and seq range', () => {
    fc.assert(
      fc.property(gapCase, (c) => {
        const r = checkSessionGuarantees(sorted(gapHistory(c).events));
        expect({ gaps: r.silentGaps, messages: r.silentGapMessages }).toEqual(expectedGaps(c));
        expect(r.examples.filter((x) => x.check === 'silent-gaps')).toHaveLength(Math.min(10, r.silentGaps));
      }),
      { numRuns: 400, seed: 2022 },
    );
  });
});
