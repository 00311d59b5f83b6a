// What is still alive after a run: processes by pid (from /proc) and listening TCP sockets on
// the given ports (from /proc/net/tcp), so tests can prove teardown left nothing behind.
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** True while a process with this pid exists and is not a zombie. */
export function pidAlive(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return false;
  try {
    const text = readFileSync(stat, 'utf8');
    const state = text.slice(text.lastIndexOf(')') + 2, text.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Local ports in LISTEN state, from /proc/net/tcp (IPv4). */
export function listeningPorts(): Set<number> {
  const ports = new Set<number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 4) continue;
      if (fields[3] !== '0A') continue; // TCP_LISTEN
      const port = Number.parseInt((fields[1] ?? '').split(':')[1] ?? '', 16);
      if (Number.isInteger(port)) ports.add(port);
    }
  }
  return ports;
}

/** Pids whose command line mentions `needle` (e.g. a run folder), excluding this process. */
export function pidsMentioning(needle: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSafe('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmdline.includes(needle) && pidAlive(pid)) found.push(pid);
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
