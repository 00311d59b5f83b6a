// What a run started, on disk, kept true as it goes: <run dir>/started.json names every process
// (pid, start time, boot id and a hash of its command line:
// enough to prove later that a pid is still that process), the Toxiproxy in use, the proxies the run created on an external one, and the faults
// applied there. Each entry is written before the thing starts (a process: before the spawn,
// then its pid right after) and dropped once it is gone, so after a SIGKILL of the run the file
// lists exactly what may be left. The next run reads it (leftovers.ts) and clears what is
// provably ours. Identity is read from /proc: on a system without it nothing is ever proved,
// so nothing is ever killed.
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { ProxyBackend } from '../../chaos/index.ts';

export const LEDGER_FILE = 'started.json';

const Identity = z.object({
  pid: z.number().int().min(2),
  /** Field 22 of /proc/<pid>/stat: clock ticks after boot. */
  startTime: z.string().regex(/^\d+$/),
  bootId: z.string().min(1),
});
export type Identity = z.infer<typeof Identity>;

const LedgerProcess = z.object({
  id: z.number().int(),
  name: z.string(),
  /** sha256 of the argv joined with NUL, as /proc/<pid>/cmdline shows it. */
  argvSha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** Absent between the record and the spawn. */
  identity: Identity.optional(),
  ports: z.array(z.number().int()),
});
export type LedgerProcess = z.infer<typeof LedgerProcess>;

const LedgerProxy = z.object({
  name: z.string(),
  upstream: z.string(),
  /** Absent until the Toxiproxy answered the create. */
  listen: z.string().optional(),
});
export type LedgerProxy = z.infer<typeof LedgerProxy>;

const LedgerFault = z.object({
  proxy: z.string(),
  /** A toxic's name, or "disabled". */
  fault: z.string(),
});
export type LedgerFault = z.infer<typeof LedgerFault>;

export const LedgerFile = z.object({
  schemaVersion: z.literal(1),
  runId: z.string(),
  /** The chatquake process of the run: while it lives, its leftovers are not leftovers. */
  owner: Identity,
  finished: z.boolean(),
  toxiproxy: z.object({ url: z.string(), external: z.boolean() }).nullable(),
  processes: z.array(LedgerProcess),
  /** Proxies created on an external Toxiproxy (the embedded one dies with its process). */
  proxies: z.array(LedgerProxy),
  /** Faults applied through the run's Toxiproxy and not reverted yet. */
  faults: z.array(LedgerFault),
  /** Set by the run that cleared this one's leftovers. */
  clearedBy: z.string().optional(),
});
export type LedgerFile = z.infer<typeof LedgerFile>;

export interface RunLedger {
  readonly path: string;
  /** Records a process about to be spawned; returns its entry id. */
  processStarting(name: string, argv: string[]): number;
  /** Its pid and start identity, right after the spawn. */
  processSpawned(id: number, pid: number): void;
  processListening(id: number, ports: number[]): void;
  processExited(id: number): void;
  useToxiproxy(url: string, external: boolean): void;
  /** Before the create call; then `proxyCreated` with its bound address. */
  proxyCreating(name: string, upstream: string): void;
  proxyCreated(name: string, listen: string): void;
  proxyRemoved(name: string): void;
  /** Before the call that applies it. */
  faultApplying(proxy: string, fault: string): void;
  faultReverted(proxy: string, fault: string): void;
  /** Every fault on these proxies is gone (a scoped reset). */
  faultsCleared(proxies: readonly string[]): void;
  /** The run ended and stopped what it started; what is still listed was not undone. */
  finish(): void;
  snapshot(): LedgerFile;
  /** The first write that failed, if any: the record may be stale. */
  problem(): string | undefined;
}

/** The boot's id, so that a pid and start time from before a reboot never match. */
export function bootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** A live process's identity, or undefined when it is gone, a zombie, or /proc is missing. */
export function identityOf(pid: number): Identity | undefined {
  const boot = bootId();
  if (boot === undefined || !Number.isInteger(pid) || pid < 2) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After "pid (comm) ", field 3 (state) is index 0, so field 22 (starttime) is index 19.
    const state = fields[0];
    const startTime = fields[19];
    if (state === 'Z' || state === 'X' || startTime === undefined || !/^\d+$/.test(startTime))
      return undefined;
    return { pid, startTime, bootId: boot };
  } catch {
    return undefined;
  }
}

/** The command line of a live process, as its argv, or undefined. */
export function argvOf(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw.endsWith('\0') ? raw.slice(0, -1).split('\0') : raw.split('\0');
  } catch {
    return undefined;
  }
}

/** The hash a ledger keeps of a command line. */
export function argvHash(argv: readonly string[]): string {
  return createHash('sha256').update(argv.join('\0')).digest('hex');
}

