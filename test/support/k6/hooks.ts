// Test code only, not k6: part of the stand-in (index.ts) that lets the suite run generated k6
// scripts where k6 cannot be installed; behaviour follows k6's docs.
// Module hooks (node:module register) that give a k6 script the
// stand-in's k6 modules for the bare specifiers k6 provides, say plainly which k6 modules the
// stand-in lacks, carry a VU's `?vu=N` to the script's own imports so that every VU gets its own
// copy of the whole module graph (as every k6 VU has its own JS runtime), and bind the timer
// globals k6 provides (setTimeout, ...) to k6/timers in the script's files, so that a timer set
// without an import keeps its iteration open too.
const OWN = new URL('./', import.meta.url).href;
const MODULES: Record<string, string> = {
  k6: 'k6.ts',
  'k6/websockets': 'websockets.ts',
  'k6/timers': 'timers.ts',
  'k6/metrics': 'metrics.ts',
  'k6/execution': 'execution.ts',
};

const TIMERS = ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'];

interface ResolveContext {
  parentURL?: string | undefined;
}
interface Resolved {
  url: string;
  format?: string | null | undefined;
}
type NextResolve = (specifier: string, context: ResolveContext) => Promise<Resolved>;

export async function resolve(
  specifier: string,
  context: ResolveContext,
  next: NextResolve,
): Promise<Resolved> {
  const own = MODULES[specifier];
  if (own !== undefined) return next(new URL(own, OWN).href, context);
  if (specifier.startsWith('k6/')) {
    throw new Error(
      `${specifier}: the k6 stand-in provides only ${Object.keys(MODULES).join(', ')} (imported from ${context.parentURL})`,
    );
  }
  const resolved = await next(specifier, context);
  if (!resolved.url.startsWith('file:') || resolved.url.includes('/node_modules/')) return resolved;
  const url = new URL(resolved.url);
  const parentVu = context.parentURL === undefined ? null : new URL(context.parentURL).searchParams.get('vu');
  if (parentVu !== null) url.searchParams.set('vu', parentVu);
  if (!url.searchParams.has('vu')) return resolved;
  // k6 reads every script file as an ES module, whatever package.json (if any) says.
  const format = /\.m?js$/.test(url.pathname) ? 'module' : resolved.format;
  return { ...resolved, url: url.href, format };
}

interface LoadResult {
  format?: string | null | undefined;
  source?: string | ArrayBuffer | ArrayBufferView | null | undefined;
}
type NextLoad = (url: string, context: object) => Promise<LoadResult>;

/** The timer names a script neither imports nor declares: those it means as k6's globals. */
export function globalTimers(source: string): string[] {
  return TIMERS.filter(
    (name) =>
      !new RegExp(
        `\\b(?:import\\s*\\{[^}]*\\b${name}\\b[^}]*\\}|(?:function|const|let|var|class)\\s+${name}\\b)`,
      ).test(source),
  );
}

export async function load(url: string, context: object, next: NextLoad): Promise<LoadResult> {
  const loaded = await next(url, context);
  const isScript =
    url.startsWith('file:') && new URL(url).searchParams.has('vu') && !url.includes('/node_modules/');
  if (!isScript || loaded.format !== 'module' || loaded.source == null) return loaded;
  const source = typeof loaded.source === 'string' ? loaded.source : new TextDecoder().decode(loaded.source);
  const names = globalTimers(source);
  if (names.length === 0) return loaded;
  // On the first line, so that stack traces keep the script's line numbers.
  return { ...loaded, source: `import { ${names.join(', ')} } from 'k6/timers'; ${source}` };
}
