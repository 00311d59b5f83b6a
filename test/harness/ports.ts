// What is still alive after a run: processes by pid (from /proc) and listening TCP sockets on
// the given ports (from /proc/net/tcp, leaving out the test runner's own), so tests can prove
// teardown left nothing behind.
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';

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

/**
 * Local ports in LISTEN state (from /proc/net/tcp and tcp6), leaving out sockets held by a vitest
 * process: unit test files run beside the integration files and bind ephemeral ports of their
 * own, which may be a number a finished run's service used a moment before. A socket whose
 * owner cannot be found counts as listening.
 */
export function listeningPorts(): Set<number> {
  const listen = new Map<string, number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      if (fields[3] !== '0A') continue; // TCP_LISTEN
      const port = Number.parseInt((fields[1] ?? '').split(':')[1] ?? '', 16);
      if (Number.isInteger(port)) listen.set(fields[9] as string, port);
    }
  }
  const testRunners = socketsOfTestRunners(new Set(listen.keys()));
  const ports = new Set<number>();
  for (const [inode, port] of listen) if (!testRunners.has(inode)) ports.add(port);
  return ports;
}

/** Which of these socket inodes a vitest process holds. */
function socketsOfTestRunners(inodes: Set<string>): Set<string> {
  const held = new Set<string>();
  for (const entry of readdirSafe('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!cmdline.includes('vitest')) continue;
    for (const fd of readdirSafe(`/proc/${entry}/fd`)) {
      try {
        const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${entry}/fd/${fd}`))?.[1];
        if (inode !== undefined && inodes.has(inode)) held.add(inode);
      } catch {
        // Closed meanwhile.
      }
    }
  }
  return held;
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
