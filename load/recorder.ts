// The history recorder: every event of a run is appended to one file as a JSON line. Events
// are buffered and written in batches with one synchronous write each (on a timer, when the
// buffer fills, and on flush/close/process exit), so recording costs one JSON.stringify per
// event and one syscall per batch, and a killed run loses at most the batch in memory. Each
// batch ends on a line boundary, so whatever reached the file before a crash stays readable.
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import type { HistoryEvent } from '../contracts/history.ts';

export interface HistoryRecorder {
  append(event: HistoryEvent): void;
  /** Writes the buffered events now, synchronously. */
  flush(): void;
  /** Flushes, syncs the file to disk and closes it. Appending afterwards throws. */
  close(): Promise<void>;
  readonly path: string;
  /** Events appended so far (buffered or written). */
  readonly count: number;
}

export interface RecorderOptions {
  /** How often buffered events are written; default 50 ms, which bounds what a SIGKILL loses. */
  flushIntervalMs?: number;
  /** A full buffer is written at once; default 8192 events, which bounds memory between ticks. */
  maxBufferedEvents?: number;
}

const openRecorders = new Set<() => void>();
let exitHandlerInstalled = false;

// One process-wide handler (not one per recorder) so many recorders do not trip Node's
// listener-leak warning. 'exit' runs on process.exit and on an uncaught exception; only
// synchronous work is possible there, which is exactly what flush() does.
function installExitHandler(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  process.on('exit', () => {
    for (const flush of openRecorders) {
      try {
        flush();
      } catch {
        // The process is exiting; a failing disk cannot be reported any better than by the lost lines.
      }
    }
  });
}

/** Opens (creating or appending to) a history file. */
export function createRecorder(path: string, options: RecorderOptions = {}): HistoryRecorder {
  const flushIntervalMs = options.flushIntervalMs ?? 50;
  const maxBuffered = Math.max(1, options.maxBufferedEvents ?? 8192);
  if (!(flushIntervalMs > 0)) throw new Error('createRecorder: flushIntervalMs must be above 0');

  let fd: number | undefined = openSync(path, 'a');
  let buffer: string[] = [];
  let count = 0;
  let failure: Error | undefined;

  const writeAll = (text: string): void => {
    const bytes = Buffer.from(text, 'utf8');
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd as number, bytes, offset, bytes.length - offset);
  };

  const flush = (): void => {
    if (failure) throw failure;
    if (buffer.length === 0 || fd === undefined) return;
    const batch = buffer;
    buffer = [];
    try {
      writeAll(`${batch.join('\n')}\n`);
    } catch (error) {
      failure = new Error(`history ${path}: write failed: ${(error as Error).message}`);
      throw failure;
    }
  };

  // A write error on the timer is kept and thrown from the next append, flush or close, so it
  // reaches the run instead of crashing the process from a timer callback.
  const timer = setInterval(() => {
    try {
      flush();
    } catch {
      // kept in `failure`
    }
  }, flushIntervalMs);
  timer.unref();

  installExitHandler();
  openRecorders.add(flush);

  return {
    path,
    get count() {
      return count;
    },
    append(event) {
      if (fd === undefined) throw new Error(`history ${path}: append after close (${event.type})`);
      if (failure) throw failure;
      // Lines are joined at the flush: one concatenation per batch, not one per event.
      buffer.push(JSON.stringify(event));
      count++;
      if (buffer.length >= maxBuffered) flush();
    },
    flush,
    async close() {
      if (fd === undefined) return;
      clearInterval(timer);
      openRecorders.delete(flush);
      try {
        flush();
        fsyncSync(fd);
      } finally {
        closeSync(fd);
        fd = undefined;
      }
    },
  };
}
