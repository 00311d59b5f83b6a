// The CLI explains itself: every command's --help lists every flag its parser accepts (short
// form, default, one line), an unknown flag gets the nearest known one, every bad value names
// its flag and the value, and k6's names (--vus, -e, --tag, --summary-export, --no-thresholds)
// mean what k6 users expect.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { editDistance, parseArgsOptions, spellings } from '../../harness/cli/flag-table.ts';
import { parseRunFlags } from '../../harness/cli/flags.ts';
import { commands, main } from '../../harness/cli.ts';
import { exportSummary } from '../../harness/commands/run.ts';
import { directoryOptions } from '../../im-server/directory-main.ts';
import { serverOptions } from '../../im-server/main.ts';
import { tokenOptions } from '../../im-server/token-main.ts';
import { proxyOptions } from '../../proxy/main.ts';

const bin = new URL('../../bin/chatquake.js', import.meta.url).pathname;
const SCENARIO_MODULE = new URL('../../harness/scenario/scenario.ts', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'chatquake-flags-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function chatquake(...args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 30_000 });
}

async function helpOf(name: string, flag = '--help'): Promise<{ code: number; text: string }> {
  let text = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    text += String(chunk);
    return true;
  });
  try {
    return { code: await main([name, flag]), text };
  } finally {
    spy.mockRestore();
  }
}

/** What each command's own parser accepts, where it is not derived from the table. */
const OWN_PARSERS: Record<string, Record<string, { type: string; short?: string; multiple?: boolean }>> = {
  server: serverOptions,
  directory: directoryOptions,
  token: tokenOptions,
  proxy: proxyOptions,
};

const flagError = (argv: string[], command = 'run'): string => {
  try {
    parseRunFlags(argv, command);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`parsed: ${argv.join(' ')}`);
};

describe('--help', () => {
  it('exists for every command, with -h too, and lists every flag with its short form and default', async () => {
    expect(Object.keys(commands).sort()).toEqual(
      [
        'chaos',
        'check',
        'compare',
        'directory',
        'ingest',
        'k6',
        'list',
        'proxy',
        'report',
        'run',
        'server',
        'token',
        'up',
        'validate',
        'xmpp-region',
      ].sort(),
    );
    for (const [name, command] of Object.entries(commands)) {
      for (const flag of ['--help', '-h']) {
        const { code, text } = await helpOf(name, flag);
        expect(code, name).toBe(0);
        expect(text, name).toContain(`Usage: chatquake ${name}`);
        for (const spec of command.spec.flags) {
          const line = text.split('\n').find((l) => new RegExp(`--${spec.name}\\b`).test(l)) ?? '';
          for (const spelling of spellings(spec)) expect(line, `${name} ${spelling}`).toContain(spelling);
          if (spec.default !== undefined)
            expect(line, `${name} --${spec.name}`).toContain(`default ${spec.default}`);
          expect(spec.description.length, `${name} --${spec.name}`).toBeGreaterThan(5);
        }
      }
    }
  });

  it('lists every option each command’s parser accepts, and nothing it refuses', () => {
    for (const [name, command] of Object.entries(commands)) {
      const table = parseArgsOptions(command.spec.flags);
      const parser = OWN_PARSERS[name] ?? table; // the others parse with the table itself
      expect(Object.keys(table).sort(), name).toEqual(Object.keys(parser).sort());
      for (const [option, config] of Object.entries(parser)) {
        expect(table[option]?.type, `${name} --${option}`).toBe(config.type);
        expect(table[option]?.multiple ?? false, `${name} --${option}`).toBe(config.multiple ?? false);
      }
    }
  });

  it('works through the real CLI, and the top-level help states the exit codes', () => {
    const run = chatquake('run', '--help');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/-u, --users, --vus N/);
    expect(run.stdout).toMatch(/-e, --env KEY=VALUE .*repeatable/);
    expect(run.stdout).toMatch(/--no-thresholds/);
    const top = chatquake('--help');
    expect(top.stdout).toContain('99 a threshold or check failed, 96 invalid run, 104 bad flag');
    expect(top.stdout).toContain('105 aborted by a signal');
  });
});

