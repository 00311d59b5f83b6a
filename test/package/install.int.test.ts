// chatquake used the way a team uses k6 in CI: `npm pack`, install the tarball into a fresh
// project (about a minute: better-sqlite3 compiles), then, from that project, validate a
// TypeScript, a JavaScript and a YAML scenario, run one, typecheck the user's TypeScript under a
// strict tsconfig of their own (the package's types/, never our .ts sources), import it under
// plain node, and run the commands of the CI recipes in examples/ci/, which README's "Gating CI
// on a run" must show. One install serves every test here.
import { execFile, execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const TSC = join(REPO, 'node_modules/.bin/tsc');
const MINUTES = 60_000;
/** Keeps each run short: a few seconds of light load (faults scale with --duration). */
const SHORT = '--duration 5s --users 10 --rate 20';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function sh(command: string, cwd: string, timeoutMs = 2 * MINUTES): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['-c', command],
      { cwd, timeout: timeoutMs, maxBuffer: 32 << 20 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const expectOk = (result: Result, what: string): void => {
  expect(result.code, `${what}\n${result.stdout}\n${result.stderr}`).toBe(0);
};

/**
 * better-sqlite3's installed binary as prebuild-install names a release asset
 * (`<name>-v<version>-node-v<abi>-<platform>-<arch>.tar.gz` holding build/Release/*.node).
 */
function localPrebuild(into: string): string {
  const sqlite = join(REPO, 'node_modules/better-sqlite3');
  const { version } = JSON.parse(readFileSync(join(sqlite, 'package.json'), 'utf8')) as { version: string };
  const dir = join(into, 'prebuilds');
  mkdirSync(dir);
  const asset = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  execFileSync('tar', ['czf', join(dir, asset), '-C', sqlite, 'build/Release/better_sqlite3.node']);
  return dir;
}

let root = '';
let project = '';
let installSeconds = 0;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'chatquake-install-'));
  project = join(root, 'project');
  mkdirSync(project);
  const pack = await sh(`npm pack --pack-destination "${root}" --silent`, REPO);
  expectOk(pack, 'npm pack');
  const tarball = join(root, pack.stdout.trim().split('\n').at(-1) ?? '');
  expect(existsSync(tarball), tarball).toBe(true);
  expectOk(await sh('npm init -y >/dev/null && npm pkg set type=module', project), 'npm init');
  const prebuilds = localPrebuild(root);
  const started = performance.now();
  // A user's install downloads better-sqlite3's prebuilt binary; this machine reaches no
  // download site, so the same binary, packed the way prebuild-install publishes it, is offered
  // as a local prebuild (its documented `local-prebuilds` setting) instead of compiling SQLite
  // for a minute. The install itself is the same: npm, the tarball, every dependency.
  const install = await sh(
    `npm_config_better_sqlite3_local_prebuilds="${prebuilds}" npm install "${tarball}" --save-dev --prefer-offline --no-audit --no-fund`,
    project,
    4 * MINUTES,
  );
  installSeconds = (performance.now() - started) / 1000;
  expectOk(install, 'npm install');
  console.log(`chatquake installed from its tarball in ${installSeconds.toFixed(0)} s`);
  mkdirSync(join(project, 'chaos'));
  cpSync(join(REPO, 'examples/scenarios/smoke.ts'), join(project, 'chaos/smoke.ts'));
  cpSync(join(REPO, 'examples/scenarios/smoke.yaml'), join(project, 'chaos/smoke.yaml'));
}, 5 * MINUTES);

afterAll(() => {
  if (root !== '') rmSync(root, { recursive: true, force: true });
});

