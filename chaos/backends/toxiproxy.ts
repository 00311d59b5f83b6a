// Network faults through toxiproxy-node-client, so the same calls drive the embedded proxy
// (`chatquake proxy`) or a real Toxiproxy at TOXIPROXY_URL.
//
// The client's typed Proxy/Toxic objects need a GET before every change (their update needs
// listen and upstream), so this uses the client's own HTTP layer for one request per action.
// Toxiproxy accepts POST for updates, which is what the client sends.
import { Toxiproxy } from 'toxiproxy-node-client';
import type { ProxyBackend, ToxicSpec } from './types.ts';

export interface ToxiproxyBackendOptions {
  /** Per-request bound in ms (default 5000): a hung proxy API must not hang a heal. */
  timeoutMs?: number;
}

function isNotFound(error: unknown): boolean {
  return error instanceof Error && /status code 404\b/.test(error.message);
}

async function withTimeout<T>(what: string, ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms}ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(message.startsWith(what) ? message : `${what}: ${message}`);
  } finally {
    clearTimeout(timer);
  }
}

/** `url` is the API address, e.g. process.env.TOXIPROXY_URL or "http://127.0.0.1:8474". */
export function createToxiproxyBackend(url: string, options: ToxiproxyBackendOptions = {}): ProxyBackend {
  const base = url.replace(/\/+$/, '');
  const client = new Toxiproxy(base);
  const api = client.getApi();
  const timeoutMs = options.timeoutMs ?? 5000;
  // Names go into the path as is in the client; encode them so ':' '>' and spaces survive.
  const proxyPath = (proxy: string): string => `${base}/proxies/${encodeURIComponent(proxy)}`;

  return {
    async setEnabled(proxy, enabled) {
      await withTimeout(
        `toxiproxy ${enabled ? 'enable' : 'disable'} ${proxy}`,
        timeoutMs,
        api.post(proxyPath(proxy), { enabled }),
      );
    },
    async addToxic(proxy, toxic: ToxicSpec) {
      await withTimeout(
        `toxiproxy add toxic ${toxic.name} to ${proxy}`,
        timeoutMs,
        api.post(`${proxyPath(proxy)}/toxics`, toxic),
      );
    },
    async removeToxic(proxy, toxicName) {
      try {
        await withTimeout(
          `toxiproxy remove toxic ${toxicName} from ${proxy}`,
          timeoutMs,
          api.delete(`${proxyPath(proxy)}/toxics/${encodeURIComponent(toxicName)}`),
        );
      } catch (error) {
        // Already gone (a reset, or a restarted proxy server): the goal of the call is met.
        if (!isNotFound(error)) throw error;
      }
    },
    async reset() {
      await withTimeout('toxiproxy reset', timeoutMs, client.reset());
    },
  };
}
