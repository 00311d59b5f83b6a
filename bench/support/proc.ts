// CPU time of any process on this machine, from /proc (Linux only, as chatquake's local mode
// is): a benchmark compares processes it did not start in-process (server nodes, Artillery) by
// the CPU seconds each spent, which wall time on a shared 2-core machine cannot tell apart.
import { readFileSync } from 'node:fs';

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s on every mainstream kernel. */
const TICKS_PER_SECOND = 100;

/** User + system CPU seconds the process has spent so far (its exited children not included). */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / TICKS_PER_SECOND;
}

/** Resident set size in bytes. */
export function processRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  return match === null ? 0 : Number(match[1]) * 1024;
}

/** Peak resident set size in bytes (VmHWM). */
export function processPeakRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  return match === null ? 0 : Number(match[1]) * 1024;
}

/** CPU seconds of this process, user + system, including its worker threads. */
export function ownCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}
