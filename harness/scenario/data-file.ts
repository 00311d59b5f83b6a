// Scenario files written as data, JSON or YAML, with the same schema as a TypeScript
// `defineScenario({...})`: teams that keep their CI config in YAML can keep their scenarios
// there too. A file that does not parse is a problem naming the file, the line and the column
// (the loader turns it into a ScenarioError), so a typo is found without a stack trace.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parseDocument } from 'yaml';

/** The extensions read as data rather than imported as code. */
export const DATA_EXTENSIONS = ['.json', '.yaml', '.yml'] as const;

export const isDataScenario = (path: string): boolean =>
  (DATA_EXTENSIONS as readonly string[]).includes(extname(path).toLowerCase());

/** Line and column (1-based) of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: (lines.at(-1)?.length ?? 0) + 1 };
}

/**
 * The offset of the first character that makes `text` invalid JSON. Node 20's JSON.parse does
 * not always say where ("Unexpected token '}'"), so the loader finds it with this small scanner.
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i] ?? '')) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const literal = (word: string): void => {
    if (text.startsWith(word, i)) i += word.length;
    else fail();
  };
  const string = (): void => {
    if (text[i] !== '"') fail();
    i++;
    while (i < text.length && text[i] !== '"') {
      const c = text.charCodeAt(i);
      if (c < 0x20) fail();
      i += text[i] === '\\' ? 2 : 1;
    }
    if (i >= text.length) fail();
    i++;
  };
  const number = (): void => {
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i));
    if (m === null) fail();
    else i += m[0].length;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') members('}', member);
    else if (c === '[') members(']', value);
    else if (c === '"') string();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else number();
    ws();
  };
  const member = (): void => {
    string();
    ws();
    if (text[i] !== ':') fail();
    i++;
    value();
  };
  const members = (close: string, item: () => void): void => {
    i++;
    ws();
    if (text[i] === close) {
      i++;
      return;
    }
    for (;;) {
      ws();
      item();
      ws();
      if (text[i] === ',') i++;
      else if (text[i] === close) {
        i++;
        return;
      } else fail();
    }
  };
  try {
    value();
    return i < text.length ? i : -1;
  } catch (offset) {
    return offset as number;
  }
}

/** What reading a data scenario gives: the object, or one sentence saying what is wrong and where. */
export type DataScenarioResult = { ok: true; data: unknown } | { ok: false; problem: string };

const problem = (message: string): DataScenarioResult => ({ ok: false, problem: message });

function parseJson(path: string, text: string): DataScenarioResult {
  try {
    return { ok: true, data: JSON.parse(text) };
  } catch (error) {
    const offset = jsonErrorOffset(text);
    const where = offset >= 0 ? lineColumn(text, offset) : undefined;
    const at = where ? `:${where.line}:${where.column}` : '';
    const why = (error as Error).message.split('\n')[0];
    return problem(`scenario ${path}${at}: not valid JSON: ${why}`);
  }
}

function parseYaml(path: string, text: string): DataScenarioResult {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  const first = doc.errors[0];
  if (first !== undefined) {
    const linePos = first.linePos?.[0];
    const pos = linePos ? { line: linePos.line, column: linePos.col } : lineColumn(text, first.pos[0]);
    const why = first.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '');
    return problem(`scenario ${path}:${pos.line}:${pos.column}: not valid YAML: ${why}`);
  }
  return { ok: true, data: doc.toJS() };
}

/**
 * Reads a JSON or YAML scenario to a plain object, ready for parseScenario. The "$schema" key
 * (an editor's pointer at schema/scenario.schema.json) is dropped here: it is not a field.
 */
export function readDataScenario(path: string): DataScenarioResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return problem(`scenario ${path}: cannot read: ${(error as Error).message}`);
  }
  const parsed = extname(path).toLowerCase() === '.json' ? parseJson(path, text) : parseYaml(path, text);
  if (!parsed.ok) return parsed;
  const data = parsed.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return problem(`scenario ${path}: must hold one object (name, description, duration, ...)`);
  }
  const { $schema: _schema, ...scenario } = data as Record<string, unknown>;
  return { ok: true, data: scenario };
}
