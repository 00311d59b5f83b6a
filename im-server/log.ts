// JSON-lines logging to stderr; stdout is reserved for the one `listening` line the harness reads.
// A write to a stderr without a reader is dropped, never raised (lib/lifeline.ts).
import { writeErr } from '../lib/lifeline.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

function envLevel(): LogLevel {
  const value = process.env.CHATQUAKE_LOG_LEVEL;
  return value === 'debug' || value === 'warn' || value === 'error' ? value : 'info';
}

export function createLogger(base: Record<string, unknown>, level: LogLevel = envLevel()): Logger {
  const write = (at: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (rank[at] < rank[level]) return;
    writeErr(`${JSON.stringify({ t: new Date().toISOString(), level: at, msg, ...base, ...fields })}\n`);
  };
  return {
    debug: (msg, fields) => write('debug', msg, fields),
    info: (msg, fields) => write('info', msg, fields),
    warn: (msg, fields) => write('warn', msg, fields),
    error: (msg, fields) => write('error', msg, fields),
  };
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
