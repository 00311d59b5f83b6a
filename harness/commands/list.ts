// `chatquake list`: the built-in scenarios, one line each (name, load duration, faults, summary).
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatDuration } from '../../lib/duration.ts';
import { ExitCode } from '../cli/exit-codes.ts';
import { loadScenario } from '../scenario/scenario.ts';

const SCENARIOS_DIR = fileURLToPath(new URL('../../scenarios/', import.meta.url));

/** Built-in scenario names: every scenarios/*.ts not starting with '_' (shared helpers). */
export function builtinScenarioNames(): string[] {
  return readdirSync(SCENARIOS_DIR)
    .filter((f) => f.endsWith('.ts') && !f.startsWith('_'))
    .map((f) => f.slice(0, -3))
    .sort();
}

function firstSentence(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const end = flat.search(/[.!?](\s|$)/);
  return end >= 0 ? flat.slice(0, end + 1) : flat;
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length > 0) {
    process.stderr.write(`chatquake list: takes no arguments (got ${argv.join(' ')})\n`);
    return ExitCode.invalidConfig;
  }
  const rows: string[][] = [];
  for (const name of builtinScenarioNames()) {
    try {
      const scenario = await loadScenario(name);
      const faults = scenario.chaos.map((f) => f.fault);
      rows.push([
        scenario.name,
        formatDuration(scenario.durationMs),
        faults.length === 0 ? '-' : [...new Set(faults)].join(','),
        firstSentence(scenario.description),
      ]);
    } catch (error) {
      rows.push([name, '?', '?', `(cannot load: ${(error as Error).message.split('\n')[0]})`]);
    }
  }
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => (r[i] as string).length)));
  for (const row of rows) {
    const [name, duration, faults, text] = row as [string, string, string, string];
    process.stdout.write(
      `${name.padEnd(widths[0] as number)}  ${duration.padStart(widths[1] as number)}  ${faults.padEnd(widths[2] as number)}  ${text}\n`,
    );
  }
  process.stdout.write(
    '\nRun one with `chatquake run <name>`; see its plan with `chatquake validate <name>`.\n',
  );
  return ExitCode.ok;
}
