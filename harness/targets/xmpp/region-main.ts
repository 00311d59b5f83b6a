// `chatquake xmpp-region --config FILE --port P`: one region's Prosody, held to the run. Prosody
// has no lifeline of its own, so this wrapper starts it (with the kernel's parent-death signal,
// so it dies even if the wrapper is SIGKILLed), prints the ready line once the c2s port accepts
// TCP, ends Prosody when the harness goes away or on SIGTERM, and exits when Prosody exits. The
// ready line names Prosody's pid, so pause and crash faults signal the server itself.
import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { describeIssues } from '../../../contracts/errors.ts';
import { ExitCode } from '../../../contracts/exit-codes.ts';
import { sleep } from '../../../lib/async.ts';
import { holdLifeline, writeErr, writeOut } from '../../../lib/lifeline.ts';
import { parseArgsOptions } from '../../cli/flag-table.ts';
import { DEFAULT_REGION_GRACE_MS, xmppRegionSpec } from './commands.ts';

const RegionFlags = z.object({
  config: z.string().min(1),
  port: z.coerce.number().int().min(1).max(65_535),
  host: z.string().min(1).default('127.0.0.1'),
  prosody: z.string().min(1).default('prosody'),
  'grace-ms': z.coerce.number().int().min(0).max(60_000).default(DEFAULT_REGION_GRACE_MS),
});
type RegionFlags = z.infer<typeof RegionFlags>;

const READY_TIMEOUT_MS = 20_000;

function parseFlags(argv: string[]): { ok: true; flags: RegionFlags } | { ok: false; message: string } {
  let values: Record<string, unknown>;
  try {
    const options = parseArgsOptions(xmppRegionSpec.flags);
    values = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  const parsed = RegionFlags.safeParse(values);
  if (!parsed.success) {
    return { ok: false, message: describeIssues(parsed.error).replace(/(^|; )(\w[\w-]*)/g, '$1--$2') };
  }
  return { ok: true, flags: parsed.data };
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** True once the port accepts; false if Prosody exited first or the time ran out. */
async function waitReady(flags: RegionFlags, prosody: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (prosody.exitCode !== null || prosody.signalCode !== null) return false;
    if (await accepts(flags.host, flags.port)) return true;
    await sleep(100);
  }
  return false;
}

function startProsody(flags: RegionFlags): ChildProcess {
  // setpriv --pdeathsig: the kernel SIGKILLs Prosody when this wrapper dies, however it dies.
  return spawn('setpriv', ['--pdeathsig', 'KILL', flags.prosody, '--config', flags.config, '-F'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

export async function main(argv: string[]): Promise<number> {
  const parsed = parseFlags(argv);
  if (!parsed.ok) {
    writeErr(`chatquake xmpp-region: ${parsed.message}\n`);
    return ExitCode.invalidConfig;
  }
  const flags = parsed.flags;
  const prosody = startProsody(flags);
  const exited = new Promise<number>((resolve) => {
    prosody.once('exit', (code, signal) => {
      writeErr(`chatquake xmpp-region: prosody exited (${signal ?? `code ${code}`})\n`);
      resolve(code ?? 1);
    });
    prosody.once('error', (error) => {
      writeErr(`chatquake xmpp-region: could not start prosody: ${error.message}\n`);
      resolve(1);
    });
  });
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    signal(prosody, 'SIGCONT'); // a paused server acts on SIGTERM only once it runs again
    signal(prosody, 'SIGTERM');
    setTimeout(() => signal(prosody, 'SIGKILL'), flags['grace-ms']).unref();
  };
  const releaseLifeline = holdLifeline({ onGone: stop, exitAfterMs: flags['grace-ms'] + 1000 });
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  if (!(await waitReady(flags, prosody))) {
    writeErr(`chatquake xmpp-region: prosody did not accept on ${flags.host}:${flags.port}\n`);
    stop();
    await exited;
    releaseLifeline();
    return 1;
  }
  writeOut(
    `${JSON.stringify({ event: 'listening', host: flags.host, port: flags.port, prosodyPid: prosody.pid, config: flags.config })}\n`,
  );
  const code = await exited;
  releaseLifeline();
  return stopping ? 0 : code === 0 ? 1 : code;
}

function signal(child: ChildProcess, sig: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(child.pid, sig);
  } catch {
    // Already gone.
  }
}
