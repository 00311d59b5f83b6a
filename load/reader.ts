// Reads a history file back. A run killed mid-write may leave a last line without its newline;
// that line is dropped and reported as `truncated`, never thrown, so a crashed run can still be
// checked. Lines that are not JSON objects with a string `type` and a numeric `t` are skipped
// and reported by line number (1-based). The full schema lives in contracts/history.ts; checkers
// validate what they read, this module only frames lines.
import { createReadStream, readFileSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { HistoryEvent } from '../contracts/history.ts';

export interface HistoryReadResult {
  events: HistoryEvent[];
  /** The file ended inside a line (a run killed mid-write); that line was dropped. */
  truncated: boolean;
  /** 1-based numbers of lines that were not history events. */
  invalidLines: number[];
}

/** An async iterable of events that, once iterated to the end, tells how the file ended. */
export interface HistoryStream extends AsyncIterable<HistoryEvent> {
  readonly truncated: boolean;
  readonly invalidLines: number[];
}

function parseLine(line: string): HistoryEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const record = value as { type?: unknown; t?: unknown };
  if (typeof record.type !== 'string' || typeof record.t !== 'number') return undefined;
  return value as HistoryEvent;
}

/**
 * Classifies the text after the last newline: empty, a complete event written without its
 * newline, or a cut line.
 */
function lastLine(tail: string, out: { truncated: boolean }): HistoryEvent | undefined {
  if (tail.trim() === '') return undefined;
  const event = parseLine(tail);
  if (event === undefined) out.truncated = true;
  return event;
}

/** Streams a history file without loading it whole. */
export function readHistory(
  path: string,
  options: { onInvalidLine?: (lineNo: number, text: string) => void } = {},
): HistoryStream {
  const state = { truncated: false, invalidLines: [] as number[] };
  return {
    get truncated() {
      return state.truncated;
    },
    get invalidLines() {
      return state.invalidLines;
    },
    async *[Symbol.asyncIterator]() {
      state.truncated = false;
      state.invalidLines = [];
      const decoder = new StringDecoder('utf8');
      let pending = '';
      let lineNo = 0;
      for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
        pending += decoder.write(chunk as Buffer);
        let start = 0;
        let nl = pending.indexOf('\n', start);
        while (nl !== -1) {
          lineNo++;
          const line = pending.slice(start, nl);
          if (line.trim() !== '') {
            const event = parseLine(line);
            if (event) yield event;
            else {
              state.invalidLines.push(lineNo);
              options.onInvalidLine?.(lineNo, line);
            }
          }
          start = nl + 1;
          nl = pending.indexOf('\n', start);
        }
        pending = pending.slice(start);
      }
      pending += decoder.end();
      const event = lastLine(pending, state);
      if (event) yield event;
    },
  };
}

/** Reads a whole history file at once (fine up to a few hundred MB). */
export function readHistorySync(path: string): HistoryReadResult {
  const text = readFileSync(path, 'utf8');
  const result: HistoryReadResult = { events: [], truncated: false, invalidLines: [] };
  let start = 0;
  let lineNo = 0;
  let nl = text.indexOf('\n', start);
  while (nl !== -1) {
    lineNo++;
    const line = text.slice(start, nl);
    if (line.trim() !== '') {
      const event = parseLine(line);
      if (event) result.events.push(event);
      else result.invalidLines.push(lineNo);
    }
    start = nl + 1;
    nl = text.indexOf('\n', start);
  }
  const event = lastLine(text.slice(start), result);
  if (event) result.events.push(event);
  return result;
}
