import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseServerFrame, sendFieldProblem } from '../../client/server-frame.ts';
import { describeIssues } from '../../contracts/errors.ts';
import { ClientMessageId, ConversationId, MessageBody, ServerFrame } from '../../contracts/wire.ts';

const ack = { type: 'ack', conv: 'c1', cmid: 'u1-0', epoch: 0, seq: 1, level: 'stored', serverTime: 1.5 };
const msg = {
  type: 'msg',
  conv: 'c1',
  epoch: 2,
  seq: 7,
  from: 'u1',
  cmid: 'u1-0',
  body: 'hi \ud83d\ude00',
  serverTime: 17e11,
};

/** The schema's verdict, worded as parseServerFrame words it. */
function bySchema(json: unknown): { frame: unknown } | { problem: string } {
  const parsed = ServerFrame.safeParse(json);
  return parsed.success ? { frame: parsed.data } : { problem: describeIssues(parsed.error) };
}

const oddValues = [
  undefined,
  null,
  '',
  'x'.repeat(128),
  'x'.repeat(129),
  'a b',
  'é',
  'replicated',
  'stored',
  'other',
  -1,
  0,
  1,
  1.5,
  2 ** 53,
  2 ** 53 - 1,
  -0,
  true,
  [],
  {},
];

describe('parseServerFrame', () => {
  it('accepts ack and msg frames as the schema does, keeping only the schema fields', () => {
    expect(parseServerFrame(ack)).toEqual({ frame: ack });
    expect(parseServerFrame({ ...msg, extra: 1 })).toEqual({ frame: msg });
    expect(parseServerFrame({ ...msg, extra: 1 })).toEqual(bySchema({ ...msg, extra: 1 }));
  });

  it('gives the schema verdict and wording for every field of ack and msg set to odd values', () => {
    for (const base of [ack, msg]) {
      for (const field of Object.keys(base)) {
        for (const value of oddValues) {
          const json = { ...base, [field]: value };
          expect(parseServerFrame(json), `${base.type}.${field} = ${JSON.stringify(value)}`).toEqual(
            bySchema(json),
          );
        }
      }
    }
  });

  it('agrees with the schema on arbitrary objects shaped like frames', () => {
    const field = fc.oneof(
      fc.constantFrom(...oddValues),
      fc.string({ maxLength: 140 }),
      fc.integer(),
      fc.double(),
    );
    fc.assert(
      fc.property(
        fc.constantFrom('ack', 'msg', 'welcome', 'error', 'nope'),
        fc.dictionary(
          fc.constantFrom('conv', 'cmid', 'epoch', 'seq', 'level', 'serverTime', 'from', 'body'),
          field,
        ),
        (type, fields) => {
          const json = { ...(type === 'ack' ? ack : msg), ...fields, type };
          expect(parseServerFrame(json)).toEqual(bySchema(json));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('leaves other types and non-objects to the schema', () => {
    for (const json of [null, 3, 'ack', [], { type: 'synced', conv: 'c', seq: 0 }, { type: 'welcome' }]) {
      expect(parseServerFrame(json)).toEqual(bySchema(json));
    }
  });
});

describe('sendFieldProblem', () => {
  /** What the client said before the fast path: the schemas, in this order. */
  function bySchemas(conv: string, cmid: string, body: string): string | undefined {
    const c = ConversationId.safeParse(conv);
    if (!c.success) return `conv: ${c.error.issues[0]?.message}`;
    const m = ClientMessageId.safeParse(cmid);
    if (!m.success) return `cmid: ${m.error.issues[0]?.message}`;
    const b = MessageBody.safeParse(body);
    if (!b.success) return `body: ${b.error.issues[0]?.message}`;
    return undefined;
  }

  it('refuses exactly what the schemas refuse, in their words', () => {
    const ids = ['c1', '', 'x'.repeat(128), 'x'.repeat(129), 'a b', 'u:1@x.y_z-2', 'é'];
    const bodies = ['', 'hello', '\ud800', 'a\udfffb', '\ud83d\ude00'];
    for (const conv of ids)
      for (const cmid of ids)
        for (const body of bodies)
          expect(sendFieldProblem(conv, cmid, body)).toBe(bySchemas(conv, cmid, body));
    fc.assert(
      fc.property(
        fc.string({ maxLength: 130 }),
        fc.string({ maxLength: 130 }),
        fc.string(),
        (conv, cmid, body) => {
          expect(sendFieldProblem(conv, cmid, body)).toBe(bySchemas(conv, cmid, body));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('refuses a value that is not a string, as the schemas do', () => {
    expect(sendFieldProblem(undefined as unknown as string, 'm', 'b')).toMatch(/^conv: /);
    expect(sendFieldProblem('c', 'm', 5 as unknown as string)).toMatch(/^body: /);
  });
});
