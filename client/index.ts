// The client SDK's public surface.
export {
  type BackoffOptions,
  backoffCeiling,
  backoffDelay,
  DEFAULT_BACKOFF_MAX_MS,
  DEFAULT_BACKOFF_MIN_MS,
} from './backoff.ts';
export { type ClientOptions, createClient, type Endpoint, type ImClient } from './client.ts';
export type { ClientEvent, ClientEventType } from './events.ts';
export {
  type ClientTracing,
  clientTracing,
  createClientTracing,
  type SendSpan,
  startClientTracing,
  useClientTracing,
} from './tracing.ts';