describe('unknown flags', () => {
  it('suggests the nearest known one and exits 104', () => {
    expect(flagError(['steady-state', '--vsu', '5'])).toContain(
      'chatquake run: unknown flag --vsu; did you mean --vus?',
    );
    expect(flagError(['steady-state', '--durration', '5'])).toContain('did you mean --duration?');
    expect(flagError(['steady-state', '--zzzzzzzz'])).not.toContain('did you mean');
    const result = chatquake('run', 'steady-state', '--vsu', '5');
    expect(result.status).toBe(104);
    expect(result.stderr).toContain('unknown flag --vsu; did you mean --vus?');
    const compare = chatquake('compare', 'a', 'b', '--max-regresion', '5%');
    expect(compare.status).toBe(104);
    expect(compare.stderr).toContain('did you mean --max-regression?');
    const server = chatquake('server', '--regoin', 'eu-west');
    expect(server.status).toBe(104);
    expect(server.stderr).toContain('did you mean --region?');
  });

  it('counts a swap of two letters as one edit', () => {
    expect(editDistance('vsu', 'vus')).toBe(1);
    expect(editDistance('rate', 'rate')).toBe(0);
    expect(editDistance('', 'abc')).toBe(3);
  });
});

describe('flag values', () => {
  it('--vus is --users; -d takes a duration', () => {
    const flags = parseRunFlags(['steady-state', '--vus', '5', '-d', '10s']);
    expect(flags).toMatchObject({ users: 5, durationSeconds: 10 });
    expect(parseRunFlags(['steady-state', '-u', '7', '--duration', '1m30s'])).toMatchObject({
      users: 7,
      durationSeconds: 90,
    });
    expect(parseRunFlags(['steady-state', '-d', '30'])).toMatchObject({ durationSeconds: 30 });
    expect(parseRunFlags(['steady-state', '-d', '500ms'])).toMatchObject({ durationSeconds: 0.5 });
    expect(flagError(['steady-state', '--vus', '5', '--users', '6'])).toMatch(/same flag/);
  });

  it('names the flag and the value for every bad value', () => {
    expect(flagError(['steady-state', '--duration', '10parsecs'])).toBe(
      'chatquake run: --duration: invalid duration "10parsecs" (use 30, 90s, 2m, 1m30s or 500ms)',
    );
    expect(flagError(['steady-state', '--rate', 'fast'])).toBe(
      'chatquake run: --rate: must be a number (got "fast")',
    );
    expect(flagError(['steady-state', '--rate', '-5'])).toMatch(/--rate: must be above 0.*\(got "-5"\)/);
    expect(flagError(['steady-state', '--users', '0'])).toBe(
      'chatquake run: --users: must be at least 1 (got "0")',
    );
    expect(flagError(['steady-state', '--vus', '1.5'])).toMatch(
      /^chatquake run: --vus: must be a whole number \(got "1.5"\)/,
    );
    expect(flagError(['steady-state', '--seed', 'abc'])).toMatch(/--seed: must be a number \(got "abc"\)/);
    expect(flagError(['steady-state', '--nodes', '99'])).toMatch(/--nodes: must be at most \d+ \(got "99"\)/);
    expect(flagError(['steady-state', '--regions', 'eu-west,Mars'])).toMatch(
      /--regions: lower-case .*\(got "Mars"\)/,
    );
    expect(flagError(['steady-state', '--regions', 'eu-west,eu-west'])).toMatch(
      /--regions: a region is named twice/,
    );
    expect(flagError(['steady-state', '--bug', 'nope'])).toMatch(/--bug: .*\(got "nope"\)/);
    expect(flagError(['steady-state', '--duration', '10parsecs'], 'validate')).toMatch(
      /^chatquake validate: --duration/,
    );
  });

  it('-e and --tag take KEY=VALUE, and say so', () => {
    expect(flagError(['steady-state', '-e', 'FOO'])).toBe(
      'chatquake run: --env: expected KEY=VALUE (got "FOO")',
    );
    expect(flagError(['steady-state', '--env', '1X=y'])).toMatch(/--env: the name must be/);
    expect(flagError(['steady-state', '--tag', 'team-name=x'])).toMatch(
      /--tag: the key must be .*Prometheus/,
    );
    expect(flagError(['steady-state', '--tag', '__x=y'])).toMatch(
      /--tag: keys starting with __ are reserved/,
    );
    expect(flagError(['steady-state', '--tag', 'a=1', '--tag', 'a=2'])).toMatch(/--tag: a is given twice/);
    expect(flagError(['steady-state', '--tag', `a=${'x'.repeat(300)}`])).toMatch(/at most 256 characters/);
    const many = Array.from({ length: 33 }, (_, i) => ['--tag', `k${i}=v`]).flat();
    expect(flagError(['steady-state', ...many])).toMatch(/--tag: at most 32 tags/);
    const flags = parseRunFlags(['steady-state', '-e', 'A=1', '--env', 'B=x=y', '--tag', 'ci_job=42']);
    expect(flags).toMatchObject({ env: { A: '1', B: 'x=y' }, tags: { ci_job: '42' }, noThresholds: false });
    expect(parseRunFlags(['steady-state', '--no-thresholds']).noThresholds).toBe(true);
    expect(flagError(['steady-state', '--tag', 'a=1'], 'validate')).toMatch(/unknown flag --tag/);
  });
});

