// Holds the code to the rules inside rooms: no source function over 200 lines, a header comment
// on every source file, kebab-case file names; then shows that each check catches a planted case.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readTree } from './graph.ts';
import { badFileNames, longFunctions, MAX_FUNCTION_LINES, missingHeaders } from './shape.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('the shape of the code', () => {
  const files = readTree(ROOT);
  const source = new Map(
    [...files].filter(([file]) => !file.startsWith('test/') && !file.startsWith('bench/')),
  );

  it(`has no source function over ${MAX_FUNCTION_LINES} lines`, () => {
    expect(source.size).toBeGreaterThan(200);
    expect(longFunctions(source)).toEqual([]);
  });

  it('opens every source file with a comment saying why it exists', () => {
    expect(missingHeaders(source)).toEqual([]);
  });

  it('names every file in kebab-case', () => {
    expect(badFileNames(files)).toEqual([]);
  });
});

describe('the shape check itself', () => {
  const body = (n: number): string => Array.from({ length: n }, (_, i) => `  x += ${i};`).join('\n');

  it('names a function one line over the limit, and passes one at the limit', () => {
    const files = new Map([
      ['chaos/long.ts', `export function tooLong(): number {\n  let x = 0;\n${body(197)}\n  return x;\n}\n`],
      ['chaos/fits.ts', `export const fits = (): number => {\n  let x = 0;\n${body(196)}\n  return x;\n};\n`],
    ]);
    expect(longFunctions(files)).toEqual(['chaos/long.ts:1 tooLong (201 lines)']);
  });

  it('measures functions nested in a factory and in an object', () => {
    const inner = `    m() {\n      let x = 0;\n${body(5)}\n      return x;\n    },`;
    const files = new Map([['load/f.ts', `export function createF() {\n  return {\n${inner}\n  };\n}\n`]]);
    expect(longFunctions(files, 7)).toEqual(['load/f.ts:1 createF (13 lines)', 'load/f.ts:3 m (9 lines)']);
  });

  it('names a source file without a header comment, after a shebang too', () => {
    const files = new Map([
      ['bin/cli.js', '#!/usr/bin/env node\n// Why this exists.\nrun();\n'],
      ['load/a.ts', '/** Why. */\nexport const a = 1;\n'],
      ['load/b.ts', "import { a } from './a.ts';\n// too late\n"],
      ['bin/bare.js', '#!/usr/bin/env node\nrun();\n'],
    ]);
    expect(missingHeaders(files)).toEqual(['bin/bare.js', 'load/b.ts']);
  });

  it('names a snake_case or camelCase file', () => {
    const files = new Map([
      ['proxy/toxics/limit_data.ts', ''],
      ['harness/runScenario.ts', ''],
      ['test/e2e/run.int.test.ts', ''],
      ['im-server/directory-main.ts', ''],
    ]);
    expect(badFileNames(files)).toEqual(['harness/runScenario.ts', 'proxy/toxics/limit_data.ts']);
  });
});
