// A command's flags as plain data — long name, short form, value, default, one line, aliases —
// and what is derived from it: the options node:util parseArgs takes, the `--help` text, and the
// "unknown flag --vsu; did you mean --vus?" message. One table per command (options.ts, and each
// target's own commands), so the help cannot forget a flag the parser accepts.
import { parseArgs } from 'node:util';

export interface FlagSpec {
  /** The long name, without the dashes: `users` for `--users`. */
  readonly name: string;
  /** One letter: `u` for `-u`. */
  readonly short?: string;
  /** What the value looks like in help (`N`, `DURATION`, `KEY=VALUE`); absent for a switch. */
  readonly value?: string;
  /** The flag may be given more than once; every value counts. */
  readonly multiple?: boolean;
  /** The default as help shows it; absent when there is none (or the scenario decides). */
  readonly default?: string;
  /** One line saying what the flag does. */
  readonly description: string;
  /** Other long names that mean the same (k6's, for one): `vus` for `users`. */
  readonly aliases?: readonly string[];
}

export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  /** The positional arguments as usage shows them, e.g. `<scenario|file.ts>`; '' for none. */
  readonly args: string;
  readonly flags: readonly FlagSpec[];
  /** Lines printed after the flags (what a flag means beyond one line, k6 names). */
  readonly notes?: readonly string[];
}

/** Every spelling of a flag: `--users`, `--vus`, `-u`. */
export function spellings(flag: FlagSpec): string[] {
  return [
    `--${flag.name}`,
    ...(flag.aliases ?? []).map((a) => `--${a}`),
    ...(flag.short === undefined ? [] : [`-${flag.short}`]),
  ];
}

type ParseArgsOption = { type: 'string' | 'boolean'; short?: string; multiple?: boolean };

/** The table as parseArgs options: an alias is an option of its own, merged after parsing. */
export function parseArgsOptions(flags: readonly FlagSpec[]): Record<string, ParseArgsOption> {
  const options: Record<string, ParseArgsOption> = {};
  for (const flag of flags) {
    const type = flag.value === undefined ? 'boolean' : 'string';
    const multiple = flag.multiple === true ? { multiple: true } : {};
    options[flag.name] = { type, ...(flag.short === undefined ? {} : { short: flag.short }), ...multiple };
    for (const alias of flag.aliases ?? []) options[alias] = { type, ...multiple };
  }
  return options;
}

/** `chatquake <cmd> --help`: usage, summary, then one line per flag with short form and default. */
export function formatCommandHelp(spec: CommandSpec): string {
  const rows = [
    ...spec.flags.map((flag) => {
      const names = [
        ...(flag.short === undefined ? [] : [`-${flag.short}`]),
        `--${flag.name}`,
        ...(flag.aliases ?? []).map((a) => `--${a}`),
      ].join(', ');
      const value = flag.value === undefined ? '' : ` ${flag.value}`;
      const more = [
        ...(flag.multiple === true ? ['repeatable'] : []),
        ...(flag.default === undefined ? [] : [`default ${flag.default}`]),
      ];
      return [`${names}${value}`, `${flag.description}${more.length > 0 ? ` (${more.join('; ')})` : ''}`];
    }),
    ['-h, --help', 'print this help and exit'],
  ] as [string, string][];
  const width = Math.max(...rows.map(([left]) => left.length));
  const usage = [`chatquake ${spec.name}`, spec.args, spec.flags.length > 0 ? '[flags]' : '']
    .filter((part) => part !== '')
    .join(' ');
  return [
    `Usage: ${usage}`,
    '',
    `${spec.summary[0]?.toUpperCase() ?? ''}${spec.summary.slice(1)}.`,
    '',
    'Flags:',
    ...rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`),
    ...(spec.notes === undefined || spec.notes.length === 0 ? [] : ['', ...spec.notes]),
    '',
  ].join('\n');
}

/** Edit distance with adjacent swaps counted once (`vsu` → `vus` is 1). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => d[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}

/** The known long flag nearest to `given` (no dashes), if one is near enough to be the one meant. */
export function nearestFlag(given: string, flags: readonly FlagSpec[]): string | undefined {
  const names = [...flags.flatMap((f) => [f.name, ...(f.aliases ?? [])]), 'help'];
  let best: { name: string; distance: number } | undefined;
  for (const name of names) {
    const distance = name.startsWith(given) && given.length >= 2 ? 1 : editDistance(given, name);
    if (best === undefined || distance < best.distance) best = { name, distance };
  }
  if (best === undefined) return undefined;
  const allowed = Math.max(1, Math.min(3, Math.floor(Math.max(given.length, best.name.length) / 3)));
  return best.distance <= allowed ? `--${best.name}` : undefined;
}

/**
 * The first flag in `argv` the table does not know, as the message to print, or undefined. A
 * value given to a known flag is not a flag (`--secret --odd` keeps `--odd` as the secret).
 */
export function unknownFlagProblem(argv: readonly string[], spec: CommandSpec): string | undefined {
  const { tokens } = parseArgs({
    args: [...argv],
    options: parseArgsOptions(spec.flags),
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const known = new Set(spec.flags.flatMap((flag) => spellings(flag).map((s) => s.replace(/^-+/, ''))));
  for (const token of tokens) {
    if (token.kind !== 'option' || known.has(token.name) || token.name === 'help' || token.name === 'h')
      continue;
    const shown = token.rawName;
    const near = token.rawName.startsWith('--') ? nearestFlag(token.name, spec.flags) : undefined;
    return `chatquake ${spec.name}: unknown flag ${shown}${near === undefined ? '' : `; did you mean ${near}?`} (see chatquake ${spec.name} --help)`;
  }
  return undefined;
}
