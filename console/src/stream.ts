// Keeps the page fed with ConsoleState: the server-sent events stream (`state` events) while it
// works; when it breaks, a poll of /api/state every 2 s and a new try of the stream every 5 s,
// so a restarted or briefly unreachable harness does not leave a frozen screen.
import type { ConsoleState } from '../../contracts/console.ts';
import { type Api, isUnauthorized } from './api.ts';

export type Link = 'connecting' | 'live' | 'polling' | 'lost' | 'token';

export interface Stream {
  start(): void;
  stop(): void;
}

const POLL_MS = 2000;
const RETRY_MS = 5000;

export function createStream(
  api: Api,
  onState: (state: ConsoleState) => void,
  onLink: (link: Link) => void,
): Stream {
  let source: EventSource | null = null;
  let poll: ReturnType<typeof setInterval> | null = null;
  let retry: ReturnType<typeof setTimeout> | null = null;
  let running = false;

  const stopPolling = (): void => {
    if (poll !== null) clearInterval(poll);
    poll = null;
    if (retry !== null) clearTimeout(retry);
    retry = null;
  };

  const pollOnce = async (): Promise<void> => {
    try {
      onState(await api.get<ConsoleState>('/api/state'));
      onLink('polling');
    } catch (error) {
      if (isUnauthorized(error)) {
        stop();
        onLink('token');
      } else onLink('lost');
    }
  };

  const open = (): void => {
    if (!running) return;
    const es = new EventSource(api.eventsUrl());
    source = es;
    es.addEventListener('open', () => {
      stopPolling();
      onLink('live');
    });
    es.addEventListener('state', (event) => {
      onState(JSON.parse((event as MessageEvent<string>).data) as ConsoleState);
      onLink('live');
    });
    es.addEventListener('error', () => {
      es.close();
      if (source === es) source = null;
      if (!running) return;
      if (poll === null) {
        void pollOnce();
        poll = setInterval(() => void pollOnce(), POLL_MS);
      }
      if (retry === null) {
        retry = setTimeout(() => {
          retry = null;
          open();
        }, RETRY_MS);
      }
    });
  };

  function stop(): void {
    running = false;
    stopPolling();
    source?.close();
    source = null;
  }

  return {
    start() {
      if (running) return;
      running = true;
      onLink('connecting');
      open();
    },
    stop,
  };
}
