// The proxy API fuzz as a function, so the test suite runs it with a fixed seed and a small
// budget and `npm run fuzz` can run it longer: `runProxyFuzz({ seed, runs })` starts its own
// fault proxy and echo server on loopback, sweeps every toxic attribute at and past its bound,
// then sends the generated cases (fuzz-arbitraries.ts) and judges every answer: a 4xx with a
// JSON error or a valid answer, never a 5xx, never a hung request, never a half-applied change,
// never a listener left behind or an enabled proxy that does not accept.
import { request as httpRequest } from 'node:http';
import { createServer, Server, type Server as TcpListener } from 'node:net';
import fc from 'fast-check';
import { z } from 'zod';
import { type FaultProxyServer, startFaultProxy } from '../../proxy/index.ts';
import {
  attributeBounds,
  caseArbitrary,
  type FuzzRequest,
  type FuzzStep,
  segment,
} from './fuzz-arbitraries.ts';
import { echoServer, portOf, type TcpServer, tryConnect } from './helpers.ts';

export interface ProxyFuzzOptions {
  /** fast-check seed of the generated cases. Default 1. */
  seed?: number;
  /** How many generated cases (each up to six steps). Default 60. */
  runs?: number;
  /** A request with no answer by then is a finding. Default 5000 ms. */
  timeoutMs?: number;
}

export interface FuzzReport {
  surface: string;
  seed: number;
  /** Cases tried: the bound sweep's rows plus the generated cases. */
  cases: number;
  requests: number;
  /** What went wrong, one line each (at most 50). */
  findings: string[];
}

type Answer = { status: number; text: string } | { failed: string };

interface Env {
  url: URL;
  call(request: FuzzRequest): Promise<Answer>;
  /** Every listen address the API ever answered with. */
  listens: Set<string>;
  /** The API, the echo server and the blocker: listeners that are no proxy's. */
  fixed: Set<string>;
  /** Records a finding once; `key` (default the finding) says which ones are the same. */
  find(finding: string, key?: string): void;
  requests: number;
}

const MAX_FINDINGS = 50;
const toxicView = z.object({
  name: z.string(),
  type: z.string(),
  stream: z.string(),
  toxicity: z.number().min(0).max(1),
  attributes: z.record(z.string(), z.number()),
});
const proxyView = z.object({
  name: z.string(),
  listen: z.string(),
  upstream: z.string(),
  enabled: z.boolean(),
  toxics: z.array(toxicView),
});
const jsonError = z.object({ error: z.string().min(1), status: z.number() });

/** A request in one line, long paths and bodies cut to 160 characters. */
function show(request: FuzzRequest): string {
  const cut = (text: string) => (text.length > 160 ? `${text.slice(0, 160)}…(${text.length})` : text);
  return `${request.method} ${cut(request.path)}${request.body === undefined ? '' : ` ${cut(request.body)}`}`;
}

function send(url: URL, request: FuzzRequest, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve) => {
    const outgoing = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: request.method,
        path: request.path,
        headers: { 'user-agent': 'chatquake-fuzz', 'content-type': 'application/json' },
        timeout: timeoutMs,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        response.on('error', (error) => resolve({ failed: `answer broke off: ${error.message}` }));
      },
    );
    outgoing.on('timeout', () => {
      outgoing.destroy();
      resolve({ failed: `no answer within ${timeoutMs} ms` });
    });
    outgoing.on('error', (error) => resolve({ failed: `request failed: ${error.message}` }));
    outgoing.end(request.body);
  });
}

async function startEnv(seed: number, timeoutMs: number, findings: string[]) {
  const fp: FaultProxyServer = await startFaultProxy({ port: 0, seed });
  const echo: TcpServer = await echoServer();
  const blocker: TcpListener = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => blocker.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const taken = `127.0.0.1:${(blocker.address() as { port: number }).port}`;
  const tokens: [string, string][] = [
    ['@echo@', echo.address],
    ['@echo-port@', String(echo.port)],
    ['@taken@', taken],
  ];
  const url = new URL(fp.url);
  const seen = new Set<string>();
  const env: Env = {
    url,
    listens: new Set(),
    fixed: new Set([`${url.hostname}:${url.port}`, echo.address, taken]),
    requests: 0,
    find(finding, key = finding) {
      if (findings.length >= MAX_FINDINGS || seen.has(key)) return;
      seen.add(key);
      findings.push(finding);
    },
    call(request) {
      env.requests++;
      let body = request.body;
      for (const [token, value] of tokens) body = body?.replaceAll(token, value);
      return send(url, { ...request, body }, timeoutMs);
    },
  };
  const close = async () => {
    await fp.close();
    await echo.close();
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
  };
  return { env, close };
}

