// The history schema is the contract between the load generator and the checkers: these tests
// pin, for every event type, that a well-formed event is accepted as written (defaults filled
// in), that optional fields may be left out, and that each malformed field is refused with an
// error naming that field, so a generator bug is reported where it is rather than misjudged.
import { describe, expect, it } from 'vitest';
import type * as History from '../../contracts/history.ts';

/**
 * The schema module, loaded inside each test rather than at the top: a schema that cannot even
 * be built (say, a union option without its type) then fails these tests instead of failing to
 * import, which would fail no test at all.
 */
const load = (): Promise<typeof History> => import('../../contracts/history.ts');

type SchemaName = Exclude<keyof typeof History, 'HistoryEvent'>;

type Raw = Record<string, unknown>;

interface Case {
  /** The type's own schema, as exported. */
  schema: SchemaName;
  /** A full, valid event (every optional field present). */
  valid: Raw;
  /** Fields that may be left out. */
  optional: string[];
  /** Malformed values, each to be refused with an error whose path is the given one. */
  bad: [path: (string | number)[], value: unknown][];
}

const T = 1_700_000_000_000.5;

/** For each field in turn, every one of `values` set as that field. */
const each =
  (...values: unknown[]) =>
  (...fields: string[]): [string[], unknown][] =>
    fields.flatMap((field) => values.map((value): [string[], unknown] => [[field], value]));
/** Bad values every non-empty string field refuses. */
const notStr = each('', 7, null);
/** Bad values every time field refuses. */
const notMs = each(Number.POSITIVE_INFINITY, Number.NaN, '1700000000000');
/** Bad values every integer (seq-like) field refuses. */
const notInt = each(1.5, '3');

