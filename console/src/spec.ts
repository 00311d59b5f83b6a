// Turns the inject form's values into the fault spec POST /api/faults takes: the scenario's
// `chaos:` entry shapes without `at` (docs/FAULTS.md). Empty fields are left out, so the
// server's defaults apply; what cannot be a valid shape is refused here with the field to fix.
import type { FaultField } from '../../contracts/console.ts';

/** What the form holds: a control's value by its name (`link.from`, `pick.value`, ...). */
export type Values = (name: string) => string | boolean | undefined;

export type Built = { spec: Record<string, unknown> } | { error: string; field: string };

export function buildSpec(kind: string, fields: FaultField[], values: Values): Built {
  const spec: Record<string, unknown> = { fault: kind };
  for (const field of fields) {
    const got = fieldValue(field, values);
    if ('error' in got) return got;
    if (got.value !== undefined) spec[field.name] = got.value;
    else if (field.required) return { error: `${field.name} is required`, field: field.name };
  }
  return { spec };
}

type Got = { value: unknown } | { error: string; field: string };

function text(v: string | boolean | undefined): string | undefined {
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  return t === '' ? undefined : t;
}

function fieldValue(field: FaultField, values: Values): Got {
  const name = field.name;
  switch (field.type) {
    case 'boolean':
      return { value: values(name) === true ? true : undefined };
    case 'number': {
      const raw = text(values(name));
      if (raw === undefined) return { value: undefined };
      const n = Number(raw);
      if (!Number.isFinite(n)) return { error: `${name} must be a number`, field: name };
      return { value: n };
    }
    case 'link':
      return link(name, values);
    case 'groups':
      return { value: groups(text(values(name))) };
    case 'pick':
      return pick(name, values);
    default:
      return { value: text(values(name)) };
  }
}

function link(name: string, values: Values): Got {
  const from = text(values(`${name}.from`));
  const to = text(values(`${name}.to`));
  if (from === undefined && to === undefined) return { value: undefined };
  if (from === undefined)
    return { error: `${name}: choose where the link comes from`, field: `${name}.from` };
  if (to === undefined) return { error: `${name}: choose where the link goes to`, field: `${name}.to` };
  return { value: { from, to } };
}

/** "eu-west,us-east | ap-south" → [["eu-west","us-east"],["ap-south"]]. */
export function groups(raw: string | undefined): string[][] | undefined {
  if (raw === undefined) return undefined;
  const out = raw
    .split('|')
    .map((g) =>
      g
        .split(',')
        .map((r) => r.trim())
        .filter((r) => r !== ''),
    )
    .filter((g) => g.length > 0);
  return out.length === 0 ? undefined : out;
}

function pick(name: string, values: Values): Got {
  const how = text(values(name));
  if (how === undefined) return { value: undefined };
  if (how === 'one' || how === 'all') return { value: how };
  const raw = text(values(`${name}.value`));
  const n = raw === undefined ? Number.NaN : Number(raw);
  if (!Number.isFinite(n)) return { error: `${name}: give the ${how}`, field: `${name}.value` };
  return { value: how === 'count' ? { count: n } : { percent: n } };
}