/** True while `identity` names the same live process (same pid, boot and start time). */
export function sameProcess(identity: Identity): boolean {
  const now = identityOf(identity.pid);
  return now !== undefined && now.startTime === identity.startTime && now.bootId === identity.bootId;
}

/** The ledger of `runDir`, parsed, or a sentence saying why it cannot be read. */
export function readLedger(runDir: string): LedgerFile | string {
  const path = join(runDir, LEDGER_FILE);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    return `${path}: ${(error as Error).message}`;
  }
  const parsed = LedgerFile.safeParse(json);
  return parsed.success ? parsed.data : `${path}: not a run ledger`;
}

/** Writes the whole file atomically (a reader never sees half of it). */
export function writeLedger(runDir: string, ledger: LedgerFile): void {
  const path = join(runDir, LEDGER_FILE);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(ledger, null, 2)}\n`);
  renameSync(temporary, path);
}

/**
 * Starts the ledger of a run in `runDir` (which must exist), owned by this process. Without
 * /proc the owner has no provable identity; the ledger is still written, with a start time of 0
 * that no live process matches, so a later run treats the owner as gone but proves nothing else.
 */
export function createRunLedger(runDir: string, runId: string): RunLedger {
  const data: LedgerFile = {
    schemaVersion: 1,
    runId,
    owner: identityOf(process.pid) ?? { pid: process.pid, startTime: '0', bootId: 'unknown' },
    finished: false,
    toxiproxy: null,
    processes: [],
    proxies: [],
    faults: [],
  };
  let nextId = 1;
  let problem: string | undefined;
  // A full disk must not crash the run (this is called from exit handlers): the first failure
  // is kept for the run's warnings, and later writes still try.
  const save = (): void => {
    try {
      writeLedger(runDir, data);
    } catch (error) {
      problem ??= `could not write ${join(runDir, LEDGER_FILE)}: ${(error as Error).message}`;
    }
  };
  const processById = (id: number) => data.processes.find((p) => p.id === id);
  const sameFault = (proxy: string, fault: string) => (f: LedgerFault) =>
    f.proxy === proxy && f.fault === fault;
  save();
  return {
    path: join(runDir, LEDGER_FILE),
    processStarting(name, argv) {
      const id = nextId++;
      data.processes.push({ id, name, argvSha256: argvHash(argv), ports: [] });
      save();
      return id;
    },
    processSpawned(id, pid) {
      const entry = processById(id);
      const identity = identityOf(pid);
      if (entry === undefined || identity === undefined) return;
      entry.identity = identity;
      save();
    },
    processListening(id, ports) {
      const entry = processById(id);
      if (entry === undefined) return;
      entry.ports = ports;
      save();
    },
    processExited(id) {
      data.processes = data.processes.filter((p) => p.id !== id);
      save();
    },
    useToxiproxy(url, external) {
      data.toxiproxy = { url, external };
      save();
    },
    proxyCreating(name, upstream) {
      data.proxies = data.proxies.filter((p) => p.name !== name);
      data.proxies.push({ name, upstream });
      save();
    },
    proxyCreated(name, listen) {
      const entry = data.proxies.find((p) => p.name === name);
      if (entry === undefined) return;
      entry.listen = listen;
      save();
    },
    proxyRemoved(name) {
      data.proxies = data.proxies.filter((p) => p.name !== name);
      data.faults = data.faults.filter((f) => f.proxy !== name);
      save();
    },
    faultApplying(proxy, fault) {
      if (data.faults.some(sameFault(proxy, fault))) return;
      data.faults.push({ proxy, fault });
      save();
    },
    faultReverted(proxy, fault) {
      const before = data.faults.length;
      data.faults = data.faults.filter((f) => !sameFault(proxy, fault)(f));
      if (data.faults.length !== before) save();
    },
    faultsCleared(proxies) {
      const names = new Set(proxies);
      data.faults = data.faults.filter((f) => !names.has(f.proxy));
      save();
    },
    finish() {
      data.finished = true;
      save();
    },
    snapshot: () => structuredClone(data),
    problem: () => problem,
  };
}

/**
 * The run's fault backend, with each fault written to the ledger before it is applied and
 * dropped once reverted, so a crash leaves a list of what was still applied.
 */
export function recordFaults(
  backend: ProxyBackend,
  ledger: RunLedger,
  owned: () => readonly string[],
): ProxyBackend {
  return {
    async setEnabled(proxy, enabled) {
      if (!enabled) ledger.faultApplying(proxy, 'disabled');
      await backend.setEnabled(proxy, enabled);
      if (enabled) ledger.faultReverted(proxy, 'disabled');
    },
    async addToxic(proxy, toxic) {
      ledger.faultApplying(proxy, toxic.name);
      await backend.addToxic(proxy, toxic);
    },
    async removeToxic(proxy, name) {
      await backend.removeToxic(proxy, name);
      ledger.faultReverted(proxy, name);
    },
    async reset() {
      await backend.reset();
      ledger.faultsCleared(owned());
    },
  };
}
