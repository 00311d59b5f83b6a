// What a proxy or toxic name may be. A name is also a URL path segment, so it must be one a
// client can write and the server can read back: valid Unicode (encodeURIComponent throws on a
// lone surrogate) and short enough that a path holding a proxy and a toxic name fits Node's
// 16 KiB header limit even fully percent-encoded. Past either, the proxy or toxic could be
// created but never read, changed or deleted again.

/** The longest name, in UTF-16 code units. */
export const MAX_NAME_LENGTH = 256;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `name` cannot be used, or undefined when it can. */
export function nameProblem(name: string): string | undefined {
  if (name.length > MAX_NAME_LENGTH) return `must be at most ${MAX_NAME_LENGTH} characters`;
  if (LONE_SURROGATE.test(name)) return 'must be valid Unicode (it has a lone surrogate)';
  return undefined;
}