describe('chatquake installed from its tarball into a fresh project', () => {
  it('ships what runs, and nothing of the repository', () => {
    const installed = join(project, 'node_modules/chatquake');
    for (const path of [
      'bin/chatquake.js',
      'index.js',
      'harness/index.ts',
      'types/harness/index.d.ts',
      // The game-day console's page, built by prepack: `chatquake up` serves it as it is.
      'console/dist/index.html',
    ]) {
      expect(existsSync(join(installed, path)), path).toBe(true);
    }
    expect(existsSync(join(installed, 'schema/scenario.schema.json'))).toBe(true);
    for (const path of ['test', 'bench', 'runs', '.ci', 'scripts', 'examples', 'console/src']) {
      expect(existsSync(join(installed, path)), path).toBe(false);
    }
  });

  it('validates a TypeScript, a YAML and a JavaScript scenario, from any folder of the project', async () => {
    writeFileSync(
      join(project, 'chaos/plain.mjs'),
      [
        "// A JavaScript user's scenario.",
        "import { defineScenario } from 'chatquake';",
        "export default defineScenario({ name: 'plain-js', description: 'from a .mjs file', duration: '5s',",
        '  workload: { users: 10, rate: 20 } });',
        '',
      ].join('\n'),
    );
    for (const file of ['chaos/smoke.ts', 'chaos/smoke.yaml', 'chaos/plain.mjs']) {
      const result = await sh(`npx chatquake validate ${file} --seed 1`, project);
      expectOk(result, file);
      expect(result.stdout).toMatch(/^scenario {2}\S+/);
    }
    const fromSub = await sh('npx chatquake validate smoke.yaml --seed 1', join(project, 'chaos'));
    expectOk(fromSub, 'validate from chaos/');
    expect(fromSub.stdout).toMatch(/smoke-yaml/);
  });

  it('refuses a scenario with a bad field, naming it', async () => {
    writeFileSync(
      join(project, 'bad.yaml'),
      'name: bad\ndescription: d\nduration: 5s\nworkload: { users: 0 }\n',
    );
    const result = await sh('npx chatquake validate bad.yaml', project);
    // k6's InvalidConfig.
    expect(result.code, result.stderr).toBe(104);
    expect(result.stderr).toMatch(/scenario\.workload\.users/);
  });

  it('runs a short JavaScript scenario to a summary, exit 0', async () => {
    const out = join(project, 'results/plain');
    const result = await sh(
      `npx chatquake run chaos/plain.mjs --seed 2 ${SHORT} --out ${out} --quiet`,
      project,
    );
    expectOk(result, 'run');
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { scenario?: string };
    expect(summary.scenario).toBe('plain-js');
  });

  it("typechecks the user's TypeScript scenario against the declarations, strict, nodenext and bundler", async () => {
    const base = { strict: true, target: 'ES2022', noEmit: true, types: [] as string[] };
    const nodenext = { ...base, module: 'NodeNext', moduleResolution: 'NodeNext' };
    const configs = {
      'tsconfig.json': { ...nodenext },
      'tsconfig.bundler.json': { ...base, module: 'ESNext', moduleResolution: 'bundler' },
    };
    for (const [name, compilerOptions] of Object.entries(configs))
      writeFileSync(join(project, name), JSON.stringify({ compilerOptions, include: ['chaos/*.ts'] }));
    // A wrong scenario, under the same strict nodenext options, in a folder of its own so that the
    // three compilers can run at once (each takes about ten seconds) without seeing each other's files.
    mkdirSync(join(project, 'wrong'), { recursive: true });
    writeFileSync(
      join(project, 'wrong/wrong.ts'),
      "import { defineScenario } from 'chatquake';\nexport default defineScenario({ name: 'w', description: 'd', duration: '5s', workload: { users: '10' } });\n",
    );
    writeFileSync(
      join(project, 'tsconfig.wrong.json'),
      JSON.stringify({ compilerOptions: nodenext, include: ['wrong/*.ts'] }),
    );
    const [nodeNext, bundler, wrong] = await Promise.all(
      [...Object.keys(configs), 'tsconfig.wrong.json'].map((name) => sh(`"${TSC}" -p ${name}`, project)),
    );
    rmSync(join(project, 'wrong'), { recursive: true });
    expectOk(nodeNext as Result, 'tsconfig.json');
    expectOk(bundler as Result, 'tsconfig.bundler.json');
    expect(wrong?.code).not.toBe(0);
    expect(wrong?.stdout).toMatch(/wrong\.ts.*TS2322/);
  });

  it('imports under plain node, without tsx', async () => {
    const script =
      "import('chatquake').then((m) => console.log(typeof m.defineScenario, m.ExitCode !== undefined))";
    const result = await sh(`node -e "${script}"`, project);
    expectOk(result, 'node -e');
    expect(result.stdout.trim()).toBe('function true');
  });

  describe('the CI recipes in examples/ci/', () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const gating = /## Gating CI on a run\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? '';

    it('README has a "Gating CI on a run" section', () => {
      expect(gating).toMatch(/examples\/ci\//);
    });

    for (const recipe of ['github-actions.yml', 'gitlab-ci.yml']) {
      it(
        `${recipe}: publishes junit.xml and report.html always; README shows its commands; they pass`,
        async () => {
          const text = readFileSync(join(REPO, 'examples/ci', recipe), 'utf8');
          const commands = recipeCommands(recipe, parse(text));
          const chatquake = commands.filter((c) => c.includes('chatquake'));
          expect(chatquake.some((c) => /chatquake run .* --seed \d+/.test(c))).toBe(true);
          for (const command of chatquake) expect(gating, `README lacks: ${command}`).toContain(command);
          expect(text).toMatch(/junit/);
          expect(text).toMatch(/report\.html/);
          expect(text).toMatch(recipe.startsWith('github') ? /if: always\(\)/ : /when: always/);
          rmSync(join(project, 'results/smoke'), { recursive: true, force: true });
          for (const command of chatquake) {
            // A short load, not the scenario's 30 s: the recipe's own flags stay as written.
            const short = command.includes('chatquake run') ? `${command} ${SHORT}` : command;
            expectOk(await sh(short, project, 3 * MINUTES), short);
          }
          const out = join(project, 'results/smoke');
          expect(readdirSync(out)).toEqual(
            expect.arrayContaining(['summary.json', 'junit.xml', 'report.html']),
          );
        },
        5 * MINUTES,
      );
    }
  });
});

/** The shell commands a recipe runs: GitHub's `run:` steps, GitLab's `script:` lines; not `npm ci`. */
function recipeCommands(recipe: string, doc: unknown): string[] {
  const lines: string[] = [];
  const jobs = (doc as { jobs?: Record<string, { steps?: { run?: string }[] }> }).jobs;
  if (recipe.startsWith('github')) {
    for (const job of Object.values(jobs ?? {})) {
      for (const step of job.steps ?? [])
        if (typeof step.run === 'string') lines.push(...step.run.split('\n'));
    }
  } else {
    for (const job of Object.values(doc as Record<string, { script?: string[] }>)) {
      if (Array.isArray(job?.script)) lines.push(...job.script);
    }
  }
  // `npm ci` needs the user's lockfile; the install above stands for it.
  return lines.map((l) => l.trim()).filter((l) => l !== '' && l !== 'npm ci');
}
