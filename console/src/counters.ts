// The failover and consistency panels: how many sessions failed over and how long they were
// cut off, and the live judge's counters (anything non-zero stands out) with the message totals.
import type { ConsoleState } from '../../contracts/console.ts';
import { byId, h, setText } from './dom.ts';
import { count, seconds, time } from './format.ts';
import { redrawIfChanged } from './redraw.ts';

export function drawFailovers(state: ConsoleState): void {
  const f = state.failovers;
  setText(byId('failover-count'), String(f.count));
  setText(byId('failover-disconnected'), count(f.disconnected));
  setText(byId('failover-p50'), seconds(f.p50Seconds));
  setText(byId('failover-p99'), seconds(f.p99Seconds));
  setText(byId('failover-max'), seconds(f.maxSeconds));
  const recent = [...f.recent].reverse();
  redrawIfChanged(byId('failover-recent'), recent, () =>
    recent.map((r) =>
      h('li', {}, `${time(r.t)} ${r.from} → ${r.to}`, h('span', { class: 'dim' }, ` ${seconds(r.seconds)}`)),
    ),
  );
}

export function drawConsistency(state: ConsoleState): void {
  const totals = Object.entries(state.totals);
  redrawIfChanged(byId('totals'), state.totals, () =>
    totals.map(([name, n]) =>
      h(
        'div',
        {
          'data-total': name,
          class: name === 'failed' || name === 'indeterminate' ? (n > 0 ? 'warn' : '') : '',
        },
        h('dt', {}, name),
        h('dd', {}, count(n)),
      ),
    ),
  );
  redrawIfChanged(byId('consistency'), state.consistency, () =>
    state.consistency.map((c) =>
      h(
        'tr',
        { 'data-counter': c.name, class: c.count > 0 ? 'nonzero' : '' },
        h('td', { title: c.name }, c.label),
        h('td', { class: 'num' }, count(c.count)),
      ),
    ),
  );
}

const LOG_LINES = 200;

/** Newest first, the last 200 lines. */
export function drawLog(state: ConsoleState): void {
  const lines = state.log.slice(-LOG_LINES).reverse();
  redrawIfChanged(byId('log'), lines, () =>
    lines.map((line) =>
      h(
        'li',
        { 'data-level': line.level },
        h('time', {}, time(line.t)),
        ' ',
        h('span', { class: 'msg' }, line.text),
      ),
    ),
  );
}
