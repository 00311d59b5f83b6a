import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cycles, importsOf, readTree, violations } from './graph.ts';
import { ROOMS } from './rules.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('the house plan (docs/ARCHITECTURE.md)', () => {
  const files = readTree(ROOT);
  const edges = importsOf(files);

  it('reads the imports of every room', () => {
    const rooms = new Set(edges.map((e) => e.from.split('/')[0]));
    for (const room of ['harness', 'checks', 'load', 'chaos', 'reports', 'im-server', 'client', 'proxy']) {
      expect(rooms, room).toContain(room);
    }
    expect(edges.length).toBeGreaterThan(500);
  });

  it('has no import the table forbids, and every cross-room import goes through a public entry', () => {
    expect(violations(edges)).toEqual([]);
  });

  it('has no import cycle', () => {
    expect(cycles(edges)).toEqual([]);
  });

  it('knows every top-level folder that holds source', () => {
    const tops = new Set([...files.keys()].filter((f) => f.includes('/')).map((f) => f.split('/')[0] ?? ''));
    for (const top of tops) expect(['test', 'bench', ...Object.keys(ROOMS)], top).toContain(top);
  });
});

describe('the architecture check itself', () => {
  const tree = (entries: Record<string, string>) => importsOf(new Map(Object.entries(entries)));

  it('fails on a forbidden arrow between rooms', () => {
    const edges = tree({ 'checks/order.ts': "import { runLoad } from '../load/index.ts';\n" });
    expect(violations(edges)).toEqual([
      'checks/order.ts imports load/index.ts: checks/ may not import load/',
    ]);
  });

  it('fails on an import that skips the public entry', () => {
    const edges = tree({ 'reports/x.ts': "import type { Metric } from '../checks/metrics.ts';\n" });
    expect(violations(edges)).toEqual(['reports/x.ts imports checks/metrics.ts: go through checks/index.ts']);
  });

  it('fails on the reference system used outside its target', () => {
    const edges = tree({
      'harness/run.ts': "import { Hello } from '../contracts/wire.ts';\n",
      'harness/targets/reference/target.ts': "import { Hello } from '../../../contracts/wire.ts';\n",
    });
    expect(violations(edges)).toEqual([
      'harness/run.ts imports contracts/wire.ts: only im-server/, client/, harness/targets/ may use the reference system',
    ]);
  });

  it('fails on bench code that reaches into tests other than test/support', () => {
    const edges = tree({
      'bench/a.ts':
        "import { x } from '../test/checks/fixtures.ts';\nimport { y } from '../test/support/history.ts';\n",
    });
    expect(violations(edges)).toEqual([
      'bench/a.ts imports test/checks/fixtures.ts: bench/ may use test/support/ only',
    ]);
  });

  it('finds a cycle, but not through a lazily loaded command', () => {
    const edges = tree({
      'checks/a.ts': "import { b } from './b.ts';\n",
      'checks/b.ts': "export { a } from './a.ts';\n",
      'harness/cli.ts': "const load = () => import('./commands/run.ts');\n",
      'harness/commands/run.ts': "import { commands } from '../cli.ts';\n",
    });
    expect(cycles(edges)).toEqual(['checks/a.ts → checks/b.ts → checks/a.ts']);
  });
});