/** The state as GET /proxies shows it, or undefined (and a finding) when it cannot be read. */
async function snapshot(env: Env): Promise<string | undefined> {
  const answer = await env.call({ method: 'GET', path: '/proxies' });
  if ('failed' in answer || answer.status !== 200) {
    env.find(`GET /proxies: ${'failed' in answer ? answer.failed : `${answer.status} ${answer.text}`}`);
    return undefined;
  }
  const parsed = z.record(z.string(), proxyView).safeParse(JSON.parse(answer.text));
  if (!parsed.success) env.find(`GET /proxies answered a wrong shape: ${answer.text.slice(0, 200)}`);
  else for (const proxy of Object.values(parsed.data)) env.listens.add(proxy.listen);
  return answer.text;
}

/** What is wrong with an answer, whatever the request: a hang, a 5xx, a 4xx without JSON. */
function judge(request: FuzzRequest, answer: Answer): string | undefined {
  if ('failed' in answer) return `${show(request)}: ${answer.failed}`;
  if (answer.status >= 500) return `${show(request)}: answered ${answer.status} ${answer.text.trim()}`;
  if (answer.status < 400) return undefined;
  // Toxiproxy's own plain answers: an unknown path, a wrong method.
  if (answer.status === 404 && answer.text === '404 page not found\n') return undefined;
  if (answer.status === 405 && answer.text === '') return undefined;
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    return `${show(request)}: ${answer.status} is not a JSON error: ${answer.text.trim().slice(0, 120)}`;
  }
  const error = jsonError.safeParse(body);
  if (!error.success || error.data.status !== answer.status)
    return `${show(request)}: ${answer.status} has a malformed error body: ${answer.text.trim().slice(0, 120)}`;
  return undefined;
}

/** What a successful answer must look like, by route; the proxies it shows are remembered. */
function checkSuccess(env: Env, request: FuzzRequest, answer: { status: number; text: string }): void {
  if (answer.status === 204 || request.method === 'GET') return;
  const { path } = request;
  const body: unknown = JSON.parse(answer.text);
  const bounds = attributeBounds();
  const shapes: [RegExp, z.ZodType][] = [
    [/^\/populate$/, z.object({ proxies: z.array(proxyView) })],
    [/^\/proxies(\/[^/]+)?$/, proxyView],
    [/^\/proxies\/[^/]+\/toxics(\/[^/]+)?$/, toxicView],
  ];
  const shape = shapes.find(([pattern]) => pattern.test(path))?.[1];
  const parsed = shape?.safeParse(body);
  if (parsed === undefined || !parsed.success) {
    env.find(`${show(request)}: ${answer.status} with an unexpected body ${answer.text.slice(0, 160)}`);
    return;
  }
  const proxies =
    'proxies' in (body as object) ? (body as { proxies: { listen: string }[] }).proxies : [body];
  for (const proxy of proxies as { listen?: string }[])
    if (proxy.listen !== undefined) env.listens.add(proxy.listen);
  const toxic = toxicView.safeParse(body);
  if (!toxic.success) return;
  for (const [attribute, value] of Object.entries(toxic.data.attributes)) {
    const bound = bounds.find((b) => b.type === toxic.data.type && b.attribute === attribute);
    if (bound === undefined || value < 0 || value > bound.max)
      env.find(`${show(request)}: toxic holds ${attribute}=${value}, outside its bound`);
  }
}

async function one(env: Env, request: FuzzRequest): Promise<void> {
  const before = request.method === 'GET' ? undefined : await snapshot(env);
  const answer = await env.call(request);
  const wrong = judge(request, answer);
  if (wrong !== undefined) {
    env.find(wrong);
    return;
  }
  if ('failed' in answer) return;
  if (answer.status < 400) {
    checkSuccess(env, request, answer);
    return;
  }
  // A refused change changed nothing. /reset is the exception: it does what it can, then names
  // the proxies it could not bind.
  if (before === undefined || request.path === '/reset') return;
  const after = await snapshot(env);
  if (after !== undefined && after !== before)
    env.find(
      `${show(request)}: answered ${answer.status} but changed the state\n  before ${before}\n  after  ${after}`,
    );
}

async function burst(env: Env, requests: FuzzRequest[]): Promise<void> {
  const answers = await Promise.all(requests.map((request) => env.call(request)));
  answers.forEach((answer, i) => {
    const request = requests[i] as FuzzRequest;
    const wrong = judge(request, answer);
    if (wrong !== undefined) env.find(`in a burst of ${requests.length}: ${wrong}`);
    else if (!('failed' in answer) && answer.status >= 200 && answer.status < 300)
      checkSuccess(env, request, answer);
  });
}

/** Listening sockets of this process, as "host:port". */
function listening(): Set<string> {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  const out = new Set<string>();
  for (const handle of handles) {
    if (!(handle instanceof Server) || !handle.listening) continue;
    const address = handle.address();
    if (address !== null && typeof address === 'object')
      out.add(
        address.family === 'IPv6'
          ? `[${address.address}]:${address.port}`
          : `${address.address}:${address.port}`,
      );
  }
  return out;
}

