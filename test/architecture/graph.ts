// Reads the imports of a source tree and judges them against the house plan (rules.ts): an
// arrow between rooms the table forbids, a cross-room import that skips the room's public
// entry, target-specific code used outside its target, and import cycles. Pure over a map of
// file → source text, so a test can hand it a tree with a planted mistake.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { BENCH_MAY_USE, FREE, ROOMS, TARGET_SPECIFIC } from './rules.ts';

export interface Edge {
  from: string;
  to: string;
  /** A dynamic import() (a lazily loaded command), not a load-time dependency. */
  dynamic: boolean;
}

const SKIP = new Set([
  'node_modules',
  '.git',
  'runs',
  '.stryker',
  '.stryker-tmp',
  'dist',
  'docs',
  '.docker-host',
]);
const SOURCE = /\.(ts|js|mjs)$/;
const IMPORT =
  /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

/** Every source file under root, path relative to root → text. */
export function readTree(root: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      if (SKIP.has(name)) continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (SOURCE.test(name) && !name.endsWith('.d.ts'))
        files.set(relative(root, path), readFileSync(path, 'utf8'));
    }
  };
  walk(root);
  return files;
}

export function importsOf(files: Map<string, string>): Edge[] {
  const edges: Edge[] = [];
  for (const [from, text] of files) {
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2];
      if (spec === undefined) continue;
      edges.push({ from, to: normalize(join(dirname(from), spec)), dynamic: m[2] !== undefined });
    }
  }
  return edges;
}

const roomOf = (path: string): string => path.split('/')[0] ?? '';
const inRoom = (path: string): string => path.slice(path.indexOf('/') + 1);

/** One sentence per import the plan forbids. */
export function violations(edges: readonly Edge[]): string[] {
  const out: string[] = [];
  for (const { from, to } of edges) {
    const a = roomOf(from);
    const b = roomOf(to);
    const specific =
      TARGET_SPECIFIC.rooms.includes(b) || TARGET_SPECIFIC.files.includes(to)
        ? !TARGET_SPECIFIC.allowedIn.some((prefix) => from.startsWith(prefix))
        : false;
    if (a === 'bench' && b === 'test' && !to.startsWith(BENCH_MAY_USE)) {
      out.push(`${from} imports ${to}: bench/ may use test/support/ only`);
    }
    if (FREE.includes(a) || a === b) continue;
    const room = ROOMS[a];
    const target = ROOMS[b];
    if (room === undefined) out.push(`${from}: the room ${a}/ is not in the house plan`);
    else if (!room.mayImport.includes(b)) out.push(`${from} imports ${to}: ${a}/ may not import ${b}/`);
    else if (target !== undefined && target.entries !== '*' && !target.entries.includes(inRoom(to))) {
      out.push(`${from} imports ${to}: go through ${b}/${target.entries.join(' or ')}`);
    } else if (specific)
      out.push(
        `${from} imports ${to}: only ${TARGET_SPECIFIC.allowedIn.join(', ')} may use the reference system`,
      );
  }
  return out;
}

/** Each import cycle among load-time imports, as "a → b → a". */
export function cycles(edges: readonly Edge[]): string[] {
  const next = new Map<string, string[]>();
  for (const e of edges) if (!e.dynamic) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const state = new Map<string, 'open' | 'done'>();
  const found: string[] = [];
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const to of next.get(node) ?? []) {
      if (state.get(to) === 'open') found.push([...stack.slice(stack.indexOf(to)), to].join(' → '));
      else if (state.get(to) === undefined) visit(to);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...next.keys()].sort()) if (state.get(node) === undefined) visit(node);
  return found;
}
