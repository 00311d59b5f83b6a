// Real runs for the report and compare tests: `chatquake run` as a user runs it, shortened.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = fileURLToPath(new URL('../../bin/chatquake.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI; resolves with its exit code and output (never rejects on a non-zero exit). */
export function chatquake(args: string[], timeoutMs = 150_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: ROOT, timeout: timeoutMs, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(new Error(`chatquake ${args.join(' ')}: ${error.message}\n${stderr}`));
          return;
        }
        resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
  });
}

/** A region outage shortened to `seconds` (20 unless told), run into `dir`, with a fixed seed and optional server bug knobs. */
export async function regionOutageRun(
  dir: string,
  seed: number,
  bugs: string[] = [],
  seconds = 20,
): Promise<CliResult> {
  return chatquake([
    'run',
    'region-outage',
    '--duration',
    String(seconds),
    '--seed',
    String(seed),
    '--out',
    dir,
    '--quiet',
    ...bugs.flatMap((b) => ['--bug', b]),
  ]);
}
