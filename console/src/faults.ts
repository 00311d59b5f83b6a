// The faults panel: what is broken now (each with a heal button) and what was broken before,
// manual and planned alike, with any backend error met while applying or healing it.
import type { ConsoleFault, ConsoleState } from '../../contracts/console.ts';
import { byId, h } from './dom.ts';
import { NONE, time } from './format.ts';
import { redrawIfChanged } from './redraw.ts';

export function drawFaults(state: ConsoleState, controlsOn: boolean): void {
  const active = state.faults.filter((f) => f.stoppedAt === null);
  const past = state.faults.filter((f) => f.stoppedAt !== null).reverse();
  redrawIfChanged(byId('faults-active'), { active, controlsOn }, () =>
    active.length === 0
      ? [emptyRow('nothing injected right now')]
      : active.map((f) => activeRow(f, controlsOn)),
  );
  redrawIfChanged(byId('faults-past'), past, () =>
    past.length === 0 ? [emptyRow('none yet')] : past.map(pastRow),
  );
  byId<HTMLButtonElement>('heal-all').disabled = !controlsOn || active.length === 0;
}

function emptyRow(text: string): HTMLElement {
  return h('tr', { class: 'empty' }, h('td', { colspan: '6' }, text));
}

function cells(fault: ConsoleFault): HTMLElement[] {
  return [
    h(
      'td',
      { class: 'id' },
      fault.id,
      ' ',
      h('span', { class: fault.manual ? 'tag manual' : 'tag planned' }, fault.manual ? 'manual' : 'planned'),
    ),
    h('td', { class: 'kind' }, fault.kind),
    h('td', { class: 'target' }, fault.target),
    h('td', {}, time(fault.startedAt)),
  ];
}

function activeRow(fault: ConsoleFault, controlsOn: boolean): HTMLElement {
  const heal = h('button', { type: 'button', 'data-action': 'heal', title: `heal ${fault.id}` }, 'Heal');
  heal.disabled = !controlsOn;
  return h(
    'tr',
    { 'data-fault': fault.id, class: fault.error === undefined ? '' : 'has-error', title: fault.error },
    ...cells(fault),
    h('td', {}, fault.endsAt === null ? 'until healed' : time(fault.endsAt)),
    h('td', {}, heal),
  );
}

function pastRow(fault: ConsoleFault): HTMLElement {
  return h(
    'tr',
    { 'data-fault': fault.id, class: fault.error === undefined ? '' : 'has-error' },
    ...cells(fault),
    h('td', {}, time(fault.stoppedAt)),
    h('td', { class: 'error' }, fault.error ?? NONE),
  );
}
