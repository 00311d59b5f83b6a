// The page's few DOM helpers: build an element with attributes and children in one call, find a
// required element by id, and replace a container's children. Enough to draw every panel
// without a framework.

type Child = Node | string | number | null | undefined | false;

/** An element with attributes (strings; `data-*` included) and children (text or nodes). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) if (value !== undefined) el.setAttribute(name, value);
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'number' ? String(child) : child);
  }
  return el;
}

/** The element with this id; the page's skeleton (index.html) guarantees it. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`console page: #${id} is missing`);
  return el as T;
}

/** Sets the text only when it changed, so selections and screen readers are not disturbed. */
export function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}
