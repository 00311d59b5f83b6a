// Reads a history file back. A run killed mid-write may leave a last line without its newline;
// that line is dropped and reported as `truncated`, never thrown, so a crashed run can still be
// checked. Lines that are not JSON objects with a string `type` and a numeric `t` are skipped
// and reported by line number (1-based). The full schema lives in contracts/history.ts; checkers
// validate what they read, this module only frames lines. Files are read in 1 MB chunks, never
// as one string: V8 caps a string at 512 MB, which a 5M-event history (about 800 MB) passes.
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { HistoryEvent } from '../contracts/history.ts';

export interface HistoryReadResult {
  events: HistoryEvent[];
  /** The file ended inside a line (a run killed mid-write); that line was dropped. */
  truncated: boolean;
  /** 1-based numbers of lines that were not history events. */
  invalidLines: number[];
}

/** How a file ended and which lines were skipped, known once it was iterated to the end. */
export interface HistoryReadState {
  readonly truncated: boolean;
  readonly invalidLines: number[];
}

/** An async iterable of events that, once iterated to the end, tells how the file ended. */
export interface HistoryStream extends AsyncIterable<HistoryEvent>, HistoryReadState {}

/** The same, read synchronously: checkHistory takes it as it is, without an array of the whole history. */
export interface HistorySyncStream extends Iterable<HistoryEvent>, HistoryReadState {}

const CHUNK_BYTES = 1 << 20;

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

/**
 * Frames decoded text into lines, 1-based, and parses each complete one; what follows the last
 * newline waits for the next chunk. Invalid lines are noted in `state` and told to the caller.
 */
function createFramer(
  state: { truncated: boolean; invalidLines: number[] },
  options: { onInvalidLine?: (lineNo: number, text: string) => void },
) {
  let pending = '';
  let lineNo = 0;
  return {
    *push(text: string): Generator<HistoryEvent> {
      pending += text;
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
    },
    /** The text after the last newline, once the file has ended. */
    end(rest: string): HistoryEvent | undefined {
      return lastLine(pending + rest, state);
    },
  };
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
      const lines = createFramer(state, options);
      for await (const chunk of createReadStream(path, { highWaterMark: CHUNK_BYTES })) {
        yield* lines.push(decoder.write(chunk as Buffer));
      }
      const event = lines.end(decoder.end());
      if (event) yield event;
    },
  };
}

/**
 * Streams a history file synchronously, a chunk at a time: what a caller that judges the file
 * in one synchronous pass uses, so the history is never held whole.
 */
export function iterateHistorySync(
  path: string,
  options: { onInvalidLine?: (lineNo: number, text: string) => void } = {},
): HistorySyncStream {
  const state = { truncated: false, invalidLines: [] as number[] };
  return {
    get truncated() {
      return state.truncated;
    },
    get invalidLines() {
      return state.invalidLines;
    },
    *[Symbol.iterator]() {
      state.truncated = false;
      state.invalidLines = [];
      const decoder = new StringDecoder('utf8');
      const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
      const fd = openSync(path, 'r');
      const lines = createFramer(state, options);
      try {
        for (
          let n = readSync(fd, buffer, 0, CHUNK_BYTES, null);
          n > 0;
          n = readSync(fd, buffer, 0, CHUNK_BYTES, null)
        ) {
          yield* lines.push(decoder.write(buffer.subarray(0, n)));
        }
      } finally {
        closeSync(fd);
      }
      const event = lines.end(decoder.end());
      if (event) yield event;
    },
  };
}

/** Reads a whole history file into an array of events (in chunks, so any size the heap holds). */
export function readHistorySync(path: string): HistoryReadResult {
  const stream = iterateHistorySync(path);
  const events: HistoryEvent[] = [];
  for (const event of stream) events.push(event);
  return { events, truncated: stream.truncated, invalidLines: stream.invalidLines };
}
