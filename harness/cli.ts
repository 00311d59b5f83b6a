// `chatquake <command> [...]`: a thin dispatcher. Each command lives in its own module, loaded
// only when called, so `chatquake server` does not pay for the runner's imports.

import { type TargetCommand, targetCommands } from './targets/index.ts';

export type Command = TargetCommand;

export const commands: Record<string, Command> = {
  run: {
    summary: 'run a scenario: bring up the topology, drive load, inject faults, check, write results',
    usage:
      'chatquake run <scenario|file.ts> [--out DIR] [--seed N] [--duration S] [--rate N] [--users N] [--regions a,b] [--nodes N] [--bug NAME]... [--quiet]',
    load: () => import('./commands/run.ts'),
  },
  list: {
    summary: 'list the built-in scenarios',
    usage: 'chatquake list',
    load: () => import('./commands/list.ts'),
  },
  validate: {
    summary: 'print the resolved topology and fault timeline of a scenario; starts nothing',
    usage:
      'chatquake validate <scenario|file.ts> [--seed N] [--duration S] [--rate N] [--users N] [--regions a,b] [--nodes N] [--bug NAME]...',
    load: () => import('./commands/validate.ts'),
  },
  check: {
    summary: 're-run the checkers and thresholds on a saved run',
    usage: 'chatquake check <run dir> [--thresholds FILE] [--quiet]',
    load: () => import('./commands/check.ts'),
  },
  report: {
    summary: 're-render report.html from a saved run',
    usage: 'chatquake report <run dir> [--out FILE]',
    load: () => import('./commands/report.ts'),
  },
  compare: {
    summary: 'compare a candidate run against a baseline; exit 99 on regression',
    usage:
      'chatquake compare <baseline dir> <candidate dir> [--max-regression 10%] [--out FILE] [--iterations 2000] [--confidence 0.95] [--seed 1] [--json]',
    load: () => import('./commands/compare.ts'),
  },
  ...targetCommands,
  proxy: {
    summary: 'run the fault proxy (speaks the Toxiproxy HTTP API)',
    usage: 'chatquake proxy [--host 127.0.0.1] [--port 8474] [--config proxies.json] [--seed N]',
    load: () => import('../proxy/main.ts'),
  },
};

export function helpText(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    'chatquake: chaos and load testing for multi-cloud instant messaging',
    '',
    'Usage: chatquake <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `chatquake <command> --help` for a command’s options.',
    'Exit codes: 0 pass, 99 a threshold or check failed, 97 invalid run, 2 bad usage, 1 other error.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${helpText()}\n`);
    return 0;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write('chatquake 0.1.0\n');
    return 0;
  }
  const command = commands[name];
  if (command === undefined) {
    process.stderr.write(`chatquake: unknown command "${name}"\n\n${helpText()}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`Usage: ${command.usage}\n\n${command.summary}\n`);
    return 0;
  }
  const module = await command.load();
  return module.main(rest);
}
