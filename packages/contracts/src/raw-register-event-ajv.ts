/**
 * The raw contract checked by ajv (JSON Schema draft 2020-12) from the published schema file, the single
 * source, with custom keywords and formats for what the schema leaves to the service: the elfproef of bsn
 * and onderwijsnummer, that dates exist, that brinVestiging starts with brin, dates in order, and birth
 * not after occurredAt. ajv's errors are turned into the reasons ingest dead-letters with: field, rule id
 * and a message that names the rule and never quotes a value.
 *
 * Compiled twice, once at load: a verdict-only validator that stops at the first error (every valid event,
 * nearly all of them, pays only that), and one that collects every error for the refused ones.
 */

import { daysInMonth } from '@register-feeds/register-model';
import { Ajv2020, type ErrorObject, type SchemaObject } from 'ajv/dist/2020.js';
import { type JsonSchema, rawRegisterEventSchema } from './raw-register-event-schema.ts';

/** Why a payload was refused; the same shape and rule ids as ingest's validator (services/ingest/src/validate/reason.ts). */
export interface ContractReason {
  field: string;
  rule: string;
  message: string;
}

export type ContractVerdict = { ok: true } | { ok: false; reasons: ContractReason[] };

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

// Weights of the elfproef shared by BSN and onderwijsnummer: 9..2 and -1 for the last digit.
function elfproefRemainder(nineDigits: string): number {
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += (9 - i) * (nineDigits.charCodeAt(i) - 48);
  sum -= nineDigits.charCodeAt(8) - 48;
  return ((sum % 11) + 11) % 11;
}
const NINE_DIGITS = /^[0-9]{9}$/;
const BRIN = /^[0-9]{2}[A-Z0-9]{2}$/;
const BRIN_VESTIGING = /^[0-9]{2}[A-Z0-9]{2}[0-9]{2}$/;

// The date rules of register-model's parseIsoDate and parseIsoDateTime, read digit by digit: those build a
// match array and an object per call, and the dates of every event made them ajv's largest cost.
const digitAt = (text: string, i: number): number => {
  const code = text.charCodeAt(i) - 48;
  return code >= 0 && code <= 9 ? code : Number.NaN;
};
const number = (text: string, from: number, to: number): number => {
  let value = 0;
  for (let i = from; i < to; i++) value = value * 10 + digitAt(text, i);
  return value;
};
/** YYYY-MM-DD at `from`: 'form' when it is not that shape, else whether the date exists. */
function dateAt(text: string, from: number): 'form' | boolean {
  if (text.charCodeAt(from + 4) !== 45 || text.charCodeAt(from + 7) !== 45) return 'form';
  const year = number(text, from, from + 4);
  const month = number(text, from + 5, from + 7);
  const day = number(text, from + 8, from + 10);
  if (Number.isNaN(year + month + day)) return 'form';
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}
const DATE_TIME_FORM = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$/;
/** 'form' when not an ISO date-time with seconds and Z or an offset, else whether date, time and offset exist. */
function dateTimeExists(text: string): 'form' | boolean {
  if (!DATE_TIME_FORM.test(text)) return 'form';
  if (dateAt(text, 0) !== true || number(text, 11, 13) > 23 || number(text, 14, 16) > 59 || number(text, 17, 19) > 59) return false;
  // no leap second: an epoch-millis timestamp cannot express 23:59:60
  if (text.endsWith('Z')) return true;
  return number(text, text.length - 5, text.length - 3) <= 23 && number(text, text.length - 2, text.length) <= 59;
}
const validDate = (value: unknown): value is string => typeof value === 'string' && value.length === 10 && dateAt(value, 0) === true;

/**
 * The schema file plus the keywords for the rules it describes in prose. Added here, not written into the
 * file, so the published schema stays plain draft 2020-12 that any validator reads.
 */
