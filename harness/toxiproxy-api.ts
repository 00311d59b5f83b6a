// The few Toxiproxy HTTP calls the topology needs to lay out its proxies. Faults go through the
// chaos backends; this only creates, toggles and removes proxies, against the embedded proxy or
// a real Toxiproxy (TOXIPROXY_URL) alike.
import { z } from 'zod';

const ProxyBody = z.object({
  name: z.string(),
  listen: z.string(),
  upstream: z.string(),
  enabled: z.boolean(),
});
export type ProxyBody = z.infer<typeof ProxyBody>;

export interface ToxiproxyApi {
  readonly url: string;
  createProxy(proxy: {
    name: string;
    listen: string;
    upstream: string;
    enabled?: boolean;
  }): Promise<ProxyBody>;
  updateProxy(name: string, fields: Partial<Omit<ProxyBody, 'name'>>): Promise<ProxyBody>;
  deleteProxy(name: string): Promise<void>;
  listProxies(): Promise<Record<string, ProxyBody>>;
  version(): Promise<string>;
}

export function createToxiproxyApi(url: string, options: { timeoutMs?: number } = {}): ToxiproxyApi {
  const base = url.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 10_000;

  async function call(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { 'content-type': 'application/json', 'user-agent': 'chatquake-harness' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    if (!response.ok) {
      throw new Error(`toxiproxy ${method} ${path}: ${response.status} ${text.trim()}`);
    }
    if (text.length === 0) return undefined;
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  const parseProxy = (value: unknown, what: string): ProxyBody => {
    const result = ProxyBody.safeParse(value);
    if (!result.success) throw new Error(`toxiproxy ${what}: unexpected answer ${JSON.stringify(value)}`);
    return result.data;
  };

  return {
    url: base,
    async createProxy(proxy) {
      return parseProxy(await call('POST', '/proxies', { enabled: true, ...proxy }), `create ${proxy.name}`);
    },
    async updateProxy(name, fields) {
      // POST, not PATCH: older Toxiproxy servers and toxiproxy-node-client only know POST.
      return parseProxy(await call('POST', `/proxies/${encodeURIComponent(name)}`, fields), `update ${name}`);
    },
    async deleteProxy(name) {
      await call('DELETE', `/proxies/${encodeURIComponent(name)}`);
    },
    async listProxies() {
      const value = await call('GET', '/proxies');
      const result = z.record(z.string(), ProxyBody).safeParse(value);
      if (!result.success) throw new Error(`toxiproxy list: unexpected answer ${JSON.stringify(value)}`);
      return result.data;
    },
    async version() {
      const value = await call('GET', '/version');
      if (typeof value === 'string') return value;
      const parsed = z.object({ version: z.string() }).safeParse(value);
      return parsed.success ? parsed.data.version : JSON.stringify(value);
    },
  };
}

/** The port after the last ':' of a listen address, as @testcontainers/toxiproxy reads it. */
export function portOf(listen: string): number {
  const port = Number(listen.slice(listen.lastIndexOf(':') + 1));
  if (!Number.isInteger(port) || port <= 0) throw new Error(`no port in listen address "${listen}"`);
  return port;
}

export function hostOf(listen: string): string {
  return listen.slice(0, listen.lastIndexOf(':'));
}
