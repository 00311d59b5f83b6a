// Redraws a panel only when its data changed: a state arrives every second, and rebuilding an
// unchanged table would swallow a click on a heal button and reset a reader's text selection.

const drawn = new WeakMap<Element, string>();

export function redrawIfChanged(container: Element, data: unknown, build: () => Node[]): void {
  const key = JSON.stringify(data);
  if (drawn.get(container) === key) return;
  drawn.set(container, key);
  container.replaceChildren(...build());
}
