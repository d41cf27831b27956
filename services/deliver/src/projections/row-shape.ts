/**
 * The shape of a projection's rows, written once per row kind, from which follow (so they cannot drift):
 * - the public row: what the read API serves and the feed's `row` holds. Dates are ISO 8601 calendar
 *   dates ('YYYY-MM-DD'); the fields marked `internal` are left out.
 * - the internal part: the fields marked `internal` (the versions that order a projection's updates,
 *   version.ts), mirrored at the depth they sit in the row, so public + internal give the row back exactly.
 * - the JSON Schema of the public row (the OpenAPI document's row schemas, openapi.ts) and the field
 *   tables of docs/recipients/*.md.
 * Pure. The state keeps rows as the folds make them (epoch days, versions): converting happens only where
 * JSON leaves deliver (feed-value.ts, the read API).
 */

import { fromEpochDay, parseIsoDate, toEpochDay } from '@register-feeds/register-model';

interface Common {
  description: string;
  nullable?: boolean;
}

export type FieldShape =
  | (Common & { type: 'string'; enum?: readonly string[]; pattern?: string })
  | (Common & { type: 'integer' })
  /** an EpochDay in the state, 'YYYY-MM-DD' outside */
  | (Common & { type: 'date' })
  | (Common & { type: 'object'; fields: ObjectShape })
  | (Common & { type: 'array'; items: ObjectShape })
  /** deliver's own bookkeeping: kept in the feed's internal part, never in a public row */
  | (Common & { type: 'internal' });

export type ObjectShape = Readonly<Record<string, FieldShape>>;

/** One object shape, or several told apart by a string field (Stagemarkt: kind bpv or inschrijving). */
export type RowShape =
  | { kind: 'object'; title: string; description: string; fields: ObjectShape }
  | {
      kind: 'union';
      discriminator: string;
      variants: Readonly<Record<string, { title: string; description: string; fields: ObjectShape }>>;
    };

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

// Every feed value read and every row served passes through here (a restart reads the whole feed), so
// the shapes' entries and the date conversions are kept rather than redone per row: rows repeat few dates.
const entryCache = new WeakMap<ObjectShape, [string, FieldShape][]>();
const entriesOf = (fields: ObjectShape): [string, FieldShape][] => {
  let entries = entryCache.get(fields);
  if (entries === undefined) {
    entries = Object.entries(fields);
    entryCache.set(fields, entries);
  }
  return entries;
};
const DATE_CACHE_LIMIT = 100_000;
const isoOfDay = new Map<number, string>();
const dayOfIso = new Map<string, number>();

function isoDate(epochDay: number): string {
  let text = isoOfDay.get(epochDay);
  if (text === undefined) {
    text = fromEpochDay(epochDay);
    if (isoOfDay.size >= DATE_CACHE_LIMIT) isoOfDay.clear();
    isoOfDay.set(epochDay, text);
  }
  return text;
}

function epochDayOf(text: string): number {
  let day = dayOfIso.get(text);
  if (day === undefined) {
    const parsed = parseIsoDate(text);
    if (!parsed.ok) throw new TypeError('a date that is not YYYY-MM-DD');
    day = toEpochDay(parsed.date);
    if (dayOfIso.size >= DATE_CACHE_LIMIT) dayOfIso.clear();
    dayOfIso.set(text, day);
  }
  return day;
}

function fieldsFor(shape: RowShape, row: Json): ObjectShape {
  if (shape.kind === 'object') return shape.fields;
  const variant = shape.variants[String(row[shape.discriminator])];
  if (variant === undefined) throw new TypeError(`a row of no known ${shape.discriminator}`);
  return variant.fields;
}

// ---- public ----

function publicValue(field: FieldShape, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (field.type) {
    case 'date':
      return isoDate(value as number);
    case 'object':
      return publicObject(field.fields, value as Json);
    case 'array':
      return (value as Json[]).map((item) => publicObject(field.items, item));
    default:
      return value;
  }
}

function publicObject(fields: ObjectShape, row: Json): Json {
  const out: Json = {};
  for (const [name, field] of entriesOf(fields)) {
    if (field.type !== 'internal') out[name] = publicValue(field, row[name]);
  }
  return out;
}

/** The row as recipients see it: ISO dates, no internal fields, only the fields of the shape. */
export function publicRow(shape: RowShape, row: unknown): Json {
  return publicObject(fieldsFor(shape, row as Json), row as Json);
}

// ---- internal ----

