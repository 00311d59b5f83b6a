// The package's doors agree: index.js (plain `node`) re-exports every runtime name of
// harness/index.ts (the TypeScript API), the `files` list ships what runs and nothing of the
// repository's own chores, and the exports map points where the files are.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as api from '../../harness/index.ts';

const ROOT = new URL('../../', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as {
  private?: boolean;
  files: string[];
  exports: Record<string, unknown>;
  bin: Record<string, string>;
};

describe('the package entry', () => {
  it('re-exports from index.js every runtime name harness/index.ts has', () => {
    const text = readFileSync(new URL('index.js', ROOT), 'utf8');
    const block = /export const \{([^}]*)\}/.exec(text)?.[1] ?? '';
    const names = block
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean)
      .sort();
    expect(names).toEqual(Object.keys(api).sort());
  });

  it('is installable, and ships the sources that run but not tests, benchmarks or runs', () => {
    expect(pkg.private).toBeUndefined();
    for (const room of ['bin/', 'harness/', 'contracts/', 'lib/', 'scenarios/', 'types/']) {
      expect(pkg.files).toContain(room);
    }
    expect(pkg.files).toContain('schema/scenario.schema.json');
    for (const never of ['test/', 'bench/', 'runs/', '.ci/', 'scripts/'])
      expect(pkg.files).not.toContain(never);
  });

  it('points types at the declarations built at pack time and import at index.js', () => {
    expect(pkg.exports['.']).toMatchObject({
      types: './types/harness/index.d.ts',
      import: './index.js',
      default: './index.js',
    });
    expect(pkg.exports['./scenario.schema.json']).toBe('./schema/scenario.schema.json');
    expect(pkg.bin.chatquake).toBe('bin/chatquake.js');
  });
});
