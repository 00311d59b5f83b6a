// The regions panel: one card per region, coloured by its state, with its clients and homed
// conversations, and one row per node with its state, homed count, replication lag and the
// faults acting on it: the first place an SRE looks after injecting a fault.
import type { ConsoleNode, ConsoleRegion, ConsoleState } from '../../contracts/console.ts';
import { byId, h } from './dom.ts';
import { count, NONE, seconds } from './format.ts';
import { redrawIfChanged } from './redraw.ts';

export function drawRegions(state: ConsoleState): void {
  redrawIfChanged(byId('regions'), state.regions, () => state.regions.map(regionCard));
}

function regionCard(region: ConsoleRegion): HTMLElement {
  return h(
    'article',
    { class: 'region', 'data-region': region.name, 'data-state': region.state },
    h(
      'header',
      {},
      h('h3', {}, region.name),
      h('span', { class: 'state', 'data-state': region.state }, region.state),
    ),
    h(
      'dl',
      { class: 'stats' },
      h('div', {}, h('dt', {}, 'clients'), h('dd', { class: 'clients' }, count(region.clients))),
      h('div', {}, h('dt', {}, 'homed'), h('dd', { class: 'homed' }, count(region.homed))),
    ),
    h(
      'table',
      { class: 'nodes' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, 'node'),
          h('th', {}, 'state'),
          h('th', {}, 'homed'),
          h('th', {}, 'lag'),
          h('th', {}, 'faults'),
        ),
      ),
      h('tbody', {}, ...region.nodes.map(nodeRow)),
    ),
  );
}

function nodeRow(node: ConsoleNode): HTMLElement {
  return h(
    'tr',
    { 'data-node': node.id, 'data-state': node.state },
    h('td', { class: 'id' }, node.id),
    h('td', {}, h('span', { class: 'state', 'data-state': node.state }, node.state)),
    h('td', { class: 'homed' }, count(node.homed)),
    h('td', { class: 'lag' }, lag(node)),
    h('td', { class: 'faults' }, node.faults.length === 0 ? '' : node.faults.join(', ')),
  );
}

/** "1.2s / 340 msgs", either side "–" when the target does not report it. */
export function lag(node: ConsoleNode): string {
  if (node.lagSeconds === null && node.lagMessages === null) return NONE;
  const msgs = node.lagMessages === null ? NONE : `${count(node.lagMessages)} msgs`;
  return `${seconds(node.lagSeconds)} / ${msgs}`;
}
