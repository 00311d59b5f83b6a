// The toxic resources of the Toxiproxy API: /proxies/:proxy/toxics and
// /proxies/:proxy/toxics/:toxic. Bodies are validated here; the proxy's toxics do the rest.
import { toxicView } from '../model.ts';
import { newToxicSchema, toxicChangeSchema } from '../schemas.ts';
import { type Handler, parse, type Route, type RouteContext } from './route.ts';

export function toxicRoutes({ collection, log }: RouteContext): Route[] {
  const toxicUpdate: Handler = async (request) => {
    const proxy = collection.get(request.params.proxy as string);
    const name = request.params.toxic as string;
    proxy.toxics.get(name);
    const change = parse(toxicChangeSchema, await request.body());
    const toxic = proxy.toxics.update(name, change);
    log({ event: 'toxic_updated', proxy: proxy.name, toxic: toxic.name, toxicity: toxic.toxicity });
    return { status: 200, body: toxicView(toxic) };
  };

  return [
    {
      path: ['proxies', ':proxy', 'toxics'],
      methods: {
        GET: async (request) => ({
          status: 200,
          body: collection
            .get(request.params.proxy as string)
            .toxics.list()
            .map(toxicView),
        }),
        POST: async (request) => {
          const proxy = collection.get(request.params.proxy as string);
          const input = parse(newToxicSchema, await request.body());
          const toxic = proxy.toxics.add(input);
          log({
            event: 'toxic_added',
            proxy: proxy.name,
            toxic: toxic.name,
            type: toxic.type,
            stream: toxic.stream,
            toxicity: toxic.toxicity,
            attributes: toxic.attributes,
          });
          return { status: 200, body: toxicView(toxic) };
        },
      },
    },
    {
      path: ['proxies', ':proxy', 'toxics', ':toxic'],
      methods: {
        GET: async (request) => ({
          status: 200,
          body: toxicView(
            collection.get(request.params.proxy as string).toxics.get(request.params.toxic as string),
          ),
        }),
        POST: toxicUpdate,
        PATCH: toxicUpdate,
        DELETE: async (request) => {
          const proxy = collection.get(request.params.proxy as string);
          proxy.toxics.remove(request.params.toxic as string);
          log({ event: 'toxic_removed', proxy: proxy.name, toxic: request.params.toxic });
          return { status: 204 };
        },
      },
    },
  ];
}
