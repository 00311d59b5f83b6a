// How numbers and times read on the console: compact counts, durations as "1m05s", clock times
// in the browser's zone, and "–" for what the target does not report.

export const NONE = '–';

export function count(n: number | null): string {
  if (n === null) return NONE;
  return n.toLocaleString('en-US');
}

/** Seconds with one decimal below a minute, else "XmYYs". */
export function seconds(s: number | null): string {
  if (s === null) return NONE;
  if (s < 60) return `${s.toFixed(1)}s`;
  return clock(s * 1000);
}

/** A span of milliseconds as "12s", "3m05s" or "1h02m03s". */
export function clock(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hh = Math.floor(total / 3600);
  const mm = Math.floor((total % 3600) / 60);
  const ss = total % 60;
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (hh > 0) return `${hh}h${pad(mm)}m${pad(ss)}s`;
  if (mm > 0) return `${mm}m${pad(ss)}s`;
  return `${ss}s`;
}

/** Epoch ms as the local wall-clock time, "14:03:27". */
export function time(t: number | null): string {
  if (t === null) return NONE;
  return new Date(t).toLocaleTimeString('en-GB', { hour12: false });
}
