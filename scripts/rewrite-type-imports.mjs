// Run at pack time after `tsc -p tsconfig.types.json`: the emitted declaration files keep our
// sources' `./x.ts` import specifiers (rewriteRelativeImportExtensions rewrites only emitted
// JavaScript), which a user's tsc refuses without allowImportingTsExtensions. This turns each
// relative `.ts` specifier in types/**/*.d.ts into `.js`, which every moduleResolution maps
// back to the `.d.ts` beside it.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const RELATIVE_TS = /((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]+?)\.ts(['"])/g;

function rewrite(dir) {
  let count = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) count += rewrite(path);
    else if (name.endsWith('.d.ts')) {
      const text = readFileSync(path, 'utf8');
      const out = text.replace(RELATIVE_TS, '$1$2.js$3');
      if (out !== text) writeFileSync(path, out);
      count++;
    }
  }
  return count;
}

const root = process.argv[2] ?? 'types';
console.log(`${root}/: ${rewrite(root)} declaration files, relative imports now end in .js`);
