// Test code only: this is not k6. A module resolve hook (node:module register) that gives a k6
// script the stand-in's k6 modules for the bare specifiers k6 provides, says plainly which k6
// modules the stand-in lacks, and carries a VU's `?vu=N` to the script's own imports so that every
// VU gets its own copy of the whole module graph, as every k6 VU has its own JS runtime.
const OWN = new URL('./', import.meta.url).href;
const MODULES: Record<string, string> = {
  k6: 'k6.ts',
  'k6/websockets': 'websockets.ts',
  'k6/timers': 'timers.ts',
  'k6/metrics': 'metrics.ts',
  'k6/execution': 'execution.ts',
};

interface ResolveContext {
  parentURL?: string | undefined;
}
type NextResolve = (specifier: string, context: ResolveContext) => Promise<{ url: string }>;

export async function resolve(
  specifier: string,
  context: ResolveContext,
  next: NextResolve,
): Promise<{ url: string }> {
  const own = MODULES[specifier];
  if (own !== undefined) return next(new URL(own, OWN).href, context);
  if (specifier.startsWith('k6/')) {
    throw new Error(
      `${specifier}: the k6 stand-in provides only ${Object.keys(MODULES).join(', ')} (imported from ${context.parentURL})`,
    );
  }
  const resolved = await next(specifier, context);
  const vu = context.parentURL === undefined ? null : new URL(context.parentURL).searchParams.get('vu');
  if (vu === null || !resolved.url.startsWith('file:') || resolved.url.includes('/node_modules/')) {
    return resolved;
  }
  const url = new URL(resolved.url);
  url.searchParams.set('vu', vu);
  return { ...resolved, url: url.href };
}
