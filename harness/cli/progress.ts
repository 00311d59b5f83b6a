// The live status of a run. On a terminal: one line rewritten in place with a bar (k6-style).
// Elsewhere (CI logs): a plain line every few seconds, so logs stay readable and short.

export interface ProgressSnapshot {
  phase: string;
  elapsedMs: number;
  totalMs: number;
  sentPerSec: number;
  deliveredPerSec: number;
  deliveryP99Ms: number;
  reconnects: number;
  activeFaults: string[];
  violations: number;
  sent: number;
  acked: number;
  delivered: number;
  healthy: boolean;
}

export interface ProgressOptions {
  stream?: NodeJS.WriteStream;
  /** Default: the stream is a TTY and $CI is not set. */
  interactive?: boolean;
  /** Plain-mode interval. Default 5000 ms. */
  plainIntervalMs?: number;
  quiet?: boolean;
  now?: () => number;
}

export interface Progress {
  update(snapshot: ProgressSnapshot): void;
  /** A line of its own (phase changes, fault events), above the status line. */
  log(message: string): void;
  /** Clears the status line; later output starts on a fresh line. */
  done(): void;
}

export function formatDurationShort(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(s % 60).padStart(2, '0')}s`;
}

function fmtRate(n: number): string {
  if (!Number.isFinite(n)) return '-';
  return n >= 100 ? String(Math.round(n)) : n.toFixed(1);
}

function fmtMs(n: number): string {
  if (!Number.isFinite(n)) return '-';
  return n >= 1000 ? `${(n / 1000).toFixed(2)}s` : `${Math.round(n)}ms`;
}

function bar(fraction: number, width: number): string {
  const filled = Math.max(0, Math.min(width, Math.round(fraction * width)));
  return `${'='.repeat(filled)}${filled < width ? '>' : ''}${' '.repeat(Math.max(0, width - filled - 1))}`;
}

/** One status line. `width` bounds it so a terminal never wraps it (wrapping breaks \r). */
export function formatStatusLine(
  s: ProgressSnapshot,
  options: { bar?: boolean; width?: number } = {},
): string {
  const fraction = s.totalMs > 0 ? Math.min(1, s.elapsedMs / s.totalMs) : 0;
  const parts = [
    `${s.phase.padEnd(7)} ${formatDurationShort(s.elapsedMs)}/${formatDurationShort(s.totalMs)}`,
    `sent ${fmtRate(s.sentPerSec)}/s`,
    `delivered ${fmtRate(s.deliveredPerSec)}/s`,
    `p99 ${fmtMs(s.deliveryP99Ms)}`,
    `reconnects ${s.reconnects}`,
    `faults ${s.activeFaults.length === 0 ? '-' : s.activeFaults.join(',')}`,
    `violations ${s.violations}`,
  ];
  if (!s.healthy) parts.push('GENERATOR BEHIND');
  let line = parts.join('  ');
  if (options.bar) line = `[${bar(fraction, 20)}] ${line}`;
  const width = options.width;
  if (width !== undefined && width > 10 && line.length > width - 1) line = `${line.slice(0, width - 2)}…`;
  return line;
}

export function createProgress(options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  const interactive = options.interactive ?? (stream.isTTY === true && !process.env.CI);
  const plainIntervalMs = options.plainIntervalMs ?? 5000;
  const now = options.now ?? Date.now;
  const quiet = options.quiet ?? false;
  let lastPlain = Number.NEGATIVE_INFINITY;
  let lineShown = false;

  const clearLine = () => {
    if (interactive && lineShown) {
      stream.write('\r\x1b[2K');
      lineShown = false;
    }
  };

  return {
    update(snapshot) {
      if (quiet) return;
      if (interactive) {
        const line = formatStatusLine(snapshot, { bar: true, width: stream.columns ?? 120 });
        stream.write(`\r\x1b[2K${line}`);
        lineShown = true;
        return;
      }
      const t = now();
      if (t - lastPlain < plainIntervalMs) return;
      lastPlain = t;
      stream.write(`${formatStatusLine(snapshot)}\n`);
    },
    log(message) {
      if (quiet) return;
      clearLine();
      stream.write(`${message}\n`);
    },
    done() {
      clearLine();
    },
  };
}
