// fast-check arbitraries drawn from the protocol's own zod schemas (contracts/wire.ts and
// im-server/internal-protocol.ts), so the fuzzers generate what the schemas describe and follow
// them as they change; then the mutations a hostile client or peer would try: wrong types,
// missing and extra fields, huge and negative numbers, deep nesting, long strings and lone
// surrogates. A mutated document is JSON text, since some mutations (a nesting deeper than
// JSON.stringify can recurse) only exist as text.
import fc from 'fast-check';
import type { z } from 'zod';

/** The parts of a zod 4 schema's definition this generator reads. */
interface Def {
  type: string;
  shape?: Record<string, ZodLike>;
  element?: ZodLike;
  items?: ZodLike[];
  innerType?: ZodLike;
  in?: ZodLike;
  options?: ZodLike[];
  values?: unknown[];
  entries?: Record<string, string>;
  checks?: { _zod: { def: { check: string; minimum?: number; maximum?: number; pattern?: RegExp } } }[];
}
interface ZodLike {
  def: Def;
  shape?: Record<string, ZodLike>;
  minValue?: number | null;
  maxValue?: number | null;
  isInt?: boolean;
}

/** Replaces the generated value at a path (`conv`, `items[].body`), e.g. to use known ids. */
export type Overrides = Record<string, fc.Arbitrary<unknown>>;

const MAX_ARRAY = 4;
const MAX_STRING = 40;

function check(
  schema: ZodLike,
  name: string,
): { minimum?: number; maximum?: number; pattern?: RegExp } | undefined {
  return schema.def.checks?.find((c) => c._zod.def.check === name)?._zod.def;
}

function stringOf(schema: ZodLike): fc.Arbitrary<string> {
  const min = check(schema, 'min_length')?.minimum ?? 0;
  const max = Math.min(check(schema, 'max_length')?.maximum ?? MAX_STRING, Math.max(min, MAX_STRING));
  const pattern = schema.def.checks?.find((c) => c._zod.def.pattern !== undefined)?._zod.def.pattern;
  if (pattern !== undefined) {
    return fc.stringMatching(pattern, { size: 'small' }).filter((s) => s.length >= min && s.length <= max);
  }
  // Any code point, astral ones included: well-formed text of every width.
  return fc.string({ unit: 'binary', minLength: min, maxLength: max });
}

function numberOf(schema: ZodLike): fc.Arbitrary<number> {
  const min = Math.max(schema.minValue ?? -1e9, -1e9);
  const max = Math.min(schema.maxValue ?? 1e9, 1e9);
  if (schema.isInt === true) {
    return fc.oneof(fc.integer({ min: Math.max(min, 0), max: Math.min(max, 20) }), fc.integer({ min, max }));
  }
  return fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
}

function objectOf(
  schema: ZodLike,
  overrides: Overrides,
  path: string,
): fc.Arbitrary<Record<string, unknown>> {
  const shape = schema.def.shape ?? schema.shape ?? {};
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  const required: string[] = [];
  for (const [key, field] of Object.entries(shape)) {
    const at = path === '' ? key : `${path}.${key}`;
    model[key] = arbitraryOf(field, overrides, at);
    if (field.def.type !== 'optional' && field.def.type !== 'default') required.push(key);
  }
  return fc.record(model, { requiredKeys: required });
}

