// What the harness knows about a kind of system under test before anything starts: its name,
// the bug knobs a scenario may plant, where it homes a conversation (for region aliases such as
// `@busiest`), and the CLI commands its processes run as. Everything target-specific the harness
// needs comes through here, so adding a target touches only harness/targets/.
import type { CommandSpec } from '../cli/flag-table.ts';

export interface TargetCommand {
  /** Its flags, from which `--help` and the unknown-flag message are drawn. */
  spec: CommandSpec;
  load: () => Promise<{ main: (argv: string[]) => Promise<number> }>;
}

export interface TargetDefinition {
  readonly name: string;
  /** Bug knobs the target can be started with; a scenario's `bugs` and `catches` name these. */
  readonly bugs: readonly string[];
  /**
   * The region a conversation is homed in when the run starts, as the target will place it; undefined
   * when the target cannot tell (aliases then fall back to topology order).
   */
  homeRegionOf(conv: { id: string; residency?: string[] }, regions: readonly string[]): string | undefined;
  /** `chatquake <name>` commands that run the target's own processes. */
  readonly commands: Record<string, TargetCommand>;
}