describe('-e and __ENV in a scenario file', () => {
  it('are set before the file loads, so the file reads them', () => {
    const file = join(dir, 'from-env.ts');
    writeFileSync(
      file,
      [
        `import { defineScenario } from ${JSON.stringify(SCENARIO_MODULE)};`,
        'export default defineScenario({',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the scenario file's own template
        '  name: `env-${process.env.CQ_TEAM}-${__ENV.CQ_SIZE}`,',
        "  description: 'reads -e', duration: '5s', workload: { users: Number(process.env.CQ_SIZE) },",
        '});',
      ].join('\n'),
    );
    const result = chatquake('validate', file, '-e', 'CQ_TEAM=blue', '--env', 'CQ_SIZE=12', '--seed', '1');
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('scenario  env-blue-12');
    expect(result.stdout).toMatch(/, 12 users,/);
    const bad = chatquake('validate', file, '-e', 'CQ_TEAM');
    expect(bad.status).toBe(104);
    expect(bad.stderr).toContain('--env: expected KEY=VALUE (got "CQ_TEAM")');
  });
});

describe('exit codes through the real CLI', () => {
  it('104 for a bad scenario file, 107 for one that throws while loading', () => {
    const bad = join(dir, 'bad.ts');
    writeFileSync(bad, "export default { name: 'bad', description: 'x', duration: 'soon' };\n");
    const result = chatquake('validate', bad);
    expect(result.status, result.stderr).toBe(104);
    expect(result.stderr).toMatch(/scenario\.duration/);
    const throws = join(dir, 'throws.ts');
    writeFileSync(throws, "throw new Error('no config for this cloud');\nexport default {};\n");
    const thrown = chatquake('validate', throws);
    expect(thrown.status, thrown.stderr).toBe(107);
    expect(thrown.stderr).toMatch(/throws\.ts: cannot load: no config for this cloud/);
    expect(chatquake('list', 'extra').status).toBe(104);
    expect(chatquake('frobnicate').stderr).toContain('unknown command');
  });
});

describe('--summary-export', () => {
  it('writes summary.json to FILE, creating its folders', () => {
    const runDir = join(dir, 'run');
    mkdirSync(runDir, { recursive: true });
    writeFileSync(join(runDir, 'summary.json'), '{"ok":true}\n');
    const target = join(dir, 'exports', 'deep', 'summary.json');
    expect(exportSummary(runDir, target)).toBeUndefined();
    expect(readFileSync(target, 'utf8')).toBe('{"ok":true}\n');
    expect(exportSummary(join(dir, 'missing'), join(dir, 'x.json'))).toMatch(/--summary-export .*x\.json/);
    expect(existsSync(join(dir, 'x.json'))).toBe(false);
  });

  it('refuses a folder or a path under a file at parse time', () => {
    expect(flagError(['steady-state', '--summary-export', dir])).toMatch(/--summary-export: .* is a folder/);
    const file = join(dir, 'plain');
    writeFileSync(file, 'x');
    expect(flagError(['steady-state', '--summary-export', join(file, 's.json')])).toMatch(/is not a folder/);
  });
});