/** Values the schema accepts (refinements aside), with `overrides` at their paths. */
export function arbitraryOf(
  schema: z.ZodType | ZodLike,
  overrides: Overrides = {},
  path = '',
): fc.Arbitrary<unknown> {
  const s = schema as unknown as ZodLike;
  const override = overrides[path];
  if (override !== undefined) return override;
  const def = s.def;
  switch (def.type) {
    case 'object':
      return objectOf(s, overrides, path);
    case 'string':
      return stringOf(s);
    case 'number':
      return numberOf(s);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'literal':
      return fc.constantFrom(...(def.values ?? [null]));
    case 'enum':
      return fc.constantFrom(...Object.values(def.entries ?? {}));
    case 'array': {
      const min = check(s, 'min_length')?.minimum ?? 0;
      const max = Math.min(check(s, 'max_length')?.maximum ?? MAX_ARRAY, Math.max(min, MAX_ARRAY));
      return fc.array(arbitraryOf(def.element!, overrides, `${path}[]`), { minLength: min, maxLength: max });
    }
    case 'tuple':
      return fc.tuple(...(def.items ?? []).map((item, i) => arbitraryOf(item, overrides, `${path}[${i}]`)));
    case 'optional':
    case 'default':
      return fc.option(arbitraryOf(def.innerType!, overrides, path), { nil: undefined });
    case 'nullable':
      return fc.option(arbitraryOf(def.innerType!, overrides, path), { nil: null });
    case 'union':
      return fc.oneof(...(def.options ?? []).map((o) => arbitraryOf(o, overrides, path)));
    case 'pipe':
      return arbitraryOf(def.in!, overrides, path);
    default:
      throw new Error(`arbitraryOf: no generator for zod type "${def.type}" at ${path || '(root)'}`);
  }
}

// ---- mutations ----

/** Placeholder a mutation puts in a document, replaced in the text by what JSON cannot hold. */
const HOLE = '\u0000hole\u0000';

export const hugeNumbers = [
  -1,
  -0,
  0.5,
  -1e-300,
  2 ** 31,
  2 ** 32 + 1,
  2 ** 53,
  2 ** 53 + 2,
  Number.MAX_SAFE_INTEGER,
  Number.MIN_SAFE_INTEGER,
  1e21,
  1e308,
  -1e308,
];

const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 8 }),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }),
);

export type Mutation =
  | { kind: 'wrong_type'; value: unknown }
  | { kind: 'missing' }
  | { kind: 'extra'; key: string; value: unknown }
  | { kind: 'number'; value: number }
  | { kind: 'text_number'; text: string }
  | { kind: 'nesting'; depth: number }
  | { kind: 'long_string'; length: number }
  | { kind: 'lone_surrogate'; unit: number; at: number };

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  anyJson.map((value): Mutation => ({ kind: 'wrong_type', value })),
  fc.constant<Mutation>({ kind: 'missing' }),
  fc
    .record({
      key: fc.oneof(
        fc.constantFrom('__proto__', 'constructor', 'toString', 'type', 'extra'),
        fc.string({ maxLength: 8 }),
      ),
      value: anyJson,
    })
    .map((e): Mutation => ({ kind: 'extra', ...e })),
  fc.constantFrom(...hugeNumbers).map((value): Mutation => ({ kind: 'number', value })),
  fc
    .constantFrom('1e999', '-1e999', '1E400', '-0.0', '1.0', '0e5')
    .map((text): Mutation => ({ kind: 'text_number', text })),
  fc.integer({ min: 2, max: 25_000 }).map((depth): Mutation => ({ kind: 'nesting', depth })),
  fc.integer({ min: 129, max: 40_000 }).map((length): Mutation => ({ kind: 'long_string', length })),
  fc
    .record({ unit: fc.integer({ min: 0xd800, max: 0xdfff }), at: fc.nat() })
    .map((e): Mutation => ({ kind: 'lone_surrogate', ...e })),
);

type Path = (string | number)[];

/** Every path into a document, up to a depth, so a mutation can land anywhere in it. */
export function pathsOf(value: unknown, depth = 4, prefix: Path = []): Path[] {
  if (depth === 0 || value === null || typeof value !== 'object') return [];
  const out: Path[] = [];
  for (const [key, child] of Object.entries(value)) {
    const at = [...prefix, Array.isArray(value) ? Number(key) : key];
    out.push(at, ...pathsOf(child, depth - 1, at));
  }
  return out;
}