/** After a case: every enabled proxy accepts, and no listener outlives its proxy. */
async function checkListeners(env: Env, where: string): Promise<void> {
  const text = await snapshot(env);
  if (text === undefined) return;
  const proxies = Object.values(
    JSON.parse(text) as Record<string, { name: string; listen: string; enabled: boolean }>,
  );
  const open = listening();
  for (const proxy of proxies.filter((p) => p.enabled)) {
    const host = proxy.listen.slice(0, proxy.listen.lastIndexOf(':')).replace(/^\[|\]$/g, '');
    const reached = await tryConnect(portOf(proxy.listen), host);
    if (reached !== 'connected')
      env.find(
        `${where}: enabled proxy ${JSON.stringify(proxy.name)} refuses: ${reached}`,
        `refuses ${proxy.name}`,
      );
  }
  const held = new Set(proxies.filter((p) => p.enabled).map((p) => p.listen));
  for (const address of env.listens) {
    if (open.has(address) && !held.has(address) && !env.fixed.has(address))
      env.find(`${where}: ${address} still listens with no enabled proxy on it`, `orphan ${address}`);
  }
}

/** Deletes every proxy; one that cannot be addressed by its name is a finding. */
async function clear(env: Env): Promise<void> {
  const text = await snapshot(env);
  if (text === undefined) return;
  for (const name of Object.keys(JSON.parse(text) as object)) {
    const answer = await env.call({ method: 'DELETE', path: `/proxies/${segment(name)}` });
    if ('failed' in answer || answer.status !== 204)
      env.find(
        `proxy ${JSON.stringify(name)} cannot be deleted by its name: ${'failed' in answer ? answer.failed : answer.status}`,
      );
  }
}

async function runSteps(env: Env, steps: FuzzStep[], where: string): Promise<void> {
  await clear(env);
  for (const step of steps) {
    if (step.kind === 'one') await one(env, step.request);
    else await burst(env, step.requests);
  }
  await checkListeners(env, where);
}

/**
 * Every attribute at its bound is accepted, and past it refused with a 400 naming it, on add
 * and on PATCH, changing nothing. Returns the rows tried.
 */
async function sweepBounds(env: Env): Promise<number> {
  await clear(env);
  await env.call({ method: 'POST', path: '/proxies', body: '{"name":"bounds","upstream":"@echo@"}' });
  const bounds = attributeBounds();
  for (const { type, attribute, max, integer, bounded } of bounds) {
    if (!bounded) env.find(`${type}.${attribute} has no upper bound in its schema`);
    const base = type === 'slicer' && attribute !== 'average_size' ? { average_size: 1 } : {};
    const body = (value: number) =>
      JSON.stringify({ name: 'b', type, attributes: { ...base, [attribute]: value } });
    const at = await env.call({ method: 'POST', path: '/proxies/bounds/toxics', body: body(max) });
    if ('failed' in at || at.status !== 200)
      env.find(`${type}.${attribute}=${max} (its bound) refused: ${JSON.stringify(at)}`);
    const pastValues = [
      max === Number.MAX_SAFE_INTEGER ? 2 ** 53 : integer ? max + 1 : max + 1e-6,
      2 ** 53,
      3e9,
      -1,
    ];
    for (const value of pastValues.filter((v) => v > max || v < 0)) {
      for (const request of [
        {
          method: 'POST',
          path: '/proxies/bounds/toxics',
          body: body(value).replace('"name":"b"', '"name":"c"'),
        },
        {
          method: 'PATCH',
          path: '/proxies/bounds/toxics/b',
          body: JSON.stringify({ attributes: { [attribute]: value } }),
        },
      ]) {
        const before = await snapshot(env);
        const answer = await env.call(request);
        const named =
          !('failed' in answer) && answer.status === 400 && answer.text.includes(`attributes.${attribute}`);
        if (!named)
          env.find(
            `${show(request)}: expected a 400 naming attributes.${attribute}, got ${JSON.stringify(answer)}`,
          );
        if ((await snapshot(env)) !== before) env.find(`${show(request)}: a refused bound changed the state`);
      }
    }
    await env.call({ method: 'DELETE', path: '/proxies/bounds/toxics/b' });
  }
  return bounds.length;
}

export async function runProxyFuzz(options: ProxyFuzzOptions = {}): Promise<FuzzReport> {
  const seed = options.seed ?? 1;
  const runs = options.runs ?? 60;
  const findings: string[] = [];
  const { env, close } = await startEnv(seed, options.timeoutMs ?? 5000, findings);
  try {
    const swept = await sweepBounds(env);
    const cases = fc.sample(caseArbitrary(), { seed, numRuns: runs });
    for (const [i, steps] of cases.entries()) await runSteps(env, steps, `case ${i}`);
    return { surface: 'proxy API', seed, cases: swept + cases.length, requests: env.requests, findings };
  } finally {
    await close();
  }
}

export function formatFuzzReport(report: FuzzReport): string {
  const head = `${report.surface}: ${report.cases} cases, ${report.requests} requests, seed ${report.seed}, ${report.findings.length} findings`;
  return [head, ...report.findings.map((finding) => `  - ${finding}`)].join('\n');
}
