// The console page's entry: asks for the token when the server wants one, loads the fault
// catalogue once, then draws every ConsoleState the stream brings into the panels, and marks
// the body (data-ready, data-phase) so people and tests can tell where the session is.
import type { ConsoleCatalogue, ConsoleState, SessionPhase } from '../../contracts/console.ts';
import { createApi, isUnauthorized } from './api.ts';
import { type Charts, createCharts } from './charts.ts';
import { type Controls, createControls } from './controls.ts';
import { drawConsistency, drawFailovers, drawLog } from './counters.ts';
import { byId, setText } from './dom.ts';
import { drawFaults } from './faults.ts';
import { drawHeader } from './header.ts';
import { drawRegions } from './regions.ts';
import { drawResult } from './result.ts';
import { createStream, type Link } from './stream.ts';
import './style.css';

/** While these last, the SRE may inject, heal and stop. */
const LIVE: SessionPhase[] = ['starting', 'load'];

const tokenForm = byId<HTMLFormElement>('token-form');
const api = createApi(() => showLink('token'));
let controls: Controls | null = null;
let charts: Charts | null = null;

function showLink(link: Link): void {
  const el = byId('connection');
  el.dataset.state = link;
  const text: Record<Link, string> = {
    connecting: 'connecting…',
    live: 'live',
    polling: 'stream lost: polling every 2 s',
    lost: 'harness unreachable: retrying',
    token: 'this console needs a token',
  };
  setText(el, text[link]);
  tokenForm.hidden = link !== 'token';
  if (link === 'token') stream.stop();
}

function draw(state: ConsoleState): void {
  const on = LIVE.includes(state.session.phase) && controls?.stopRequested() !== true;
  document.body.dataset.phase = state.session.phase;
  drawHeader(state);
  drawRegions(state);
  charts ??= createCharts();
  charts.draw(state);
  drawFailovers(state);
  drawConsistency(state);
  drawFaults(state, on);
  drawLog(state);
  drawResult(state);
  controls?.enable(on);
  document.body.dataset.ready = 'true';
}

const stream = createStream(api, draw, showLink);

async function load(): Promise<void> {
  try {
    if (controls === null) {
      const catalogue = await api.get<ConsoleCatalogue>('/api/catalogue');
      controls = createControls(api, catalogue, () => void refresh());
    }
    draw(await api.get<ConsoleState>('/api/state'));
    stream.start();
  } catch (error) {
    if (!isUnauthorized(error)) {
      showLink('lost');
      setTimeout(() => void load(), 2000);
    }
  }
}

/** After an action, draw its effect now rather than at the next event. */
async function refresh(): Promise<void> {
  try {
    draw(await api.get<ConsoleState>('/api/state'));
  } catch {
    // The stream brings the next state anyway.
  }
}

tokenForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const input = tokenForm.elements.namedItem('token');
  if (!(input instanceof HTMLInputElement) || input.value.trim() === '') return;
  api.setToken(input.value.trim());
  tokenForm.hidden = true;
  showLink('connecting');
  void load();
});

void load();