function parentOf(doc: unknown, path: Path): Record<string | number, unknown> | undefined {
  let node = doc;
  for (const key of path.slice(0, -1)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node !== null && typeof node === 'object' ? (node as Record<string | number, unknown>) : undefined;
}

/**
 * The JSON text of `doc` with `mutation` applied at `path` (the root's own keys when the path is
 * empty): a fresh copy, so the valid original is untouched.
 */
export function mutate(doc: unknown, path: Path, mutation: Mutation): string {
  const copy = JSON.parse(JSON.stringify(doc)) as unknown;
  const target = path.length === 0 ? undefined : parentOf(copy, path);
  const key = path.at(-1);
  let hole: string | undefined;
  const set = (value: unknown): void => {
    if (target !== undefined && key !== undefined) target[key] = value;
  };
  switch (mutation.kind) {
    case 'wrong_type':
      set(mutation.value);
      break;
    case 'missing':
      if (target !== undefined && key !== undefined) {
        if (Array.isArray(target)) target.splice(Number(key), 1);
        else delete target[key];
      }
      break;
    case 'extra': {
      const into = target !== undefined && key !== undefined ? target[key] : copy;
      const obj = into !== null && typeof into === 'object' && !Array.isArray(into) ? into : copy;
      if (obj !== null && typeof obj === 'object')
        Object.defineProperty(obj, mutation.key, {
          value: mutation.value,
          enumerable: true,
          configurable: true,
          writable: true,
        });
      break;
    }
    case 'number':
      set(mutation.value);
      break;
    case 'text_number':
      set(HOLE);
      hole = mutation.text;
      break;
    case 'nesting':
      set(HOLE);
      hole = `${'['.repeat(mutation.depth)}${']'.repeat(mutation.depth)}`;
      break;
    case 'long_string':
      set('x'.repeat(mutation.length));
      break;
    case 'lone_surrogate': {
      const current = target !== undefined && key !== undefined ? target[key] : undefined;
      const text = typeof current === 'string' ? current : '';
      const at = mutation.at % (text.length + 1);
      set(`${text.slice(0, at)}${String.fromCharCode(mutation.unit)}${text.slice(at)}`);
      break;
    }
  }
  // JSON.stringify escapes a lone surrogate as \udXXX, which is how a client would send one.
  const text = JSON.stringify(copy);
  return hole === undefined ? text : text.replace(JSON.stringify(HOLE), hole);
}

/** A mutated document: a valid one, a place in it and a mutation, as JSON text. */
export function mutatedArb(valid: fc.Arbitrary<unknown>): fc.Arbitrary<{ text: string; what: string }> {
  return valid.chain((doc) => {
    const paths = pathsOf(doc);
    const place = paths.length === 0 ? fc.constant<Path>([]) : fc.constantFrom(...paths);
    return fc.tuple(place, mutationArb).map(([path, mutation]) => ({
      text: mutate(doc, path, mutation),
      what: `${mutation.kind} at ${path.join('.') || '(root)'}`,
    }));
  });
}

/** Text that is not a valid document at all: garbage, cut-off JSON, scalars, the empty string. */
export function garbageArb(valid: fc.Arbitrary<unknown>): fc.Arbitrary<{ text: string; what: string }> {
  return fc.oneof(
    fc.string({ unit: 'binary', maxLength: 64 }).map((text) => ({ text, what: 'random text' })),
    valid.chain((doc) => {
      const text = JSON.stringify(doc);
      return fc
        .nat(Math.max(0, text.length - 1))
        .map((cut) => ({ text: text.slice(0, cut), what: 'cut-off JSON' }));
    }),
    fc
      .constantFrom(
        'null',
        '[]',
        '"send"',
        '1',
        'true',
        '{}',
        '[{}]',
        '{"type":null}',
        '',
        ' ',
        '\u0000',
        '{"a":1,"a":2}',
      )
      .map((text) => ({ text, what: `the document ${JSON.stringify(text)}` })),
  );
}