export function withServiceKeywords(published: JsonSchema): SchemaObject {
  const schema = structuredClone(published) as Json & { $defs: Record<string, Json & { properties: Record<string, Json> }> };
  const def = (name: string) => {
    const found = schema.$defs[name];
    if (found === undefined) throw new Error(`raw contract schema: $defs.${name} is missing, the service's keywords attach to it`);
    return found;
  };
  const persoon = def('persoon').properties;
  if (!persoon.bsn || !persoon.onderwijsnummer) throw new Error('raw contract schema: persoon.bsn and persoon.onderwijsnummer are missing');
  persoon.bsn.elfproef = 'bsn';
  persoon.onderwijsnummer.elfproef = 'onderwijsnummer';
  def('inschrijving').vestigingOfBrin = true;
  def('inschrijving').notBefore = { einddatum: 'begindatum' };
  def('bpv').notBefore = { geplandeEinddatum: 'begindatum', werkelijkeEinddatum: 'begindatum' };
  schema.bornNotAfterEvent = true;
  return schema;
}

function createAjv(allErrors: boolean): Ajv2020 {
  // strict, but the schema's if/then rules name properties and apply keywords without repeating their types, as JSON Schema allows
  const ajv = new Ajv2020({ allErrors, verbose: allErrors, strict: true, strictRequired: false, strictTypes: false });
  // Only existence: the schema's patterns say the form, and a value of the wrong form gives that one reason.
  ajv.addFormat('date', { type: 'string', validate: (text: string) => text.length !== 10 || dateAt(text, 0) !== false });
  ajv.addFormat('date-time', { type: 'string', validate: (text: string) => dateTimeExists(text) !== false });
  ajv.addKeyword({
    keyword: 'elfproef',
    type: 'string',
    schemaType: 'string',
    // nine digits only: another form is the pattern's reason
    validate: (kind: 'bsn' | 'onderwijsnummer', text: string) =>
      !NINE_DIGITS.test(text) || (kind === 'bsn' ? text !== '000000000' && elfproefRemainder(text) === 0 : elfproefRemainder(text) === 5),
  });
  ajv.addKeyword({
    keyword: 'vestigingOfBrin',
    type: 'object',
    schemaType: 'boolean',
    validate: (_: boolean, data: Json) => {
      const { brin, brinVestiging } = data;
      if (typeof brin !== 'string' || typeof brinVestiging !== 'string' || !BRIN.test(brin) || !BRIN_VESTIGING.test(brinVestiging))
        return true;
      return brinVestiging.startsWith(brin);
    },
  });
  const notBefore = (pairs: Record<string, string>, data: Json) => {
    const errors: Partial<ErrorObject>[] = [];
    for (const [later, earlier] of Object.entries(pairs)) {
      const end = data[later];
      const begin = data[earlier];
      // YYYY-MM-DD strings compare like the dates they denote
      if (validDate(end) && validDate(begin) && end < begin) errors.push({ keyword: 'notBefore', params: { later, earlier } });
    }
    notBeforeValidate.errors = errors;
    return errors.length === 0;
  };
  const notBeforeValidate: { (pairs: Record<string, string>, data: Json): boolean; errors?: Partial<ErrorObject>[] } = notBefore;
  ajv.addKeyword({ keyword: 'notBefore', type: 'object', schemaType: 'object', errors: true, validate: notBeforeValidate });
  ajv.addKeyword({
    keyword: 'bornNotAfterEvent',
    type: 'object',
    schemaType: 'boolean',
    validate: (_: boolean, data: Json) => {
      const persoon = data.persoon;
      const born = isObject(persoon) ? persoon.geboortedatum : undefined;
      const occurredAt = data.occurredAt;
      if (!validDate(born) || typeof occurredAt !== 'string' || dateTimeExists(occurredAt) !== true) return true;
      // the calendar date of occurredAt as written, in the event's own offset
      return born <= occurredAt.slice(0, 10);
    },
  });
  return ajv;
}

const jsonType = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);

/** A key the sender chose could be a BSN or a date: shown only when it looks like a field name without digit runs. */
const describeKey = (key: string): string => (/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(key) && !/\d{3,}/.test(key) ? key : '[redacted]');

const dotted = (instancePath: string): string =>
  instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
const child = (path: string, name: string): string => (path ? `${path}.${name}` : name);

function valueAt(root: unknown, field: string): unknown {
  if (field === '') return root;
  let at: unknown = root;
  for (const name of field.split('.')) at = isObject(at) ? at[name] : undefined;
  return at;
}

