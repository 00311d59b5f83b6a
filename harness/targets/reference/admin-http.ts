// HTTP to the reference server's admin API, as the target uses it: a bearer token, a bound on
// every request, and "ask the region's nodes in order until one answers" so that a node that is
// down, slow or failing moves the question on to the next instead of failing the run.

export interface HttpAnswer {
  status: number;
  body: unknown;
}

/** Raised when no node of a region (or of the whole system) gave a usable answer. */
export class TargetUnavailableError extends Error {
  override name = 'TargetUnavailableError';
}

export interface AdminHttpOptions {
  adminToken: string;
  /** Bound on each request, ms. */
  requestTimeoutMs: number;
}

export interface AdminHttp {
  /**
   * Asks the nodes in order and returns the first answer that is not a server-side failure;
   * connection errors, timeouts and 5xx move on to the next node.
   */
  firstAnswer(urls: string[], method: string, path: string, body?: unknown): Promise<HttpAnswer>;
  /** The error an answer carries, or the start of its body. */
  errorText(answer: HttpAnswer): string;
}

export function createAdminHttp(options: AdminHttpOptions): AdminHttp {
  const { requestTimeoutMs } = options;
  async function request(baseUrl: string, method: string, path: string, body?: unknown): Promise<HttpAnswer> {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${options.adminToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(requestTimeoutMs),
    });
    const text = await response.text();
    let parsed: unknown = text;
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text);
      } catch {
        // Not JSON; keep the text for the error message.
      }
    }
    return { status: response.status, body: parsed };
  }

  function describeFailure(url: string, error: unknown): string {
    if (error instanceof Error) {
      if (error.name === 'TimeoutError') return `${url}: no answer within ${requestTimeoutMs} ms`;
      const cause = (error as Error & { cause?: { code?: string } }).cause;
      return `${url}: ${cause?.code ?? error.message}`;
    }
    return `${url}: ${String(error)}`;
  }

  function errorText(answer: HttpAnswer): string {
    const body = answer.body;
    if (typeof body === 'object' && body !== null && 'error' in body) return String(body.error);
    return typeof body === 'string' ? body.slice(0, 200) : JSON.stringify(body).slice(0, 200);
  }

  /**
   * Asks the region's nodes in order and returns the first answer that is not a server-side
   * failure; connection errors, timeouts and 5xx move on to the next node.
   */
  async function firstAnswer(
    urls: string[],
    method: string,
    path: string,
    body?: unknown,
  ): Promise<HttpAnswer> {
    const failures: string[] = [];
    for (const url of urls) {
      try {
        const answer = await request(url, method, path, body);
        if (answer.status >= 500) {
          failures.push(`${url}: HTTP ${answer.status} ${errorText(answer)}`);
          continue;
        }
        return answer;
      } catch (error) {
        failures.push(describeFailure(url, error));
      }
    }
    throw new TargetUnavailableError(`${method} ${path}: no node answered (${failures.join('; ')})`);
  }

  return { firstAnswer, errorText };
}