const cases: Record<History.HistoryEventType, Case> = {
  run_start: {
    schema: 'RunStartEvent',
    valid: {
      type: 'run_start',
      t: T,
      runId: 'r-1',
      scenario: 'game-day',
      seed: 42,
      regions: ['eu-west', 'us-east'],
      ackLevel: 'replicated',
    },
    optional: ['ackLevel'],
    bad: [
      ...notMs('t'),
      ...notStr('runId', 'scenario'),
      [['seed'], 0.5],
      [['seed'], '42'],
      [['regions'], []],
      [['regions', 1], ''],
      [['regions'], 'eu-west'],
      [['ackLevel'], 1],
    ],
  },
  conversation: {
    schema: 'ConversationEvent',
    valid: { type: 'conversation', t: T, conv: 'c1', members: ['u1', 'u2'], residency: ['eu-west'] },
    optional: ['residency'],
    bad: [
      ...notMs('t'),
      ...notStr('conv'),
      [['members'], []],
      [['members', 0], ''],
      [['members'], 'u1'],
      [['residency', 0], ''],
      [['residency'], 'eu-west'],
    ],
  },
  user: {
    schema: 'UserEvent',
    valid: { type: 'user', t: T, user: 'u1', region: 'eu-west' },
    optional: [],
    bad: [...notMs('t'), ...notStr('user', 'region')],
  },
  send: {
    schema: 'SendEvent',
    valid: { type: 'send', t: T, intendedAt: T - 3, user: 'u1', conv: 'c1', cmid: 'm1', region: 'eu-west' },
    optional: ['region'],
    bad: [...notMs('t', 'intendedAt'), ...notStr('user', 'conv', 'cmid'), [['region'], 3]],
  },
  ack: {
    schema: 'AckEvent',
    valid: {
      type: 'ack',
      t: T,
      user: 'u1',
      conv: 'c1',
      cmid: 'm1',
      seq: 12,
      epoch: 2,
      level: 'stored',
      region: 'us-east',
    },
    optional: ['epoch', 'level', 'region'],
    bad: [
      ...notMs('t'),
      ...notStr('user', 'conv', 'cmid'),
      ...notInt('seq', 'epoch'),
      [['level'], 1],
      [['region'], false],
    ],
  },
  send_failed: {
    schema: 'SendFailedEvent',
    valid: { type: 'send_failed', t: T, user: 'u1', conv: 'c1', cmid: 'm1', reason: 'rejected' },
    optional: [],
    bad: [...notMs('t'), ...notStr('user', 'conv', 'cmid'), [['reason'], 1]],
  },
  send_indeterminate: {
    schema: 'SendIndeterminateEvent',
    valid: { type: 'send_indeterminate', t: T, user: 'u1', conv: 'c1', cmid: 'm1', reason: 'timeout' },
    optional: [],
    bad: [...notMs('t'), ...notStr('user', 'conv', 'cmid'), [['reason'], null]],
  },
  deliver: {
    schema: 'DeliverEvent',
    valid: {
      type: 'deliver',
      t: T,
      user: 'u2',
      session: 's-u2',
      conv: 'c1',
      cmid: 'm1',
      from: 'u1',
      seq: 12,
      via: 'sync',
      region: 'eu-west',
    },
    optional: ['region'],
    bad: [
      ...notMs('t'),
      ...notStr('user', 'session', 'conv', 'cmid', 'from'),
      ...notInt('seq'),
      [['via'], 'pull'],
      [['via'], ''],
      [['region'], 1],
    ],
  },
  conn_up: {
    schema: 'ConnUpEvent',
    valid: { type: 'conn_up', t: T, user: 'u1', session: 's-u1', region: 'eu-west', node: 'n1' },
    optional: ['node'],
    bad: [...notMs('t'), ...notStr('user', 'session', 'region'), [['node'], 1]],
  },
  conn_down: {
    schema: 'ConnDownEvent',
    valid: { type: 'conn_down', t: T, user: 'u1', session: 's-u1', region: 'eu-west', reason: 'closed' },
    optional: [],
    bad: [...notMs('t'), ...notStr('user', 'session', 'region'), [['reason'], 1]],
  },
  failover: {
    schema: 'FailoverEvent',
    valid: { type: 'failover', t: T, user: 'u1', session: 's-u1', from: 'eu-west', to: 'us-east' },
    optional: [],
    bad: [...notMs('t'), ...notStr('user', 'session', 'from', 'to')],
  },
  reset: {
    schema: 'ResetEvent',
    valid: { type: 'reset', t: T, user: 'u1', session: 's-u1', conv: 'c1', seq: 4, reason: 'epoch changed' },
    optional: [],
    bad: [...notMs('t'), ...notStr('user', 'session', 'conv'), ...notInt('seq'), [['reason'], undefined]],
  },
  synced: {
    schema: 'SyncedEvent',
    valid: { type: 'synced', t: T, user: 'u1', session: 's-u1', conv: 'c1', afterSeq: 3, seq: 9 },
    optional: [],
    bad: [...notMs('t'), ...notStr('user', 'session', 'conv'), ...notInt('afterSeq', 'seq')],
  },
  out_of_order: {
    schema: 'OutOfOrderEvent',
    valid: { type: 'out_of_order', t: T, user: 'u1', session: 's-u1', conv: 'c1', seq: 3, afterSeq: 9 },
    optional: [],
    bad: [...notMs('t'), ...notStr('user', 'session', 'conv'), ...notInt('seq', 'afterSeq')],
  },
  fault_start: {
    schema: 'FaultStartEvent',
    valid: {
      type: 'fault_start',
      t: T,
      faultId: 'f1',
      kind: 'regionOutage',
      target: 'eu-west',
      regions: ['eu-west'],
    },
    optional: [],
    bad: [
      ...notMs('t'),
      ...notStr('faultId', 'kind'),
      [['target'], 1],
      [['regions', 0], ''],
      [['regions'], 'eu-west'],
    ],
  },
  fault_stop: {
    schema: 'FaultStopEvent',
    valid: { type: 'fault_stop', t: T, faultId: 'f1' },
    optional: [],
    bad: [...notMs('t'), ...notStr('faultId')],
  },
  phase: {
    schema: 'PhaseEvent',
    valid: { type: 'phase', t: T, name: 'healed' },
    optional: [],
    bad: [...notMs('t'), [['name'], 'lunch'], [['name'], '']],
  },
  digest: {
    schema: 'DigestEvent',
    valid: { type: 'digest', t: T, region: 'eu-west', conv: 'c1', count: 3, lastSeq: 7, hash: 'ab12' },
    optional: [],
    bad: [...notMs('t'), ...notStr('region', 'conv'), ...notInt('count', 'lastSeq'), [['hash'], 5]],
  },
  final_read: {
    schema: 'FinalReadEvent',
    valid: {
      type: 'final_read',
      t: T,
      region: 'eu-west',
      conv: 'c1',
      ok: true,
      error: 'partial',
      messages: [
        { seq: 1, cmid: 'm1', from: 'u1' },
        { seq: 2, cmid: 'm2', from: 'u2' },
      ],
    },
    optional: ['error'],
    bad: [
      ...notMs('t'),
      ...notStr('region', 'conv'),
      [['ok'], 'true'],
      [['error'], 1],
      [['messages'], 'm1'],
      [['messages', 1, 'seq'], 2.5],
      [['messages', 0, 'cmid'], ''],
      [['messages', 1, 'from'], ''],
    ],
  },
  health: {
    schema: 'HealthEvent',
    valid: {
      type: 'health',
      t: T,
      sendLagP99Ms: 12.5,
      sendLagMaxMs: 40,
      eventLoopDelayP99Ms: 3.25,
      ok: false,
      reason: 'send lag',
    },
    optional: ['reason'],
    bad: [
      ...notMs('t'),
      [['sendLagP99Ms'], '12'],
      [['sendLagMaxMs'], null],
      [['eventLoopDelayP99Ms'], Number.NaN],
      [['ok'], 0],
      [['reason'], 1],
    ],
  },
  run_end: {
    schema: 'RunEndEvent',
    valid: { type: 'run_end', t: T, reason: 'done' },
    optional: ['reason'],
    bad: [...notMs('t'), [['reason'], 1]],
  },
};

