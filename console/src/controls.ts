// The SRE's hands: the inject form (kind, its fields, presets), heal one, heal all, and the
// two-step stop. Each action goes to the console's API; a refused one says why next to the
// form and marks the field the server named.
import type { ConsoleCatalogue, ConsoleError, FaultField, FaultKindEntry } from '../../contracts/console.ts';
import { type Api, isUnauthorized } from './api.ts';
import { byId, h, setText } from './dom.ts';
import { drawFields, fillFields, formValues } from './form.ts';
import { buildSpec } from './spec.ts';

/** Every fault takes these; the catalogue may list them, and the form offers them either way. */
const COMMON: FaultField[] = [
  {
    name: 'duration',
    type: 'duration',
    required: false,
    help: 'How long it lasts, e.g. "30s"; blank: until healed.',
  },
  { name: 'name', type: 'text', required: false, help: "A label for the report; becomes the fault's id." },
];

export function fieldsOf(entry: FaultKindEntry): FaultField[] {
  return [...entry.fields, ...COMMON.filter((c) => !entry.fields.some((f) => f.name === c.name))];
}

export interface Controls {
  /** Enables or disables every control (off once the session stops). */
  enable(on: boolean): void;
  /** The stop was confirmed and not refused: the session is on its way out. */
  stopRequested(): boolean;
}

export function createControls(api: Api, catalogue: ConsoleCatalogue, onAction: () => void): Controls {
  const form = byId<HTMLFormElement>('inject');
  const kind = byId<HTMLSelectElement>('fault-kind');
  const error = byId('inject-error');
  const entry = (): FaultKindEntry | undefined => catalogue.kinds.find((k) => k.kind === kind.value);

  const showKind = (): void => {
    const e = entry();
    setText(byId('fault-description'), e?.description ?? '');
    drawFields(byId('fault-fields'), e === undefined ? [] : fieldsOf(e), catalogue);
    showError(null);
  };

  const showError = (answer: ConsoleError | null): void => {
    setText(error, answer?.error ?? '');
    for (const el of Array.from(form.querySelectorAll('.invalid'))) el.classList.remove('invalid');
    for (const el of Array.from(form.querySelectorAll('[aria-invalid]'))) el.removeAttribute('aria-invalid');
    if (answer?.field === undefined) return;
    const field = markedField(form, answer.field);
    field?.classList.add('invalid');
  };

  kind.replaceChildren(...catalogue.kinds.map((k) => h('option', { value: k.kind }, k.kind)));
  kind.addEventListener('change', showKind);
  showKind();

  byId('presets').replaceChildren(
    ...catalogue.presets.map((p) => {
      const button = h(
        'button',
        { type: 'button', 'data-preset': p.name, title: JSON.stringify(p.spec) },
        p.name,
      );
      button.addEventListener('click', () => {
        kind.value = String(p.spec.fault);
        showKind();
        const e = entry();
        if (e !== undefined) fillFields(form, fieldsOf(e), p.spec);
      });
      return button;
    }),
  );

  const act = async (run: () => Promise<void>): Promise<void> => {
    try {
      await run();
      onAction();
    } catch (e) {
      if (!isUnauthorized(e)) showError({ error: (e as Error).message });
    }
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const e = entry();
    if (e === undefined) return;
    const built = buildSpec(e.kind, fieldsOf(e), formValues(form));
    if ('error' in built) return showError(built);
    void act(async () => {
      const answer = await api.send('POST', '/api/faults', built.spec);
      if (answer.status === 201) showError(null);
      else showError(errorOf(answer.body, answer.status));
    });
  });

  byId('faults-active').addEventListener('click', (event) => {
    const button = (event.target as Element).closest<HTMLButtonElement>('button[data-action="heal"]');
    const id = button?.closest<HTMLElement>('[data-fault]')?.dataset.fault;
    if (button === null || id === undefined) return;
    button.disabled = true;
    void act(async () => {
      const answer = await api.send('DELETE', `/api/faults/${encodeURIComponent(id)}`);
      if (answer.status !== 200) showError(errorOf(answer.body, answer.status));
    });
  });

  byId('heal-all').addEventListener('click', () =>
    act(async () => {
      const answer = await api.send('DELETE', '/api/faults');
      if (answer.status !== 200) showError(errorOf(answer.body, answer.status));
    }),
  );

  const stopping = wireStop(api, act, showError);

  return {
    stopRequested: stopping,
    enable(on) {
      for (const el of Array.from(form.elements)) (el as HTMLInputElement).disabled = !on;
      for (const el of Array.from(byId('presets').querySelectorAll('button'))) el.disabled = !on;
      byId<HTMLButtonElement>('stop').disabled = !on;
      if (!on) byId('stop-confirm-box').hidden = true;
    },
  };
}

function wireStop(
  api: Api,
  act: (run: () => Promise<void>) => Promise<void>,
  showError: (e: ConsoleError) => void,
): () => boolean {
  let requested = false;
  const box = byId('stop-confirm-box');
  const stop = byId<HTMLButtonElement>('stop');
  stop.addEventListener('click', () => {
    box.hidden = false;
  });
  byId('stop-cancel').addEventListener('click', () => {
    box.hidden = true;
  });
  byId('stop-confirm').addEventListener('click', () => {
    box.hidden = true;
    stop.disabled = true;
    requested = true;
    void act(async () => {
      const answer = await api.send('POST', '/api/stop', {});
      if (answer.status !== 202 && answer.status !== 200) {
        requested = false;
        stop.disabled = false;
        showError(errorOf(answer.body, answer.status));
      }
    });
  });
  return () => requested;
}

/** The server's ConsoleError, or a plain one when the answer was something else. */
function errorOf(body: unknown, status: number): ConsoleError {
  if (typeof body === 'object' && body !== null && typeof (body as ConsoleError).error === 'string') {
    return body as ConsoleError;
  }
  return { error: `the console answered ${status}` };
}

/** The `.field` the server's field name points at: "link.to" → link, "pick" → pick. */
function markedField(form: HTMLFormElement, field: string): Element | null {
  const top = field.split('.')[0] ?? field;
  const control = form.querySelector(`[name="${CSS.escape(field)}"]`);
  if (control !== null) control.setAttribute('aria-invalid', 'true');
  return form.querySelector(`.field[data-field="${CSS.escape(top)}"]`);
}
