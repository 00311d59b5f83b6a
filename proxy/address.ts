// host:port strings as Toxiproxy's users write them: "127.0.0.1:8474", "localhost:0",
// "[::1]:9000", ":26379" (no host: the fault proxy's own host).
export interface HostPort {
  host: string;
  port: number;
}

/** Parses "host:port"; the host may be empty. Returns a message naming the problem on failure. */
export function parseHostPort(text: string): HostPort | string {
  const colon = text.lastIndexOf(':');
  if (colon < 0) return `"${text}" is not host:port`;
  let host = text.slice(0, colon);
  const portText = text.slice(colon + 1);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  else if (host.includes(':')) return `"${text}" is not host:port (write IPv6 hosts in brackets)`;
  if (!/^\d{1,5}$/.test(portText)) return `"${text}" has no valid port`;
  const port = Number(portText);
  if (port > 65535) return `"${text}" has a port above 65535`;
  if (/[\s/]/.test(host)) return `"${text}" has an invalid host`;
  return { host, port };
}

export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The address a listen string binds: no host means `defaultHost`, and "localhost" is pinned to
 * 127.0.0.1 (Node would otherwise pick ::1 or 127.0.0.1 depending on the resolver).
 */
export function resolveListen(listen: HostPort, defaultHost: string): HostPort {
  const host = listen.host === '' ? defaultHost : listen.host === 'localhost' ? '127.0.0.1' : listen.host;
  return { host, port: listen.port };
}
