// The page's side of the console's HTTP API: every /api request carries the bearer token when
// there is one (from ?token= in the page's URL or typed into #token-form), every POST and DELETE
// says content-type JSON, and a 401 asks the page for the token instead of failing silently.

/** An answer read as JSON (null when the body was empty or not JSON). */
export interface Answer {
  status: number;
  body: unknown;
}

export interface Api {
  token(): string | null;
  setToken(token: string): void;
  /** GET a JSON document; throws on any status but 200 (after reporting a 401). */
  get<T>(path: string): Promise<T>;
  /** A control request; the caller reads the status (201, 400, ...). */
  send(method: 'POST' | 'DELETE', path: string, body?: unknown): Promise<Answer>;
  /** The server-sent events URL, with the token as a query parameter (EventSource has no headers). */
  eventsUrl(): string;
}

const UNAUTHORIZED = 'Unauthorized';

/** Whether a request failed for want of a token (the page has already been told). */
export function isUnauthorized(error: unknown): boolean {
  return error instanceof Error && error.name === UNAUTHORIZED;
}

export function createApi(onUnauthorized: () => void): Api {
  let token = new URLSearchParams(location.search).get('token');

  const headers = (json: boolean): Record<string, string> => {
    const out: Record<string, string> = {};
    if (json) out['content-type'] = 'application/json';
    if (token !== null && token !== '') out.authorization = `Bearer ${token}`;
    return out;
  };

  const read = async (res: Response): Promise<Answer> => {
    const text = await res.text();
    let body: unknown = null;
    try {
      body = text === '' ? null : JSON.parse(text);
    } catch {
      body = { error: text };
    }
    if (res.status === 401) {
      onUnauthorized();
      const error = new Error('this console needs a token');
      error.name = UNAUTHORIZED;
      throw error;
    }
    return { status: res.status, body };
  };

  return {
    token: () => token,
    setToken(next) {
      token = next;
      // Keep it in the address bar so a reload does not ask again.
      const url = new URL(location.href);
      url.searchParams.set('token', next);
      history.replaceState(null, '', url);
    },
    async get<T>(path: string): Promise<T> {
      const answer = await read(await fetch(path, { headers: headers(false), cache: 'no-store' }));
      if (answer.status !== 200) throw new Error(`GET ${path}: ${answer.status}`);
      return answer.body as T;
    },
    async send(method, path, body) {
      const init: RequestInit = { method, headers: headers(true) };
      if (body !== undefined) init.body = JSON.stringify(body);
      return read(await fetch(path, init));
    },
    eventsUrl() {
      if (token === null || token === '') return '/api/events';
      return `/api/events?token=${encodeURIComponent(token)}`;
    },
  };
}
