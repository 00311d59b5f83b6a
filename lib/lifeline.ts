// The processes a chatquake run starts (nodes, the directory, the fault proxy) sit in their own
// process groups, so nothing ends them when the run itself is SIGKILLed (an OOM kill, a
// cancelled CI job). This file is how such a child notices that it is alone and ends itself:
//
// - the lifeline: the parent starts the child with CHATQUAKE_LIFELINE=<its pid> and stdin a
//   pipe it never writes to. When the parent dies the kernel closes that pipe and the child
//   reads end-of-file at once; a check of the parent pid every second is the backstop.
// - the log pipe: stdout and stderr are pipes the parent reads. Once it is gone, a write fails
//   with EPIPE. That error is caught here, never raised (an uncaughtException handler that logs
//   it would write to the same broken pipe, forever), and it too means the parent is gone.
//
// Dependency-free so that im-server/ and proxy/ (which may not import each other) share it.

/** Set by the parent in the child's environment: the parent's pid; stdin is the lifeline. */
export const LIFELINE_ENV = 'CHATQUAKE_LIFELINE';

/** Default bound on a graceful close once the parent is gone, after which the process exits. */
export const DEFAULT_ORPHAN_EXIT_MS = 3_000;

/** Default interval of the parent-pid check. */
export const DEFAULT_PARENT_POLL_MS = 1_000;

let stdioLost = false;
const lostListeners = new Set<(error: Error) => void>();
let guarded = false;

/** True for the errors a write to a pipe without a reader raises. */
export function isBrokenPipe(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || code === 'ECONNRESET';
}

function markLost(error: Error): void {
  if (stdioLost) return;
  stdioLost = true;
  for (const listener of lostListeners) listener(error);
}

/**
 * Catches every error on stdout and stderr (once per process): the first marks them lost, after
 * which `writeOut`/`writeErr` drop what they are given, and calls each `onLost` once. Returns a
 * function that removes this `onLost`.
 */
export function guardStdio(onLost: (error: Error) => void): () => void {
  lostListeners.add(onLost);
  if (!guarded) {
    guarded = true;
    process.stdout.on('error', markLost);
    process.stderr.on('error', markLost);
  }
  return () => lostListeners.delete(onLost);
}

/** True once a write to stdout or stderr has failed. */
export function isStdioLost(): boolean {
  return stdioLost;
}

function write(stream: NodeJS.WriteStream, text: string): void {
  if (stdioLost || stream.destroyed) return;
  try {
    stream.write(text);
  } catch (error) {
    markLost(error instanceof Error ? error : new Error(String(error)));
  }
}

/** Writes to stderr, unless stdio is lost; never throws. */
export function writeErr(text: string): void {
  write(process.stderr, text);
}

/** Writes to stdout, unless stdio is lost; never throws. */
export function writeOut(text: string): void {
  write(process.stdout, text);
}

export interface LifelineOptions {
  /** Called once, when the parent is gone: close gracefully; the process exits after `exitAfterMs` anyway. */
  onGone: (why: string) => void;
  /** Default 3000 ms. */
  exitAfterMs?: number;
  /** Default 1000 ms. */
  pollMs?: number;
  /** Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** The exit code of the forced exit; default 1. */
  exitCode?: number;
}

/** The parent pid the lifeline names, or undefined when this process was not started with one. */
export function lifelineParent(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env[LIFELINE_ENV];
  if (raw === undefined || !/^\d{1,10}$/.test(raw)) return undefined;
  const pid = Number(raw);
  return pid > 1 ? pid : undefined;
}

/**
 * Watches the parent (when started with a lifeline) and the log pipe (always): whichever says
 * first that the parent is gone calls `onGone` once and arms a forced exit. Returns a function
 * that stops watching (call it on a normal shutdown, so stdin no longer holds the process).
 */
export function holdLifeline(options: LifelineOptions): () => void {
  const exitAfterMs = options.exitAfterMs ?? DEFAULT_ORPHAN_EXIT_MS;
  const env = options.env ?? process.env;
  const parent = lifelineParent(env);
  // Not passed on: a process this one starts has another parent.
  delete env[LIFELINE_ENV];
  let gone = false;
  let timer: NodeJS.Timeout | undefined;
  const fire = (why: string): void => {
    if (gone) return;
    gone = true;
    stop();
    // Unref'd: a graceful close that empties the event loop ends the process sooner.
    setTimeout(() => process.exit(options.exitCode ?? 1), exitAfterMs).unref();
    options.onGone(why);
  };
  const onEnd = (): void => fire('its parent closed the lifeline');
  const removeGuard = guardStdio((error) => fire(`its log pipe broke (${errorCode(error)})`));
  if (parent !== undefined) {
    process.stdin.on('end', onEnd);
    process.stdin.on('close', onEnd);
    process.stdin.on('error', onEnd);
    process.stdin.resume();
    timer = setInterval(() => {
      if (process.ppid !== parent) fire(`its parent ${parent} exited`);
    }, options.pollMs ?? DEFAULT_PARENT_POLL_MS);
    timer.unref();
    if (process.ppid !== parent) queueMicrotask(() => fire(`its parent ${parent} exited before it started`));
  }
  function stop(): void {
    removeGuard();
    if (timer !== undefined) clearInterval(timer);
    if (parent !== undefined) {
      process.stdin.off('end', onEnd);
      process.stdin.off('close', onEnd);
      process.stdin.off('error', onEnd);
      process.stdin.destroy();
    }
  }
  return stop;
}

function errorCode(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : error.message;
}
