// The reference server's admin API, for faults that live inside a node (clock skew).
import type { AdminBackend } from '../../../chaos/index.ts';

export interface AdminBackendOptions {
  /** The admin base URL of a node, e.g. "http://127.0.0.1:7101". */
  adminUrlOf(nodeId: string): string;
  adminToken: string;
  /** Per-request bound in ms (default 5000). */
  timeoutMs?: number;
}

export function createAdminBackend(options: AdminBackendOptions): AdminBackend {
  const timeoutMs = options.timeoutMs ?? 5000;
  return {
    async setClockOffset(nodeId, offsetMs) {
      const url = `${options.adminUrlOf(nodeId).replace(/\/+$/, '')}/admin/clock`;
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { authorization: `Bearer ${options.adminToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ offsetMs }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        const cause =
          error instanceof Error && error.name === 'TimeoutError'
            ? `no answer within ${timeoutMs} ms`
            : (error as Error).message;
        throw new Error(`admin clock on ${nodeId} (${url}): ${cause}`);
      }
      if (!response.ok) {
        const body = (await response.text().catch(() => '')).slice(0, 200);
        throw new Error(`admin clock on ${nodeId}: HTTP ${response.status}${body ? ` ${body}` : ''}`);
      }
      await response.body?.cancel();
    },
  };
}
