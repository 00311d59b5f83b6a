// Draws the inject form's fields for one fault kind from the catalogue's FaultFields (a region
// is a select of regions and aliases, a link two selects, a pick a select and a number, ...),
// reads them back by name, and fills them from a preset's spec.
import type { ConsoleCatalogue, FaultField } from '../../contracts/console.ts';
import { h } from './dom.ts';
import type { Values } from './spec.ts';

type Control = HTMLInputElement | HTMLSelectElement;

function select(
  name: string,
  options: [value: string, label: string][],
  withEmpty: boolean,
): HTMLSelectElement {
  const all: [string, string][] = withEmpty ? [['', ''], ...options] : options;
  return h('select', { name }, ...all.map(([value, label]) => h('option', { value }, label)));
}

function regionOptions(catalogue: ConsoleCatalogue): [string, string][] {
  return [
    ...catalogue.regions.map((r): [string, string] => [r, r]),
    ...Object.entries(catalogue.aliases).map(([alias, to]): [string, string] => [alias, `${alias} → ${to}`]),
  ];
}

function input(name: string, type: string, attrs: Record<string, string | undefined> = {}): HTMLInputElement {
  return h('input', { name, type, autocomplete: 'off', ...attrs });
}

function controls(field: FaultField, catalogue: ConsoleCatalogue): Control[] {
  const empty = !field.required;
  const name = field.name;
  switch (field.type) {
    case 'region':
      return [select(name, regionOptions(catalogue), empty)];
    case 'node':
      return [
        select(
          name,
          catalogue.nodes.map((n) => [n, n]),
          empty,
        ),
      ];
    case 'link':
      return [
        select(`${name}.from`, regionOptions(catalogue), empty),
        select(`${name}.to`, regionOptions(catalogue), empty),
      ];
    case 'groups':
      return [input(name, 'text', { placeholder: 'eu-west,us-east | ap-south' })];
    case 'pick':
      return [
        select(
          name,
          ['one', 'all', 'count', 'percent'].map((p) => [p, p]),
          empty,
        ),
        input(`${name}.value`, 'number', { step: 'any', placeholder: 'n' }),
      ];
    case 'duration':
      return [input(name, 'text', { placeholder: field.required ? '30s' : 'until healed' })];
    case 'number':
      return [input(name, 'number', { min: field.min?.toString(), max: field.max?.toString(), step: 'any' })];
    case 'boolean':
      return [input(name, 'checkbox')];
    case 'enum':
      return [
        select(
          name,
          (field.choices ?? []).map((c) => [c, c]),
          empty,
        ),
      ];
    default:
      return [input(name, 'text')];
  }
}

/** One `.field` block per FaultField: its label, its control(s), its help line. */
export function drawFields(container: HTMLElement, fields: FaultField[], catalogue: ConsoleCatalogue): void {
  container.replaceChildren(
    ...fields.map((field) =>
      h(
        'div',
        { class: 'field', 'data-field': field.name, 'data-type': field.type },
        h(
          'label',
          {},
          h('span', {}, field.name + (field.required ? ' *' : '')),
          ...controls(field, catalogue),
        ),
        h('p', { class: 'help' }, field.help),
      ),
    ),
  );
}

/** Reads the form's controls by name: a checkbox as a boolean, anything else as its text. */
export function formValues(form: HTMLFormElement): Values {
  return (name) => {
    const el = form.elements.namedItem(name);
    if (el instanceof HTMLInputElement) return el.type === 'checkbox' ? el.checked : el.value;
    if (el instanceof HTMLSelectElement) return el.value;
    return undefined;
  };
}

function set(form: HTMLFormElement, name: string, value: unknown): void {
  const el = form.elements.namedItem(name);
  if (el instanceof HTMLInputElement && el.type === 'checkbox') el.checked = value === true;
  else if (el instanceof HTMLInputElement || el instanceof HTMLSelectElement) el.value = String(value ?? '');
}

/** Puts a preset's spec into the (already drawn) fields of its kind. */
export function fillFields(form: HTMLFormElement, fields: FaultField[], spec: Record<string, unknown>): void {
  set(form, 'name', spec.name ?? '');
  for (const field of fields) {
    const value = spec[field.name];
    if (value === undefined) continue;
    if (field.type === 'link' && typeof value === 'object' && value !== null) {
      const l = value as { from?: unknown; to?: unknown };
      set(form, `${field.name}.from`, l.from);
      set(form, `${field.name}.to`, l.to);
    } else if (field.type === 'groups' && Array.isArray(value)) {
      set(form, field.name, value.map((g) => (Array.isArray(g) ? g.join(',') : String(g))).join(' | '));
    } else if (field.type === 'pick' && typeof value === 'object' && value !== null) {
      const [how, n] = Object.entries(value)[0] ?? ['', ''];
      set(form, field.name, how);
      set(form, `${field.name}.value`, n);
    } else set(form, field.name, value);
  }
}
