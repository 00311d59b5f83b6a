// `chatquake chaos`: being built (issue 19); this placeholder says so instead of failing to load.
import { ExitCode } from '../cli/exit-codes.ts';

export async function main(_argv: string[]): Promise<number> {
  process.stderr.write('chatquake chaos: not built yet (issue 19)\n');
  return ExitCode.error;
}
