// One proxy's toxics: two ordered chains (upstream, downstream), Toxiproxy's request semantics
// for adding, patching and removing them, and the fan-out of every change to the open links.
import { describeIssues } from '../contracts/errors.ts';
import {
  badRequestBody,
  invalidStream,
  invalidToxicType,
  toxicAlreadyExists,
  toxicNotFound,
} from './errors.ts';
import type { Direction, ToxicState } from './model.ts';
import { nameProblem } from './names.ts';

import { toxicTypes } from './toxics/index.ts';
import type { Attributes, ToxicDefinition } from './toxics/types.ts';

/** What a link must do when the chain changes under it. */
export interface ToxicListener {
  added(toxic: ToxicState): void;
  updated(toxic: ToxicState): void;
  removed(toxic: ToxicState): void;
}

export interface NewToxic {
  name?: string | undefined;
  type?: string | undefined;
  stream?: string | undefined;
  toxicity?: number | undefined;
  attributes?: Record<string, unknown> | undefined;
}

export interface ToxicChange {
  toxicity?: number | undefined;
  attributes?: Record<string, unknown> | undefined;
}

export interface ToxicCollection {
  /** Upstream toxics first, then downstream, each in the order they were added. */
  list(): ToxicState[];
  chain(direction: Direction): readonly ToxicState[];
  get(name: string): ToxicState;
  add(input: NewToxic): ToxicState;
  update(name: string, change: ToxicChange): ToxicState;
  remove(name: string): void;
  /** Removes every toxic; a removed timeout closes the connections it held, as in Toxiproxy. */
  clear(): void;
}

function parseDirection(stream: string): Direction | undefined {
  const lower = stream.toLowerCase();
  return lower === 'upstream' || lower === 'downstream' ? lower : undefined;
}

function parseAttributes(
  definition: ToxicDefinition,
  current: Attributes,
  given: Record<string, unknown> | undefined,
): Attributes {
  const present: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(given ?? {})) {
    // JSON null leaves a field as it was, as Go's decoder does.
    if (value !== null) present[key] = value;
  }
  const parsed = definition.schema.safeParse(present);
  if (!parsed.success) throw badRequestBody(describeIssues(parsed.error, { root: 'attributes' }));
  const merged: Attributes = { ...current };
  for (const [key, value] of Object.entries(parsed.data)) {
    if (value !== undefined) merged[key] = value;
  }
  const problem = definition.check?.(merged);
  if (problem !== undefined) throw badRequestBody(problem);
  return merged;
}

export function createToxicCollection(listener: ToxicListener): ToxicCollection {
  const chains: Record<Direction, ToxicState[]> = { upstream: [], downstream: [] };

  const find = (name: string): ToxicState | undefined =>
    chains.upstream.find((t) => t.name === name) ?? chains.downstream.find((t) => t.name === name);

  const get = (name: string): ToxicState => {
    const toxic = find(name);
    if (toxic === undefined) throw toxicNotFound();
    return toxic;
  };

  const remove = (toxic: ToxicState): void => {
    const chain = chains[toxic.direction];
    chain.splice(chain.indexOf(toxic), 1);
    listener.removed(toxic);
  };

  return {
    list: () => [...chains.upstream, ...chains.downstream],
    chain: (direction) => chains[direction],
    get,
    // The checks run in Toxiproxy's order (stream, type, name clash, attributes), so the same
    // bad request gets the same error.
    add(input) {
      const stream = input.stream ?? 'downstream';
      const direction = parseDirection(stream);
      if (direction === undefined) throw invalidStream();
      const type = input.type ?? '';
      const name = input.name !== undefined && input.name !== '' ? input.name : `${type}_${stream}`;
      const definition = toxicTypes.get(type);
      if (definition === undefined) throw invalidToxicType();
      const problem = nameProblem(name);
      if (problem !== undefined) throw badRequestBody(`name: ${problem}`);
      if (find(name) !== undefined) throw toxicAlreadyExists();
      const attributes = parseAttributes(definition, definition.defaults, input.attributes);
      const toxic: ToxicState = {
        name,
        type,
        stream,
        direction,
        toxicity: input.toxicity ?? 1,
        attributes,
        definition,
      };
      chains[direction].push(toxic);
      listener.added(toxic);
      return toxic;
    },
    update(name, change) {
      const toxic = get(name);
      const attributes = parseAttributes(toxic.definition, toxic.attributes, change.attributes);
      toxic.attributes = attributes;
      if (change.toxicity !== undefined) toxic.toxicity = change.toxicity;
      listener.updated(toxic);
      return toxic;
    },
    remove(name) {
      remove(get(name));
    },
    clear() {
      for (const toxic of [...chains.upstream, ...chains.downstream]) remove(toxic);
    },
  };
}
