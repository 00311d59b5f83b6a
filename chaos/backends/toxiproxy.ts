// The one Toxiproxy HTTP client: the topology lays out its proxies with it and the chaos backend
// drives faults through it, against the embedded proxy (`chatquake proxy`) or a real Toxiproxy
// at TOXIPROXY_URL alike. Answers are validated, every call is bounded in time (a hung proxy API
// must not hang a heal), and errors name the call: "toxiproxy add toxic x to p: 409 …".
import { z } from 'zod';
import type { ProxyBackend, ToxicSpec } from './types.ts';

const ProxyBody = z.object({
  name: z.string(),
  listen: z.string(),
  upstream: z.string(),
  enabled: z.boolean(),
});
export type ProxyBody = z.infer<typeof ProxyBody>;

export interface ToxiproxyOptions {
  /** Per-request bound in ms (default 5000). */
  timeoutMs?: number;
}

/** Proxy layout (create, update, delete, list) on top of the fault calls of a ProxyBackend. */
export interface ToxiproxyClient extends ProxyBackend {
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
  /** The names of a proxy's toxics. */
  listToxics(proxy: string): Promise<string[]>;
  version(): Promise<string>;
}

function parsed<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new Error(`toxiproxy ${what}: unexpected answer ${JSON.stringify(value)}`);
  return result.data;
}

/** `url` is the API address, e.g. process.env.TOXIPROXY_URL or "http://127.0.0.1:8474". */
export function createToxiproxyClient(url: string, options: ToxiproxyOptions = {}): ToxiproxyClient {
  const base = url.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 5000;
  // Names go into the path encoded, so ':' '>' and spaces survive.
  const proxyPath = (proxy: string): string => `/proxies/${encodeURIComponent(proxy)}`;

  async function request(method: string, path: string, body: unknown): Promise<unknown> {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { 'content-type': 'application/json', 'user-agent': 'chatquake' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    if (!response.ok)
      throw Object.assign(new Error(`${response.status} ${text.trim()}`), { status: response.status });
    if (text.length === 0) return undefined;
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  async function call(what: string, method: string, path: string, body?: unknown): Promise<unknown> {
    try {
      return await request(method, path, body);
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      const message = timedOut ? `no answer within ${timeoutMs} ms` : (error as Error).message;
      const status = (error as { status?: number }).status;
      throw Object.assign(new Error(`toxiproxy ${what}: ${message}`, { cause: error }), { status });
    }
  }

  return {
    url: base,
    async createProxy(proxy) {
      const what = `create ${proxy.name}`;
      return parsed(ProxyBody, await call(what, 'POST', '/proxies', { enabled: true, ...proxy }), what);
    },
    async updateProxy(name, fields) {
      // POST, not PATCH: older Toxiproxy servers and toxiproxy-node-client only know POST.
      const what = `update ${name}`;
      return parsed(ProxyBody, await call(what, 'POST', proxyPath(name), fields), what);
    },
    async deleteProxy(name) {
      await call(`delete ${name}`, 'DELETE', proxyPath(name));
    },
    async listProxies() {
      return parsed(z.record(z.string(), ProxyBody), await call('list', 'GET', '/proxies'), 'list');
    },
    async listToxics(proxy) {
      const what = `list toxics of ${proxy}`;
      const toxics = parsed(
        z.array(z.object({ name: z.string() })),
        await call(what, 'GET', `${proxyPath(proxy)}/toxics`),
        what,
      );
      return toxics.map((t) => t.name);
    },
    async version() {
      const value = await call('version', 'GET', '/version');
      if (typeof value === 'string') return value;
      const answer = z.object({ version: z.string() }).safeParse(value);
      return answer.success ? answer.data.version : JSON.stringify(value);
    },
    async setEnabled(proxy, enabled) {
      await call(`${enabled ? 'enable' : 'disable'} ${proxy}`, 'POST', proxyPath(proxy), { enabled });
    },
    async addToxic(proxy, toxic: ToxicSpec) {
      await call(`add toxic ${toxic.name} to ${proxy}`, 'POST', `${proxyPath(proxy)}/toxics`, toxic);
    },
    async removeToxic(proxy, toxicName) {
      const path = `${proxyPath(proxy)}/toxics/${encodeURIComponent(toxicName)}`;
      try {
        await call(`remove toxic ${toxicName} from ${proxy}`, 'DELETE', path);
      } catch (error) {
        // Already gone (a reset, or a restarted proxy server): the goal of the call is met.
        if ((error as { status?: number }).status !== 404) throw error;
      }
    },
    async reset() {
      await call('reset', 'POST', '/reset');
    },
  };
}

/**
 * The fault half of the client, for chaos/apply.ts. Its `reset` is Toxiproxy's POST /reset of the
 * whole server: only for a Toxiproxy nobody else uses; a run uses createScopedProxyBackend.
 */
export function createToxiproxyBackend(url: string, options: ToxiproxyOptions = {}): ProxyBackend {
  return createToxiproxyClient(url, options);
}

/**
 * The fault half of the client, limited to the proxies `owned` names (read at each reset, so
 * proxies added mid-run count). Its `reset` removes those proxies' toxics and re-enables them
 * (the proxies side by side, each bounded by the client's timeout), and leaves every other proxy on the server as it was: a shared Toxiproxy
 * holds other teams' proxies, and POST /reset would re-enable and strip them all. Every owned
 * proxy is tried; the failures are reported together.
 */
export function createScopedProxyBackend(
  client: ToxiproxyClient,
  owned: () => readonly string[],
): ProxyBackend {
  return {
    setEnabled: (proxy, enabled) => client.setEnabled(proxy, enabled),
    addToxic: (proxy, toxic) => client.addToxic(proxy, toxic),
    removeToxic: (proxy, name) => client.removeToxic(proxy, name),
    async reset() {
      const present = await client.listProxies();
      const heal = async (name: string): Promise<void> => {
        const proxy = present[name];
        if (proxy === undefined) return;
        for (const toxic of await client.listToxics(name)) await client.removeToxic(name, toxic);
        if (!proxy.enabled) await client.setEnabled(name, true);
      };
      const results = await Promise.allSettled(owned().map(heal));
      const errors = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
      if (errors.length > 0) throw new Error(errors.join('; '));
    },
  };
}
