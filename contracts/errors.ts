// How every boundary names a bad field: `chaos[2].duration: invalid duration "10 parsecs"`. One
// formatter for flags, scenario files, frames, HTTP bodies and summary.json, so an error reads
// the same whichever door the input came through.
import type { z } from 'zod';

/** `chaos[2].duration` from zod's path ['chaos', 2, 'duration'], after an optional root. */
export function formatPath(root: string, path: readonly PropertyKey[]): string {
  let out = root;
  for (const part of path) {
    out += typeof part === 'number' ? `[${part}]` : `${out === '' ? '' : '.'}${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}

/** For a union, the branch that got furthest names the field better than "Invalid input". */
function deepest(issue: z.core.$ZodIssue): { path: PropertyKey[]; message: string } {
  if (issue.code === 'invalid_union' && 'errors' in issue && Array.isArray(issue.errors)) {
    let best: z.core.$ZodIssue | undefined;
    for (const branch of issue.errors as z.core.$ZodIssue[][]) {
      for (const candidate of branch) {
        if (best === undefined || candidate.path.length > best.path.length) best = candidate;
      }
    }
    if (best !== undefined) {
      const inner = deepest(best);
      return { path: [...issue.path, ...inner.path], message: inner.message };
    }
  }
  return { path: [...issue.path], message: issue.message };
}

export interface DescribeOptions {
  /** Put before every path, e.g. "scenario" or "attributes" (default none). */
  root?: string;
  /** Between issues (default "; "). */
  separator?: string;
}

/** `path: message` for each issue, so a bad input names the field at fault. */
export function describeIssues(error: z.ZodError, options: DescribeOptions = {}): string {
  return error.issues
    .map((issue) => {
      const { path, message } = deepest(issue);
      return `${formatPath(options.root ?? '', path)}: ${message}`;
    })
    .join(options.separator ?? '; ');
}
