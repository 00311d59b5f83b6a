// compare's two outputs: the side-by-side table printed to the console and compare.html. Both
// show the same strings, formatted here once.
import { renameSync, writeFileSync } from 'node:fs';
import type { CompareResult, MeasureComparison } from './compare.ts';
import { COMMON_SCRIPTS, pageHtml } from './html.ts';

function fmtValue(value: number | null, unit: MeasureComparison['unit']): string {
  if (value === null) return '–';
  if (!Number.isFinite(value)) return 'never';
  if (unit === '/s') return `${value.toFixed(value >= 100 ? 0 : 1)}/s`;
  const ms = unit === 's' ? value * 1000 : value;
  if (ms >= 1000) return `${(ms / 1000).toFixed(ms >= 10_000 ? 1 : 2)} s`;
  return `${ms >= 100 ? Math.round(ms) : ms.toFixed(1)} ms`;
}

function fmtChange(worse: number | null): string {
  if (worse === null) return '–';
  if (!Number.isFinite(worse)) return worse > 0 ? '+∞' : '−∞';
  const pct = worse * 100;
  const text = Math.abs(pct) >= 10 ? Math.round(pct).toString() : pct.toFixed(1);
  return `${pct >= 0 ? '+' : ''}${text}%`.replace('-', '−');
}

export interface MeasureRow {
  label: string;
  baseline: string;
  candidate: string;
  /** Positive = the candidate is worse. */
  change: string;
  interval: string;
  verdict: string;
  note: string;
  regressed: boolean;
}

export function measureRows(result: CompareResult): MeasureRow[] {
  return result.measures.map((m) => ({
    label: m.label,
    baseline: fmtValue(m.baseline, m.unit),
    candidate: fmtValue(m.candidate, m.unit),
    change: fmtChange(m.worse),
    interval: m.interval === null ? '–' : `[${fmtChange(m.interval[0])}, ${fmtChange(m.interval[1])}]`,
    verdict: m.verdict,
    note: m.note,
    regressed: m.verdict === 'regressed',
  }));
}

function pad(cells: string[], widths: number[]): string {
  return cells
    .map((c, i) => c.padEnd(widths[i] ?? 0))
    .join('  ')
    .trimEnd();
}

/** The console table. */
export function formatComparison(result: CompareResult, htmlPath?: string): string {
  const conf = Math.round(result.options.confidence * 100);
  const lines: string[] = [];
  const who = (x: CompareResult['baseline']) =>
    `${x.label} (${x.scenario}, seed ${x.seed ?? '?'}${x.bugs.length > 0 ? `, bugs: ${x.bugs.join(', ')}` : ''})`;
  lines.push(`baseline:  ${who(result.baseline)}`);
  lines.push(`candidate: ${who(result.candidate)}`);
  lines.push('');
  const head = ['measure', 'baseline', 'candidate', 'change', `${conf}% interval`, 'verdict'];
  const rows = measureRows(result).map((r) => [
    r.label,
    r.baseline,
    r.candidate,
    r.change,
    r.interval,
    r.verdict,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  lines.push(pad(head, widths));
  for (const r of rows) lines.push(pad(r, widths));
  lines.push('');
  const cHead = ['consistency check', 'baseline', 'candidate', ''];
  const cRows = result.consistency.map((c) => [
    c.label,
    String(c.baseline),
    String(c.candidate),
    c.isNew ? 'NEW' : c.candidate > c.baseline ? 'more' : '',
  ]);
  const cWidths = cHead.map((h, i) => Math.max(h.length, ...cRows.map((r) => (r[i] ?? '').length)));
  lines.push(pad(cHead, cWidths));
  for (const r of cRows) lines.push(pad(r, cWidths));
  lines.push('');
  for (const c of result.caveats) lines.push(`caveat: ${c}`);
  lines.push(
    `change: positive means the candidate is worse; tolerance ${Math.round(result.options.maxRegression * 100)}%, ` +
      `${conf}% bootstrap interval over ${result.options.iterations} resamples of seconds (incidents for recovery), seed ${result.options.seed}`,
  );
  if (result.regressed) {
    lines.push(`REGRESSED:`);
    for (const r of result.reasons) lines.push(`  - ${r}`);
  } else {
    lines.push('no regression beyond the tolerance');
  }
  if (htmlPath) lines.push(`compare.html: ${htmlPath}`);
  return `${lines.join('\n')}\n`;
}

/** What compare.html draws: the result, with every number already formatted. */
export function compareViewData(result: CompareResult): unknown {
  return {
    ...result,
    // JSON has no Infinity; the page reads the formatted rows.
    measures: undefined,
    rows: measureRows(result),
  };
}

/** The files of compare.html's own script, in order: compare.js, the last, draws the page. */
export const COMPARE_SCRIPTS: readonly string[] = ['compare-tables.js', 'compare.js'];

export function renderCompareHtml(result: CompareResult): string {
  return pageHtml({
    title: `${result.regressed ? 'REGRESSED' : 'OK'} · compare · chatquake`,
    data: compareViewData(result),
    scripts: [COMMON_SCRIPTS, COMPARE_SCRIPTS],
  });
}

export function writeCompareHtml(result: CompareResult, out: string): string {
  const partial = `${out}.partial`;
  writeFileSync(partial, renderCompareHtml(result));
  renameSync(partial, out);
  return out;
}