function internalObject(fields: ObjectShape, row: Json): Json | undefined {
  const out: Json = {};
  for (const [name, field] of entriesOf(fields)) {
    const value = row[name];
    if (field.type === 'internal') out[name] = value ?? null;
    else if (field.type === 'object' && isObject(value)) {
      const inner = internalObject(field.fields, value);
      if (inner !== undefined) out[name] = inner;
    } else if (field.type === 'array' && Array.isArray(value) && hasInternal(field.items)) {
      out[name] = (value as Json[]).map((item) => internalObject(field.items, item) ?? {});
    }
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

const internalCache = new WeakMap<ObjectShape, boolean>();
function hasInternal(fields: ObjectShape): boolean {
  let has = internalCache.get(fields);
  if (has === undefined) {
    has = Object.values(fields).some(
      (f) => f.type === 'internal' || (f.type === 'object' && hasInternal(f.fields)) || (f.type === 'array' && hasInternal(f.items)),
    );
    internalCache.set(fields, has);
  }
  return has;
}

/** The internal fields of the row, at the depth they sit in it (an array: one entry per item, in order); undefined: none. */
export function internalPart(shape: RowShape, row: unknown): Json | undefined {
  return internalObject(fieldsFor(shape, row as Json), row as Json);
}

// ---- back ----

function stateValue(field: FieldShape, value: unknown, internal: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (field.type) {
    case 'date':
      return epochDayOf(String(value));
    case 'object':
      return stateObject(field.fields, value as Json, isObject(internal) ? internal : undefined);
    case 'array': {
      const internals = Array.isArray(internal) ? internal : [];
      return (value as Json[]).map((item, i) => stateObject(field.items, item, isObject(internals[i]) ? internals[i] : undefined));
    }
    default:
      return value;
  }
}

function stateObject(fields: ObjectShape, row: Json, internal: Json | undefined): Json {
  const out: Json = {};
  for (const [name, field] of entriesOf(fields)) {
    out[name] = field.type === 'internal' ? (internal?.[name] ?? null) : stateValue(field, row[name], internal?.[name]);
  }
  return out;
}

/** The row as the state keeps it, from its public row and internal part: stateRow(publicRow(r), internalPart(r)) equals r. */
export function stateRow(shape: RowShape, row: unknown, internal: unknown): Json {
  return stateObject(fieldsFor(shape, row as Json), row as Json, isObject(internal) ? internal : undefined);
}

// ---- JSON Schema (2020-12) of the public row ----

function fieldSchema(field: FieldShape): Json {
  const base: Json = (() => {
    switch (field.type) {
      case 'string':
        return { type: 'string', ...(field.enum ? { enum: [...field.enum] } : {}), ...(field.pattern ? { pattern: field.pattern } : {}) };
      case 'integer':
        return { type: 'integer' };
      case 'date':
        return { type: 'string', format: 'date' };
      case 'object':
        return objectSchema(field.fields);
      case 'array':
        return { type: 'array', items: objectSchema(field.items) };
      case 'internal':
        throw new TypeError('internal fields have no public schema');
    }
  })();
  if (field.nullable) {
    if (base.enum) base.enum = [...(base.enum as unknown[]), null];
    base.type = [base.type, 'null'];
  }
  return { ...base, description: field.description };
}

function objectSchema(fields: ObjectShape): Json {
  const publicFields = Object.entries(fields).filter(([, f]) => f.type !== 'internal');
  return {
    type: 'object',
    properties: Object.fromEntries(publicFields.map(([name, f]) => [name, fieldSchema(f)])),
    required: publicFields.map(([name]) => name),
    additionalProperties: false,
  };
}

/** The JSON Schema of the public row: every field required (an absent value is null), nothing else allowed. */
export function rowJsonSchema(shape: RowShape): Json {
  if (shape.kind === 'object') return { title: shape.title, description: shape.description, ...objectSchema(shape.fields) };
  return {
    oneOf: Object.entries(shape.variants).map(([value, variant]) => {
      const schema = objectSchema(variant.fields);
      const properties = schema.properties as Json;
      properties[shape.discriminator] = { ...(properties[shape.discriminator] as Json), const: value };
      return { title: variant.title, description: variant.description, ...schema };
    }),
  };
}

/** The public fields of an object shape, flattened for a table: name (dotted, [] for array items), type, description. */
export function fieldTable(fields: ObjectShape, prefix = ''): Array<{ name: string; type: string; description: string }> {
  return Object.entries(fields).flatMap(([name, field]) => {
    if (field.type === 'internal') return [];
    const path = `${prefix}${name}`;
    const type = field.type === 'date' ? 'date (YYYY-MM-DD)' : field.type === 'string' && field.enum ? field.enum.join(' | ') : field.type;
    const row = { name: path, type: field.nullable ? `${type} or null` : type, description: field.description };
    if (field.type === 'object') return [row, ...fieldTable(field.fields, `${path}.`)];
    if (field.type === 'array') return [row, ...fieldTable(field.items, `${path}[].`)];
    return [row];
  });
}
