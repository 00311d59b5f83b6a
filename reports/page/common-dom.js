// @ts-check
// CQ's colours and DOM building: series and fault colours, and elements made without innerHTML,
// so text from a run is never parsed as markup. Part of the common script (see common.js).

CQ.PALETTE = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#0891b2', '#db2777', '#65a30d', '#475569'];
/** @type {Record<string, string>} */
CQ.FAULT_COLORS = {
  regionOutage: '#dc2626',
  regionIsolation: '#b91c1c',
  partition: '#7c3aed',
  latency: '#ea580c',
  bandwidth: '#c2410c',
  blackhole: '#1f2937',
  resetPeer: '#9f1239',
  brownout: '#ca8a04',
  flap: '#db2777',
  nodeCrash: '#be123c',
  nodePause: '#92400e',
  clockSkew: '#0d9488',
  scaleOut: '#15803d',
  // The fixtures' snake_case names.
  region_outage: '#dc2626',
};

/** @param {string} text */
CQ.hash = (text) => {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  return Math.abs(h);
};

/** @param {string} kind */
CQ.faultColor = (kind) => CQ.FAULT_COLORS[kind] ?? CQ.PALETTE[CQ.hash(kind) % CQ.PALETTE.length] ?? '#dc2626';

/** @param {number} i */
CQ.seriesColor = (i) => CQ.PALETTE[i % CQ.PALETTE.length] ?? '#2563eb';

/** @param {string} hex @param {number} alpha */
CQ.rgba = (hex, alpha) => {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
};

/**
 * @typedef {{ class?: string, text?: string, id?: string, href?: string, title?: string,
 *   data?: Record<string, string | number>, colspan?: number }} Props
 * @typedef {Node | string | number | null | undefined | false} Child
 */

/**
 * Builds an element; text goes in as text, so nothing from a run is ever parsed as HTML.
 * @param {string} tag @param {Props} [props] @param {Child[]} [children]
 * @returns {HTMLElement}
 */
CQ.h = (tag, props = {}, children = []) => {
  const node = document.createElement(tag);
  if (props.class) node.className = props.class;
  if (props.id) node.id = props.id;
  if (props.title) node.title = props.title;
  if (props.href && node instanceof HTMLAnchorElement) node.href = props.href;
  if (props.colspan && node instanceof HTMLTableCellElement) node.colSpan = props.colspan;
  if (props.data) for (const [k, v] of Object.entries(props.data)) node.dataset[k] = String(v);
  if (props.text !== undefined) node.textContent = props.text;
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
  }
  return node;
};

/** A colour swatch; colours are set through the CSSOM, which the page's CSP allows. @param {string} color */
CQ.swatch = (color) => {
  const s = CQ.h('span', { class: 'swatch' });
  s.style.background = color;
  return s;
};

/**
 * A table from header labels and rows of cells (a cell is a node, text, or [text, class]).
 * @param {(string | [string, string])[]} head
 * @param {{ cells: (Child | [string, string])[], class?: string, data?: Record<string, string | number> }[]} rows
 * @param {string} [cls]
 */
CQ.table = (head, rows, cls) => {
  const { h } = CQ;
  const cell = (/** @type {string} */ tag, /** @type {Child | [string, string]} */ c) =>
    Array.isArray(c) ? h(tag, { class: c[1], text: c[0] }) : h(tag, {}, [c]);
  return h('table', { class: cls }, [
    h('thead', {}, [
      h(
        'tr',
        {},
        head.map((c) => cell('th', c)),
      ),
    ]),
    h(
      'tbody',
      {},
      rows.map((r) =>
        h(
          'tr',
          { class: r.class, data: r.data },
          r.cells.map((c) => cell('td', c)),
        ),
      ),
    ),
  ]);
};
