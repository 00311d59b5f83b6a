// The proxy resources of the Toxiproxy API: /reset, /proxies, /populate and /proxies/:proxy.
// Bodies are validated here; what a change means is the collection's business.
import { ApiError } from '../errors.ts';
import { populateBodySchema, proxyBodySchema, proxyChangeSchema } from '../schemas.ts';
import { type Handler, parse, proxyJson, type Route, type RouteContext } from './route.ts';

export function proxyRoutes({ collection, log }: RouteContext): Route[] {
  const proxyUpdate: Handler = async (request) => {
    const name = request.params.proxy as string;
    collection.get(name);
    const change = parse(proxyChangeSchema, await request.body());
    const proxy = await collection.update(name, change);
    log({ event: 'proxy_updated', proxy: name, listen: proxy.listen, enabled: proxy.enabled });
    return { status: 200, body: proxyJson(proxy) };
  };

  return [
    {
      path: ['reset'],
      methods: {
        // Toxiproxy stops at the first proxy it cannot bind, half reset; this finishes the
        // reset and then names every proxy that stays disabled.
        POST: async () => {
          const failures = await collection.reset();
          const first = failures[0];
          if (first === undefined) {
            log({ event: 'reset' });
            return { status: 204 };
          }
          const message = failures.map((failure) => failure.message).join('; ');
          log({ event: 'reset', failed: message });
          throw new ApiError(message, first.status);
        },
      },
    },
    {
      path: ['proxies'],
      methods: {
        GET: async () => ({
          status: 200,
          body: Object.fromEntries(collection.list().map((p) => [p.name, proxyJson(p)])),
        }),
        POST: async (request) => {
          const input = parse(proxyBodySchema, await request.body());
          const proxy = await collection.create(input);
          log({ event: 'proxy_created', proxy: proxy.name, listen: proxy.listen, upstream: proxy.upstream });
          return { status: 201, body: proxyJson(proxy) };
        },
      },
    },
    {
      path: ['populate'],
      methods: {
        // Populate answers errors in its own shape, {error, status, proxies}, as JSON. It is all
        // or nothing, so a failed populate changed nothing and `proxies` is null.
        POST: async (request) => {
          try {
            const inputs = parse(populateBodySchema, await request.body());
            const proxies = (await collection.populate(inputs)).map(proxyJson);
            log({ event: 'populated', proxies: proxies.map((p) => p.name) });
            return { status: 201, body: { proxies } };
          } catch (error) {
            if (!(error instanceof ApiError)) throw error;
            return {
              status: error.status,
              body: { error: error.message, status: error.status, proxies: null },
            };
          }
        },
      },
    },
    {
      path: ['proxies', ':proxy'],
      methods: {
        GET: async (request) => ({
          status: 200,
          body: proxyJson(collection.get(request.params.proxy as string)),
        }),
        POST: proxyUpdate,
        PATCH: proxyUpdate,
        DELETE: async (request) => {
          await collection.remove(request.params.proxy as string);
          log({ event: 'proxy_deleted', proxy: request.params.proxy });
          return { status: 204 };
        },
      },
    },
  ];
}
