// `chatquake <command> [...]`: a thin dispatcher. Each command lives in its own module, loaded
// only when called, so `chatquake server` does not pay for the runner's imports. Every command
// has a flag table (cli/options.ts, and each target's own): `chatquake <command> --help` prints
// it, and a flag it does not hold is refused here with the nearest one it does (exit 104).

import { EXIT_CODE_LINE, ExitCode } from './cli/exit-codes.ts';
import { type CommandSpec, formatCommandHelp, nearestFlag, unknownFlagProblem } from './cli/flag-table.ts';
import {
  chaosSpec,
  checkSpec,
  compareSpec,
  ingestSpec,
  k6Spec,
  listSpec,
  proxySpec,
  reportSpec,
  runSpec,
  upSpec,
  validateSpec,
} from './cli/options.ts';
import { type TargetCommand, targetCommands } from './targets/index.ts';

export type Command = TargetCommand;

export const commands: Record<string, Command> = {
  run: { spec: runSpec, load: () => import('./commands/run.ts') },
  up: { spec: upSpec, load: () => import('./commands/up.ts') },
  list: { spec: listSpec, load: () => import('./commands/list.ts') },
  validate: { spec: validateSpec, load: () => import('./commands/validate.ts') },
  check: { spec: checkSpec, load: () => import('./commands/check.ts') },
  report: { spec: reportSpec, load: () => import('./commands/report.ts') },
  compare: { spec: compareSpec, load: () => import('./commands/compare.ts') },
  k6: { spec: k6Spec, load: () => import('./commands/k6.ts') },
  ingest: { spec: ingestSpec, load: () => import('./commands/ingest.ts') },
  chaos: { spec: chaosSpec, load: () => import('./commands/chaos.ts') },
  ...targetCommands,
  proxy: { spec: proxySpec, load: () => import('../proxy/main.ts') },
};

export function helpText(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.spec.summary}`);
  return [
    'chatquake: chaos and load testing for multi-cloud instant messaging',
    '',
    'Usage: chatquake <command> [flags]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `chatquake <command> --help` for a command’s flags (docs/CLI.md has them all).',
    EXIT_CODE_LINE,
  ].join('\n');
}

/** `chatquake <command> --help`. */
export function commandHelp(spec: CommandSpec): string {
  return formatCommandHelp(spec);
}

/** True when argv asks for help before any `--` (after it, `-h` would be an argument). */
function asksForHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${helpText()}\n`);
    return ExitCode.ok;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write('chatquake 0.1.0\n');
    return ExitCode.ok;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (command === undefined) {
    const near = nearestFlag(
      name,
      Object.keys(commands).map((c) => ({ name: c, description: '' })),
    );
    const hint = near === undefined || near === '--help' ? '' : `; did you mean ${near.slice(2)}?`;
    process.stderr.write(`chatquake: unknown command "${name}"${hint}\n\n${helpText()}\n`);
    return ExitCode.invalidConfig;
  }
  if (asksForHelp(rest)) {
    process.stdout.write(commandHelp(command.spec));
    return ExitCode.ok;
  }
  const unknown = unknownFlagProblem(rest, command.spec);
  if (unknown !== undefined) {
    process.stderr.write(`${unknown}\n`);
    return ExitCode.invalidConfig;
  }
  const module = await command.load();
  return module.main(rest);
}
