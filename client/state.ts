// Everything a client remembers between events, as one record, and the context its parts share:
// the checked config, that state, and the few operations the composer (client.ts) wires in.
// The parts (connecting, probe, sending, frames, tick, timer) are plain functions over this
// context, so what each one reads and changes is visible in its signature.
import type { Connection } from './connection.ts';
import { type ConversationState, createConversationState, type DeliverySink } from './conversation-state.ts';
import type { ClientEvent } from './events.ts';
import type { ClientConfig } from './options.ts';
import { createOutbox, type Outbox } from './outbox.ts';

export type Phase = 'idle' | 'waiting' | 'connecting' | 'connected' | 'failed' | 'closed';

export interface ClientState {
  phase: Phase;
  connection: Connection | undefined;
  generation: number;
  /** Generation of the welcomed connection; 0 while none is. */
  live: number;
  endpointIndex: number;
  failuresOnEndpoint: number;
  backoffAttempt: number;
  reconnectAt: number | undefined;
  connectDeadline: number | undefined;
  currentRegion: string | undefined;
  previousRegion: string | undefined;
  lastHeardAt: number;
  pingSentAt: number | undefined;
  probe: Connection | undefined;
  /** Generation reserved for the probe being opened; 0 while no probe is under way. */
  probeGeneration: number;
  probeEndpoint: number;
  probeRound: number;
  probeDeadline: number | undefined;
  nextProbeAt: number | undefined;
  /** Current wait between probes home; grows while returns home do not last. */
  probeIntervalMs: number;
  /** When the open connection to home was welcomed; undefined while not connected home. */
  homeSince: number | undefined;
  /** The open connection to home came from a probe: the client returned there. */
  returnedHome: boolean;
  /** A silence verdict is due; it is given on the next timer, after one pass over pending I/O. */
  confirmSilence: boolean;
  closing: Promise<void> | undefined;
  readonly outbox: Outbox;
  readonly conversations: Map<string, ConversationState>;
  /** Conversations with a gap, a sync in flight or a sync retry pending. */
  readonly attention: Set<ConversationState>;
}

/** What every part of the client works on; built once per client by createClient. */
export interface ClientContext {
  readonly config: ClientConfig;
  readonly state: ClientState;
  emit(event: ClientEvent): void;
  /** Reports each delivery; one sink per client. */
  readonly deliver: DeliverySink;
  /** Opens a socket whose events go to the client's one handler object. */
  open(url: string, token: string, generation: number): Connection;
  /** Arms the client's one timer for the earliest thing pending (no-op once closed or failed). */
  schedule(): void;
  disarm(): void;
}

export function createClientState(config: ClientConfig): ClientState {
  const state: ClientState = {
    phase: 'idle',
    connection: undefined,
    generation: 0,
    live: 0,
    endpointIndex: 0,
    failuresOnEndpoint: 0,
    backoffAttempt: 0,
    reconnectAt: undefined,
    connectDeadline: undefined,
    currentRegion: undefined,
    previousRegion: undefined,
    lastHeardAt: 0,
    pingSentAt: undefined,
    probe: undefined,
    probeGeneration: 0,
    probeEndpoint: 0,
    probeRound: 0,
    probeDeadline: undefined,
    nextProbeAt: undefined,
    probeIntervalMs: config.returnHomeAfterMs,
    homeSince: undefined,
    returnedHome: false,
    confirmSilence: false,
    closing: undefined,
    outbox: createOutbox(),
    conversations: new Map(),
    attention: new Set(),
  };
  for (const conv of config.conversations) conversation(state, conv);
  return state;
}

/** The conversation's state, created on first mention. */
export function conversation(state: ClientState, conv: string): ConversationState {
  let cs = state.conversations.get(conv);
  if (cs === undefined) {
    cs = createConversationState(conv);
    state.conversations.set(conv, cs);
  }
  return cs;
}

/** Anything from the node on the main connection: the path is alive. */
export function heard(state: ClientState, t: number): void {
  state.lastHeardAt = t;
  state.pingSentAt = undefined;
}

export function ping(state: ClientState, t: number): void {
  if (state.connection === undefined) return;
  state.pingSentAt = t;
  state.connection.ping();
}

/** Something went unanswered since `since`; if nothing at all was heard since, ask for a pong. */
export function suspectSilence(state: ClientState, since: number, t: number): void {
  if (state.lastHeardAt < since && state.pingSentAt === undefined) ping(state, t);
}
