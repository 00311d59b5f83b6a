// The targets chatquake can drive, by name. A new target is a folder here with a definition
// (types.ts) and a MessagingTarget, added to this table; no other harness file changes. It holds
// definitions only, so the CLI can list a target's commands without loading its client.
import { referenceTarget } from './reference/index.ts';
import type { TargetCommand, TargetDefinition } from './types.ts';
import { xmppTarget } from './xmpp/index.ts';

export type { TargetCommand, TargetDefinition } from './types.ts';

export const TARGETS: Record<string, TargetDefinition> = { reference: referenceTarget, xmpp: xmppTarget };

/** The target a run drives unless told otherwise. */
export const defaultTarget: TargetDefinition = referenceTarget;

/** Every bug knob some target knows, for validating scenario files. */
export const KNOWN_BUGS = [...new Set(Object.values(TARGETS).flatMap((t) => t.bugs))] as [
  string,
  ...string[],
];

/** The commands of every target's processes, for the CLI. */
export const targetCommands: Record<string, TargetCommand> = Object.assign(
  {},
  ...Object.values(TARGETS).map((t) => t.commands),
);
