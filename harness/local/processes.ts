// Child processes of a run: started from the chatquake CLI, their stdout and stderr appended to
// one log file each, readiness read from the JSON "listening" line they print, and stopped for
// certain (SIGCONT first in case a fault paused them, then SIGTERM, then SIGKILL after a grace).
// Each child holds a lifeline (stdin, a pipe we never write to, and our pid in its environment)
// so that it ends itself if we die without stopping it; the run's ledger records it before it
// is spawned and forgets it once it has exited.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LIFELINE_ENV } from '../../lib/lifeline.ts';
import { type CleanupRegistry, cleanup as defaultCleanup } from './cleanup.ts';
import type { RunLedger } from './ledger.ts';

export const CHATQUAKE_BIN = fileURLToPath(new URL('../../bin/chatquake.js', import.meta.url));

export interface ServiceOptions {
  /** Shown in errors and the log, e.g. "eu-west/n1". */
  name: string;
  /** Arguments after `chatquake`, e.g. ['server', '--region', ...]. */
  args: string[];
  /** Appends stdout and stderr here (created with its folder). */
  logFile: string;
  /** The value of `event` in the JSON line that says the service is ready. Default 'listening'. */
  readyEvent?: string;
  /** Default 30 s: tsx start-up on a busy 2-core machine takes a few seconds. */
  readyTimeoutMs?: number;
  /** Default 3 s between SIGTERM and SIGKILL. */
  stopGraceMs?: number;
  env?: NodeJS.ProcessEnv;
  registry?: CleanupRegistry;
  /** Where the run records what it started, if it keeps a record. */
  ledger?: RunLedger;
}

export interface Service {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** The parsed ready line. */
  readonly ready: Record<string, unknown>;
  /** Resolves when the process has exited (at once if it already has). */
  exited(): Promise<void>;
  isRunning(): boolean;
  /** SIGCONT, SIGTERM, then SIGKILL after the grace; resolves once it is gone. */
  stop(): Promise<void>;
  /** SIGCONT + SIGKILL; resolves once it is gone. */
  kill(): Promise<void>;
}

export class ServiceStartError extends Error {}

