// The header: which scenario against which target, its seed, where the run folder is, the
// session's phase, and how far into its bounded load it is.
import type { ConsoleState } from '../../contracts/console.ts';
import { byId, setText } from './dom.ts';
import { clock, NONE } from './format.ts';

export function drawHeader(state: ConsoleState): void {
  const s = state.session;
  setText(byId('h-scenario'), s.scenario);
  setText(byId('h-target'), s.target);
  setText(byId('h-seed'), String(s.seed));
  const phase = byId('h-phase');
  setText(phase, s.phase);
  phase.dataset.phase = s.phase;
  setText(byId('h-elapsed'), elapsed(state));
  setText(byId('h-run-dir'), s.runDir);
}

/** "1m05s / 10m00s" since load began, or "– / 10m00s" before it did. */
export function elapsed(state: ConsoleState): string {
  const s = state.session;
  const bound = clock(s.maxDurationMs);
  if (s.loadStartedAt === null) return `${NONE} / ${bound}`;
  return `${clock(s.now - s.loadStartedAt)} / ${bound}`;
}