/** Parses through the union, as the file reader does; returns the data or the issue paths. */
async function parse(raw: unknown): Promise<{ ok: true; data: unknown } | { ok: false; paths: string[] }> {
  const r = (await load()).HistoryEvent.safeParse(raw);
  return r.success
    ? { ok: true, data: r.data }
    : { ok: false, paths: r.error.issues.map((i) => i.path.join('.')) };
}

describe('the history schema', () => {
  it('builds a union of every event type, each told apart by its type name', async () => {
    const h = await load();
    expect(h.HistoryEvent.options.map((o) => o.shape.type.value).sort()).toEqual(Object.keys(cases).sort());
    for (const [type, c] of Object.entries(cases)) expect(h[c.schema].shape.type.value).toBe(type);
  });

  for (const [type, c] of Object.entries(cases)) {
    describe(type, () => {
      it(`accepts full ${type} events and returns them as written`, async () => {
        expect(await parse(c.valid)).toEqual({ ok: true, data: c.valid });
        expect((await load())[c.schema].safeParse(c.valid).data).toEqual(c.valid);
      });

      it(`accepts ${type} events without their optional fields`, async () => {
        const bare = { ...c.valid };
        for (const f of c.optional) delete bare[f];
        expect(await parse(bare)).toEqual({ ok: true, data: bare });
      });

      it(`refuses ${type} events missing a required field, naming the field`, async () => {
        for (const field of Object.keys(c.valid)) {
          if (
            field === 'type' ||
            c.optional.includes(field) ||
            (type === 'fault_start' && field === 'regions')
          )
            continue;
          const e = { ...c.valid };
          delete e[field];
          expect(await parse(e), `${type} without ${field}`).toEqual({ ok: false, paths: [field] });
        }
      });

      it(`refuses each malformed field of ${type} events with an error naming that field`, async () => {
        const schema = (await load())[c.schema];
        for (const [path, value] of c.bad) {
          const e = structuredClone(c.valid);
          let target: Raw = e;
          for (const key of path.slice(0, -1)) target = target[key as string] as Raw;
          target[path.at(-1) as string] = value;
          const label = `${type}.${path.join('.')} = ${String(value)}`;
          expect(await parse(e), label).toEqual({ ok: false, paths: [path.join('.')] });
          expect(schema.safeParse(e).success, label).toBe(false);
        }
      });

      it(`refuses ${type} events under an unknown type name, naming the type`, async () => {
        expect(await parse({ ...c.valid, type: `${type}_v2` })).toEqual({ ok: false, paths: ['type'] });
      });
    });
  }

  it('accepts both delivery paths and every phase name', async () => {
    for (const via of ['push', 'sync'])
      expect(await parse({ ...cases.deliver.valid, via })).toEqual({
        ok: true,
        data: { ...cases.deliver.valid, via },
      });
    for (const name of ['load_start', 'load_stop', 'healed', 'converged', 'final_reads'])
      expect(await parse({ type: 'phase', t: T, name })).toEqual({
        ok: true,
        data: { type: 'phase', t: T, name },
      });
  });

  it('gives a fault without a region list an empty one, and accepts an empty target', async () => {
    expect(await parse({ type: 'fault_start', t: T, faultId: 'f', kind: 'clockSkew', target: '' })).toEqual({
      ok: true,
      data: { type: 'fault_start', t: T, faultId: 'f', kind: 'clockSkew', target: '', regions: [] },
    });
  });

  it('accepts empty reasons and hashes, negative seqs and empty final logs', async () => {
    for (const raw of [
      { ...cases.send_failed.valid, reason: '' },
      { ...cases.conn_down.valid, reason: '' },
      { ...cases.reset.valid, reason: '', seq: -1 },
      { ...cases.digest.valid, hash: '', count: 0 },
      { ...cases.final_read.valid, ok: false, messages: [] },
      { ...cases.run_start.valid, ackLevel: '' },
    ])
      expect(await parse(raw)).toEqual({ ok: true, data: raw });
  });

  it('drops fields the schema does not name', async () => {
    expect(await parse({ type: 'fault_stop', t: T, faultId: 'f1', extra: 1 })).toEqual({
      ok: true,
      data: { type: 'fault_stop', t: T, faultId: 'f1' },
    });
  });
});
