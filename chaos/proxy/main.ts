// Placeholder until the command lands; see the open issues.
export async function main(_argv: string[]): Promise<number> {
  process.stderr.write('chatquake: this command is not yet available in this build\n');
  return 1;
}
