// Lua literals for the Prosody files chatquake writes (its config and its account files): one
// escaping rule in one place, so a path or password with a quote cannot break out of a string.

/** A double-quoted Lua string literal; every byte outside printable ASCII is escaped as \ddd. */
export function luaString(value: string): string {
  let out = '"';
  for (const byte of Buffer.from(value, 'utf8')) {
    if (byte === 0x22) out += '\\"';
    else if (byte === 0x5c) out += '\\\\';
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\${byte.toString().padStart(3, '0')}`;
  }
  return `${out}"`;
}

/** A Lua list of strings: `{ "a", "b" }`. */
export function luaList(values: readonly string[]): string {
  return `{ ${values.map(luaString).join(', ')} }`;
}
