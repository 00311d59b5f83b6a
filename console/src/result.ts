// The session's verdict once it ends: passed or failed, each failed threshold or check, and the
// report's path on the harness's machine, and a link to it: the harness serves the run's
// report.html at /api/report once the session is judged (with the page's token, if any).
import type { ConsoleState } from '../../contracts/console.ts';
import { byId, h, setText } from './dom.ts';
import { redrawIfChanged } from './redraw.ts';

export function drawResult(state: ConsoleState): void {
  const box = byId('result');
  const result = state.session.result;
  if (result === null) {
    box.hidden = state.session.phase !== 'failed';
    if (state.session.phase === 'failed') {
      box.dataset.passed = 'false';
      setText(byId('result-title'), 'The session failed before it was judged');
    }
    return;
  }
  box.hidden = false;
  box.dataset.passed = String(result.passed);
  setText(byId('result-title'), result.passed ? 'PASSED' : `FAILED (exit code ${result.exitCode})`);
  redrawIfChanged(byId('result-failures'), result.failures, () => result.failures.map((f) => h('li', {}, f)));
  setText(byId('result-report'), result.report);
  const token = new URLSearchParams(location.search).get('token');
  byId<HTMLAnchorElement>('result-open').href =
    token === null || token === '' ? '/api/report' : `/api/report?token=${encodeURIComponent(token)}`;
}