/** Starts `node bin/chatquake.js ...args` and waits for its ready line. */
export async function startService(options: ServiceOptions): Promise<Service> {
  const registry = options.registry ?? defaultCleanup;
  const readyEvent = options.readyEvent ?? 'listening';
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const stopGraceMs = options.stopGraceMs ?? 3_000;
  mkdirSync(dirname(options.logFile), { recursive: true });
  const log = createWriteStream(options.logFile, { flags: 'a' });

  // Own process group: a Ctrl-C in the terminal reaches only the harness, which then tears
  // everything down in order (heal, stop, collect) instead of every child dying at once.
  const argv = [CHATQUAKE_BIN, ...options.args];
  const ledgerId = options.ledger?.processStarting(options.name, [process.execPath, ...argv]);
  const child = spawn(process.execPath, argv, {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
    env: { ...(options.env ?? process.env), [LIFELINE_ENV]: String(process.pid) },
  });
  // The lifeline: never written to; it closes when this process dies, however it dies.
  child.stdin?.on('error', () => {});
  if (ledgerId !== undefined) {
    if (child.pid !== undefined) options.ledger?.processSpawned(ledgerId, child.pid);
    const forget = () => options.ledger?.processExited(ledgerId);
    child.once('exit', forget);
    child.once('error', forget);
  }
  // The header names the pid, so a test (or a person) can tell which process wrote the log; the
  // values of secret flags are blanked, since run folders end up as CI artifacts.
  log.write(
    `# ${new Date().toISOString()} pid ${child.pid ?? '?'} chatquake ${redactArgs(options.args).join(' ')}\n`,
  );
  const untrack = registry.trackChild(child);
  const exitedPromise = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const closedPromise = new Promise<void>((resolve) => child.once('close', () => resolve()));

  let ready: Record<string, unknown> | undefined;
  const readyPromise = new Promise<Record<string, unknown>>((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => {
      reject(
        new ServiceStartError(
          `${options.name} did not report ready within ${readyTimeoutMs} ms (see ${options.logFile})`,
        ),
      );
    }, readyTimeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      if (ready !== undefined) return;
      buffered += chunk.toString('utf8');
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf('\n');
        if (!line.startsWith('{')) continue;
        try {
          const parsed: unknown = JSON.parse(line);
          if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
            const record = parsed as Record<string, unknown>;
            if (record.event === readyEvent) {
              ready = record;
              clearTimeout(timer);
              resolve(record);
              return;
            }
          }
        } catch {
          // Not JSON: a log line.
        }
      }
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new ServiceStartError(`${options.name} could not start: ${error.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new ServiceStartError(
          `${options.name} exited before it was ready (${signal ?? `code ${code}`}); see ${options.logFile}`,
        ),
      );
    });
  });
  pipeToLog(child, log);

  const signal = (sig: NodeJS.Signals): void => {
    if (child.pid === undefined) return;
    try {
      process.kill(child.pid, sig);
    } catch {
      // Already gone.
    }
  };
  const isRunning = () => child.exitCode === null && child.signalCode === null;
  const waitExit = async (ms: number): Promise<boolean> => {
    if (!isRunning()) return true;
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([
      exitedPromise.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), ms);
      }),
    ]);
    if (timer !== undefined) clearTimeout(timer);
    return done;
  };
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (isRunning()) {
        // A paused (SIGSTOP) child cannot act on SIGTERM until it is continued.
        signal('SIGCONT');
        signal('SIGTERM');
        if (!(await waitExit(stopGraceMs))) {
          signal('SIGKILL');
          await waitExit(5_000);
        }
      }
      untrack();
      unregister();
      // Let the last lines of output reach the log before closing it.
      await Promise.race([closedPromise, new Promise((resolve) => setTimeout(resolve, 1_000))]);
      await closeLog(log);
    })();
    return stopping;
  };
  const kill = async (): Promise<void> => {
    signal('SIGCONT');
    signal('SIGKILL');
    await waitExit(5_000);
    return stop();
  };
  const unregister = registry.add(`stop ${options.name}`, stop);

  try {
    await readyPromise;
  } catch (error) {
    await stop();
    throw error;
  }
  if (child.pid === undefined || ready === undefined) {
    await stop();
    throw new ServiceStartError(`${options.name} has no pid`);
  }
  const pid = child.pid;
  const readyLine = ready;
  if (ledgerId !== undefined && typeof readyLine.port === 'number')
    options.ledger?.processListening(ledgerId, [readyLine.port]);
  return {
    name: options.name,
    child,
    pid,
    ready: readyLine,
    exited: () => exitedPromise,
    isRunning,
    stop,
    kill,
  };
}

function pipeToLog(child: ChildProcess, log: WriteStream): void {
  const write = (chunk: Buffer) => {
    if (!log.writableEnded) log.write(chunk);
  };
  child.stdout?.on('data', write);
  child.stderr?.on('data', write);
  child.once('exit', (code, signal) => {
    if (!log.writableEnded) log.write(`# ${new Date().toISOString()} exited (${signal ?? `code ${code}`})\n`);
  });
}

function closeLog(log: WriteStream): Promise<void> {
  if (log.writableEnded) return Promise.resolve();
  return new Promise((resolve) => log.end(() => resolve()));
}

/** A field of a ready line as a port number, or a clear error. */
export function readyPort(service: Service): number {
  const port = service.ready.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port <= 0) {
    throw new ServiceStartError(`${service.name} reported no port in ${JSON.stringify(service.ready)}`);
  }
  return port;
}

/** Flags whose value is a secret: never written to a log. */
const SECRET_FLAGS = new Set(['--secret', '--admin-token']);

/** The arguments with every secret flag's value replaced by `***`. */
export function redactArgs(args: readonly string[]): string[] {
  return args.map((arg, i) => (i > 0 && SECRET_FLAGS.has(args[i - 1] as string) ? '***' : arg));
}
