// The page scripts are written in several files each and inlined as one <script> per list
// (COMMON_SCRIPTS, REPORT_SCRIPTS, COMPARE_SCRIPTS). A file in reports/page/ that no list
// names would never reach a page, and one the page tsconfig leaves out would go unchecked.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { COMPARE_SCRIPTS } from '../../reports/compare-render.ts';
import { COMMON_SCRIPTS } from '../../reports/html.ts';
import { REPORT_SCRIPTS } from '../../reports/render.ts';

const page = fileURLToPath(new URL('../../reports/page/', import.meta.url));
const lists = [...COMMON_SCRIPTS, ...REPORT_SCRIPTS, ...COMPARE_SCRIPTS];

describe('reports/page script lists', () => {
  it('inline every page script exactly once', () => {
    const files = readdirSync(page).filter((f) => f.endsWith('.js'));
    expect([...lists].sort()).toEqual(files.sort());
  });

  it('are type-checked in the order they are inlined', () => {
    const tsconfig = JSON.parse(readFileSync(`${page}tsconfig.json`, 'utf8')) as { files: string[] };
    expect(tsconfig.files).toEqual(lists);
  });

  it('declare each namespace in the first file of its list', () => {
    const first = (list: readonly string[]) => readFileSync(`${page}${list[0]}`, 'utf8');
    expect(first(COMMON_SCRIPTS)).toMatch(/^const CQ = \{\};$/m);
    expect(first(REPORT_SCRIPTS)).toMatch(/^const CQReport = \{\};$/m);
    expect(first(COMPARE_SCRIPTS)).toMatch(/^const CQCompare = \{\};$/m);
  });
});
