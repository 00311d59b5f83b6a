// Toxiproxy's own server flags, read the way Go's flag package reads them, turned into
// `chatquake proxy` flags. With them the project image stands in for Toxiproxy's image where a
// compose file or a script starts `/toxiproxy -host=0.0.0.0 -config=/config/toxiproxy.json`:
// same entry point, same flags, same API.

/** The result: chatquake proxy's argv, or a flag error, or a request for the version line. */
export type ToxiproxyFlags = { argv: string[] } | { error: string } | { version: true } | { help: true };

/** Flags that take a value, by Toxiproxy's name → chatquake proxy's. */
const VALUE_FLAGS: Record<string, string> = {
  host: '--host',
  port: '--port',
  config: '--config',
  seed: '--seed',
};
/** Toxiproxy's metrics switches: chatquake's proxy always serves /metrics, so they are accepted and change nothing. */
const BOOLEAN_FLAGS = new Set(['version', 'proxy-metrics', 'runtime-metrics', 'help', 'h']);
const TRUE = new Set(['', '1', 't', 'T', 'true', 'TRUE', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'false', 'FALSE', 'False']);

/**
 * `-name`, `--name`, `-name=value` and `-name value` (not for booleans), up to the first
 * argument that is not a flag or a lone `--`, as Go's flag package does. Toxiproxy's default
 * host is localhost; so is this one (chatquake proxy's default, 127.0.0.1).
 */
export function fromToxiproxyFlags(args: readonly string[]): ToxiproxyFlags {
  const argv: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') break;
    if (!arg.startsWith('-') || arg === '-') return { error: `unexpected argument "${arg}"` };
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    const inline = eq < 0 ? undefined : body.slice(eq + 1);
    if (BOOLEAN_FLAGS.has(name)) {
      if (inline !== undefined && !TRUE.has(inline) && !FALSE.has(inline))
        return { error: `invalid boolean value "${inline}" for -${name}` };
      const on = inline === undefined || TRUE.has(inline);
      if ((name === 'version' || name === 'help' || name === 'h') && on)
        return name === 'version' ? { version: true } : { help: true };
      continue;
    }
    const mapped = VALUE_FLAGS[name];
    if (mapped === undefined) return { error: `flag provided but not defined: -${name}` };
    const value = inline ?? args[++i];
    if (value === undefined) return { error: `flag needs an argument: -${name}` };
    argv.push(`${mapped}=${value}`);
  }
  return { argv };
}