// The rule of a pattern that fails, by the schema definition it belongs to or else by the field's name.
const PATTERN_RULES: Readonly<Record<string, readonly [rule: string, message: string]>> = {
  '#/$defs/date/pattern': ['date-format', 'must be a date YYYY-MM-DD'],
  '#/$defs/dateTime/pattern': ['date-time-format', 'must be an ISO-8601 date-time with seconds and an offset or Z'],
  bsn: ['bsn-format', 'must be 9 digits'],
  onderwijsnummer: ['onderwijsnummer-format', 'must be 9 digits'],
  brin: ['brin-format', 'must be 2 digits followed by 2 capitals or digits'],
  brinVestiging: ['brin-vestiging-format', 'must be a BRIN followed by 2 digits'],
  opleidingscode: ['opleidingscode-format', 'must be 4 or 5 digits'],
  opleidingscodeBpv: ['opleidingscode-format', 'must be a crebo of exactly 5 digits'],
  eventId: ['event-id-format', 'must be letters A-Z a-z, digits and hyphens only'],
};

interface Mapped extends ContractReason {
  /** from one of the schema's allOf rules (event type, sector): yields to a reason of the field's own */
  crossField: boolean;
}

function resolveRef(schema: Json, node: Json | undefined): Json | undefined {
  const ref = node?.$ref;
  if (typeof ref !== 'string') return node;
  return ref
    .replace(/^#\//, '')
    .split('/')
    .reduce<Json | undefined>((at, name) => at?.[name] as Json | undefined, schema);
}

/** The schema of the property at a dotted path, through $refs. */
function propertySchema(schema: Json, path: string): Json | undefined {
  let at: Json | undefined = schema;
  for (const name of path.split('.'))
    at = resolveRef(schema, (resolveRef(schema, at)?.properties as Record<string, Json> | undefined)?.[name]);
  return at;
}

const allowingCache = new WeakMap<Json, Map<string, string[]>>();
/** The sectors whose allOf rule does not refuse this inschrijving field, in the schema's order of sectors. */
function sectorsAllowing(schema: Json, name: string): string[] {
  let byField = allowingCache.get(schema);
  if (byField === undefined) {
    byField = new Map();
    allowingCache.set(schema, byField);
  }
  let allowed = byField.get(name);
  if (allowed === undefined) {
    const refusedBy = (sector: string): boolean =>
      (schema.allOf as Json[]).some((rule) => {
        const condition = (rule.if as Json | undefined)?.properties as Record<string, Json> | undefined;
        if (condition?.sector?.const !== sector || condition.eventType !== undefined) return false;
        const inschrijving = ((rule.then as Json).properties as Record<string, Json> | undefined)?.inschrijving;
        const nots = [inschrijving?.not, resolveRef(schema, inschrijving?.$ref ? { $ref: inschrijving.$ref } : undefined)?.not];
        return nots.some((not) => {
          const refused = not as Json | undefined;
          const names =
            (refused?.anyOf as Json[] | undefined)?.map((r) => (r.required as string[])[0]) ?? (refused?.required as string[] | undefined);
          return names?.includes(name) ?? false;
        });
      });
    allowed = ((schema.properties as Record<string, Json>).sector!.enum as string[]).filter((sector) => !refusedBy(sector));
    byField.set(name, allowed);
  }
  return allowed;
}

/** The allOf rule an error came from, with the event type and sector its `if` named. */
function allOfContext(schema: Json, schemaPath: string): { index: number; bySector: boolean } | undefined {
  const match = /^#\/allOf\/(\d+)\//.exec(schemaPath);
  if (match) {
    const index = Number(match[1]);
    const condition = ((schema.allOf as Json[])[index]!.if ?? {}) as Json;
    const required = (condition.required ?? []) as string[];
    return { index, bySector: required.includes('sector') };
  }
  // a shared definition used by the sector rules (PO and VO: no MBO fields)
  return schemaPath.startsWith('#/$defs/withoutMboFields/') ? { index: -1, bySector: true } : undefined;
}

function mapError(error: ErrorObject, root: Json, schema: Json): Mapped[] {
  const path = dotted(error.instancePath);
  const field = path || '$';
  const value = valueAt(root, path);
  const context = allOfContext(schema, error.schemaPath);
  const eventType = String(root.eventType);
  const sector = String(root.sector);
  const own = (rule: string, message: string, at = field): Mapped[] => [{ field: at, rule, message, crossField: false }];
  const cross = (rule: string, message: string, at = field): Mapped[] => [{ field: at, rule, message, crossField: true }];
  const parent = (error.parentSchema ?? {}) as Json;

  if (context) {
    switch (error.keyword) {
      case 'required': {
        const missing = child(path, error.params.missingProperty as string);
        return cross('event-requires', `${missing} is required for ${eventType}${context.bySector ? ` in ${sector}` : ''}`, missing);
      }
      case 'const':
        return cross('event-sector', `${field} must be ${String(error.params.allowedValue)} for ${eventType}`);
      case 'maximum':
        return cross(
          'range',
          `${field} must be between ${String(propertySchema(schema, path)?.minimum ?? 0)} and ${String(error.params.limit)} for ${sector}`,
        );
      case 'pattern':
        return cross('opleidingscode-format', `${field} must be a crebo of exactly 5 digits for ${sector}`);
      case 'not': {
        // not: { required: [x] } or not: { anyOf: [{ required: [x] }, ...] }: the fields present are the ones refused
        const refused = error.schema as Json;
        const names = ((refused.anyOf as Json[] | undefined)?.map((r) => (r.required as string[])[0]!) ??
          (refused.required as string[])) as string[];
        const present = names.filter((name) => isObject(value) && value[name] !== undefined);
        return present.map((name) =>
          context.bySector
            ? {
                field: child(path, name),
                rule: 'sector-field',
                message: `${child(path, name)} is only allowed for ${sectorsAllowing(schema, name).join(' and ')}, not ${sector}`,
                crossField: true,
              }
            : {
                field: child(path, name),
                rule: 'event-forbids',
                message: `${child(path, name)} is not allowed on ${eventType}`,
                crossField: true,
              },
        );
      }
      default:
        return [];
    }
  }

  switch (error.keyword) {
    case 'type':
      if (path === '') return own('not-object', `payload must be an object, not ${jsonType(value)}`);
      if (error.params.type === 'integer' && typeof value === 'number') return own('type', `${field} must be an integer, not a fraction`);
      return own(
        'type',
        `${field} must be ${/^[aeiou]/.test(String(error.params.type)) ? 'an' : 'a'} ${String(error.params.type)}, not ${jsonType(value)}`,
      );
    case 'required': {
      const missing = child(path, error.params.missingProperty as string);
      return own('required', `${missing} is required`, missing);
    }
    case 'additionalProperties': {
      const unknown = child(path, describeKey(error.params.additionalProperty as string));
      return own('unknown-field', `${unknown} is not part of the contract`, unknown);
    }
    case 'enum':
      return typeof value === 'string'
        ? own('enum', `${field} must be one of ${(error.params.allowedValues as string[]).join(', ')}`)
        : own('type', `${field} must be a string, not ${jsonType(value)}`);
    case 'minLength':
    case 'maxLength':
      return own(
        'length',
        `${field} must be ${String(parent.minLength ?? 0)} to ${String(parent.maxLength ?? 'any number of')} characters long`,
      );
    case 'minimum':
    case 'maximum':
      return own('range', `${field} must be between ${String(parent.minimum)} and ${String(parent.maximum)}`);
    case 'pattern': {
      const name = path.split('.').at(-1)!;
      const letters = /^\^\[A-Za-z0-9\]\{(\d+),(\d+)\}\$$/.exec(String(error.params.pattern));
      const [rule, message] = PATTERN_RULES[error.schemaPath] ??
        PATTERN_RULES[name] ?? [
          'format',
          letters ? `must be ${letters[1]} to ${letters[2]} letters or digits` : 'has a form the contract does not allow',
        ];
      return own(rule, `${field} ${message}`);
    }
    case 'not':
      return own('event-id-digits', `${field} must not have nine or more digits in a row (it could carry a BSN or onderwijsnummer)`);
    case 'format':
      return own('date-exists', `${field} is not an existing date${error.params.format === 'date-time' ? ' and time' : ''}`);
    case 'oneOf':
      return cross('one-identifier', `${field} must have exactly one of bsn and onderwijsnummer`);
    case 'elfproef':
      return error.schema === 'bsn'
        ? own('bsn-elfproef', `${field} fails the elfproef`)
        : own('onderwijsnummer-check', `${field} fails the onderwijsnummer check (weighted sum mod 11 must be 5)`);
    case 'vestigingOfBrin':
      return cross(
        'brin-vestiging-prefix',
        `${child(path, 'brinVestiging')} must start with ${child(path, 'brin')}`,
        child(path, 'brinVestiging'),
      );
    case 'notBefore': {
      const later = child(path, error.params.later as string);
      return cross('date-order', `${later} must not be before ${child(path, error.params.earlier as string)}`, later);
    }
    case 'bornNotAfterEvent':
      return cross('geboortedatum-after-event', 'persoon.geboortedatum must not be after occurredAt', 'persoon.geboortedatum');
    default:
      return [];
  }
}

/**
 * ajv's errors as reasons, one per malformed value: nothing below a value of the wrong type, nothing from
 * inside oneOf's branches (the oneOf says it), a rule relating fields only on a field that is fine on its
 * own (a sector's refused field excepted: it is refused whatever its value), and the digits rule of an
 * eventId instead of its form. Ordered as the hand-written validator did: the fields' own reasons first,
 * in the order of the schema, then the rules relating fields, in CROSS_FIELD_ORDER.
 */
export function reasonsOf(errors: readonly ErrorObject[], root: unknown, schema: Json): ContractReason[] {
  if (!isObject(root)) return [{ field: '$', rule: 'not-object', message: `payload must be an object, not ${jsonType(root)}` }];
  const inBranch = (e: ErrorObject) => /\/oneOf\/\d+\//.test(e.schemaPath);
  const mapped = errors.filter((e) => !inBranch(e)).flatMap((e) => mapError(e, root, schema));
  const typeFailed = mapped.filter((r) => r.rule === 'type' || r.rule === 'not-object').map((r) => r.field);
  const under = (field: string, of: string) => field === of || field.startsWith(`${of}.`);
  const ownFields = new Set(mapped.filter((r) => !r.crossField).map((r) => r.field));
  const digits = new Set(mapped.filter((r) => r.rule === 'event-id-digits').map((r) => r.field));
  const seen = new Set<string>();
  const kept: Mapped[] = [];
  for (const r of mapped) {
    const whateverItsValue = r.rule === 'sector-field';
    if (!whateverItsValue && r.rule !== 'type' && typeFailed.some((t) => under(r.field, t))) continue;
    if (!whateverItsValue && r.crossField && ownFields.has(r.field)) continue;
    if (r.rule === 'event-id-format' && digits.has(r.field)) continue;
    const key = `${r.field}\u0000${r.rule}`;
    if (seen.has(key)) continue;
    seen.add(key);
    kept.push(r);
  }
  // a field's length before what its value says (ajv checks applicators such as `not` first); fields keep
  // the order they first appear in
  const firstAt = new Map<string, number>();
  for (const [i, r] of kept.entries()) if (!r.crossField && !firstAt.has(r.field)) firstAt.set(r.field, i);
  const rank = (r: Mapped): number =>
    r.crossField
      ? 1e6 + CROSS_FIELD_ORDER.indexOf(r.rule) * 1e3 + (r.rule === 'sector-field' ? SECTOR_FIELD_ORDER.indexOf(r.field) : 0)
      : firstAt.get(r.field)! * 2 + (r.rule === 'length' ? 0 : 1);
  return kept
    .map((r, i) => ({ r, i }))
    .sort((a, b) => rank(a.r) - rank(b.r) || a.i - b.i)
    .map(({ r: { field, rule, message } }) => ({ field, rule, message }));
}

/** The order of the rules that relate fields (ingest's rules.ts runs them in this order). */
const CROSS_FIELD_ORDER = [
  'one-identifier',
  'brin-vestiging-prefix',
  'sector-field',
  'range',
  'opleidingscode-format',
  'event-forbids',
  'event-sector',
  'event-requires',
  'date-order',
  'geboortedatum-after-event',
];
const SECTOR_FIELD_ORDER = ['leerjaar', 'groep', 'leerweg', 'niveau', 'locatiecodeMbo'].map((name) => `inschrijving.${name}`);

/** A validator of parsed payloads against the raw contract; compiles the schema once. */
export function createAjvContractValidator(published: JsonSchema = rawRegisterEventSchema()): (payload: unknown) => ContractVerdict {
  const schema = withServiceKeywords(published);
  const verdict = createAjv(false).compile(schema);
  const explain = createAjv(true).compile(schema);
  return (payload) => {
    if (verdict(payload)) return { ok: true };
    explain(payload);
    return { ok: false, reasons: reasonsOf(explain.errors ?? [], payload, schema) };
  };
}
