// The server resources of the Toxiproxy API: /version and /metrics, answered as text in the
// exact shape Toxiproxy's clients and Prometheus scrapers expect.
import type { Route, RouteContext } from './route.ts';

/** The Toxiproxy release whose API this follows; "+chatquake" marks the implementation. */
export const API_VERSION = '2.12.0+chatquake.0.1.0';

export function serverRoutes({ collection, metrics }: RouteContext): Route[] {
  return [
    {
      path: ['version'],
      methods: {
        GET: async () => ({
          status: 200,
          text: `${JSON.stringify({ version: API_VERSION })}\n`,
          contentType: 'application/json;charset=utf-8',
        }),
      },
    },
    {
      path: ['metrics'],
      methods: {
        GET: async () => ({
          status: 200,
          text: metrics.render(collection.list().map((p) => p.view())),
          contentType: 'text/plain; version=0.0.4; charset=utf-8',
        }),
      },
    },
  ];
}
