// The single-file page shell shared by report.html and compare.html: the data inlined as JSON,
// uPlot and the page scripts inlined, and a Content-Security-Policy that allows exactly those
// scripts (by hash) and nothing from anywhere else, so the file works from file:// offline and
// cannot phone home even if a run's data carried markup.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const cache = new Map<string, string>();

function readOnce(path: string): string {
  let text = cache.get(path);
  if (text === undefined) {
    text = readFileSync(path, 'utf8');
    cache.set(path, text);
  }
  return text;
}

/** A page script or stylesheet from reports/page/. */
export function pageAsset(name: string): string {
  return readOnce(fileURLToPath(new URL(`./page/${name}`, import.meta.url)));
}

/** uPlot's browser build and stylesheet, read from node_modules at generation time. */
export function uplotAssets(): { js: string; css: string } {
  return {
    js: readOnce(require.resolve('uplot/dist/uPlot.iife.min.js')),
    css: readOnce(require.resolve('uplot/dist/uPlot.min.css')),
  };
}

const sha256 = (text: string): string =>
  `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

/** JSON that cannot end its <script> element early: every `<` is escaped. */
export function inlineJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

/**
 * The files of the common page script (reports/page/common.js and the parts it lists), in
 * order: common.js declares the CQ namespace, the others fill it in.
 */
export const COMMON_SCRIPTS: readonly string[] = [
  'common.js',
  'common-format.js',
  'common-dom.js',
  'common-time.js',
  'common-faults.js',
  'common-charts.js',
];

export interface PageSpec {
  title: string;
  /** Inlined as <script id="report-data" type="application/json">. */
  data: unknown;
  /**
   * Page scripts from reports/page/, in order, after uPlot: one <script> per list, its files
   * joined in order (so one CSP hash per script, however many files it is written in).
   */
  scripts: (readonly string[])[];
}

/** One inline script from its files, in order. */
const joinScript = (files: readonly string[]): string => files.map(pageAsset).join('\n');

export function pageHtml(spec: PageSpec): string {
  const uplot = uplotAssets();
  const css = `${uplot.css}\n${pageAsset('report.css')}`.replace(/<\/style/gi, '<\\/style');
  const scripts = [uplot.js, ...spec.scripts.map(joinScript)].map((s) =>
    s.replace(/<\/script/gi, '<\\/script'),
  );
  const csp = [
    "default-src 'none'",
    `script-src ${scripts.map(sha256).join(' ')}`,
    `style-src ${sha256(css)}`,
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${csp}">`,
    '<meta name="referrer" content="no-referrer">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(spec.title)}</title>`,
    '<link rel="icon" href="data:,">',
    `<style>${css}</style>`,
    '</head>',
    '<body>',
    '<noscript>This report draws its tables and charts with JavaScript. The data is inlined in this file as JSON (script#report-data).</noscript>',
    '<div id="app"></div>',
    `<script id="report-data" type="application/json">${inlineJson(spec.data)}</script>`,
    ...scripts.map((s) => `<script>${s}</script>`),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
