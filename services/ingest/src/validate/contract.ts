/**
 * The closed structure of the raw contract as data: which fields each object has, their JSON type,
 * whether the contract always requires them, and the checks on a single value. Rules that need more
 * than one field (sector, event type, date order) live in rules.ts.
 *
 * The validator walks this table, and the schema-consistency test compares it with
 * schemas/raw-register-event.schema.json, so the code and the published schema cannot drift apart
 * unnoticed.
 */

import { EVENT_TYPES, LEERWEGEN, parseIsoDate, parseIsoDateTime, SECTORS } from '@register-feeds/register-model';
import {
  EVENT_ID_PATTERN,
  holdsNineDigitRun,
  isAlphanumeric,
  isEventIdText,
  isNineDigits,
  isValidBrin,
  isValidBrinVestiging,
  isValidBsn,
  isValidCrebo,
  isValidOnderwijsnummer,
  isValidOpleidingscode,
  NINE_DIGIT_RUN_PATTERN,
} from './identifiers.ts';
import { RULE, type Rule } from './reason.ts';

/** What is wrong with one value; the message completes a sentence that starts with the field path. */
export interface Failure {
  rule: Rule;
  message: string;
}

export type Check = (value: string) => Failure | undefined;

export type FieldSpec =
  | {
      kind: 'string';
      minLength?: number;
      maxLength?: number;
      /** the pattern the whole value matches, as the schema writes it; `check` enforces it */
      pattern?: string;
      /** a pattern no part of the value may match (the schema's `not: { pattern }`); `check` enforces it */
      forbiddenPattern?: string;
      check?: Check;
    }
  | { kind: 'integer'; minimum: number; maximum: number }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'object'; fields: ObjectSpec };

export interface FieldDef {
  required: boolean;
  spec: FieldSpec;
}

export type ObjectSpec = Readonly<Record<string, FieldDef>>;

const required = (spec: FieldSpec): FieldDef => ({ required: true, spec });
const optional = (spec: FieldSpec): FieldDef => ({ required: false, spec });

const text = (minLength: number, maxLength: number): FieldSpec => ({ kind: 'string', minLength, maxLength });
const integer = (minimum: number, maximum: number): FieldSpec => ({ kind: 'integer', minimum, maximum });
const oneOf = (values: readonly string[]): FieldSpec => ({ kind: 'enum', values });
const object = (fields: ObjectSpec): FieldSpec => ({ kind: 'object', fields });
const checked = (check: Check): FieldSpec => ({ kind: 'string', check });

const fail = (rule: Rule, message: string): Failure => ({ rule, message });

const alphanumeric = (min: number, max: number): FieldSpec =>
  checked((value) => (isAlphanumeric(value, min, max) ? undefined : fail(RULE.format, `must be ${min} to ${max} letters or digits`)));

const bsn = checked((value) => {
  if (!isNineDigits(value)) return fail(RULE.bsnFormat, 'must be 9 digits');
  if (!isValidBsn(value)) return fail(RULE.bsnElfproef, 'fails the elfproef');
  return undefined;
});

const onderwijsnummer = checked((value) => {
  if (!isNineDigits(value)) return fail(RULE.onderwijsnummerFormat, 'must be 9 digits');
  if (!isValidOnderwijsnummer(value))
    return fail(RULE.onderwijsnummerCheck, 'fails the onderwijsnummer check (weighted sum mod 11 must be 5)');
  return undefined;
});

const brin = checked((value) =>
  isValidBrin(value) ? undefined : fail(RULE.brinFormat, 'must be 2 digits followed by 2 capitals or digits'),
);

const brinVestiging = checked((value) =>
  isValidBrinVestiging(value) ? undefined : fail(RULE.brinVestigingFormat, 'must be a BRIN followed by 2 digits'),
);

// The sector-specific part (MBO: exactly five) is a cross-field rule; alone, a code has 4 or 5 digits.
const opleidingscode = checked((value) =>
  isValidOpleidingscode(value) ? undefined : fail(RULE.opleidingscodeFormat, 'must be 4 or 5 digits'),
);

const crebo = checked((value) =>
  isValidCrebo(value) ? undefined : fail(RULE.opleidingscodeFormat, 'must be a crebo of exactly 5 digits'),
);

const date = checked((value) => {
  const parsed = parseIsoDate(value);
  if (parsed.ok) return undefined;
  return parsed.problem === 'format'
    ? fail(RULE.dateFormat, 'must be a date YYYY-MM-DD')
    : fail(RULE.dateExists, 'is not an existing date');
});

const dateTime = checked((value) => {
  const parsed = parseIsoDateTime(value);
  if (parsed.ok) return undefined;
  return parsed.problem === 'format'
    ? fail(RULE.dateTimeFormat, 'must be an ISO-8601 date-time with seconds and an offset or Z')
    : fail(RULE.dateExists, 'is not an existing date and time');
});

// The digits rule comes first: an id that could carry a person number is refused for that, whatever else
// is wrong with it, so the sender learns the reason that matters. Neither message quotes the id.
const eventId: FieldSpec = {
  kind: 'string',
  minLength: 1,
  maxLength: 64,
  pattern: EVENT_ID_PATTERN,
  forbiddenPattern: NINE_DIGIT_RUN_PATTERN,
  check: (value) => {
    if (holdsNineDigitRun(value)) {
      return fail(RULE.eventIdDigits, 'must not have nine or more digits in a row (it could carry a BSN or onderwijsnummer)');
    }
    if (!isEventIdText(value)) return fail(RULE.eventIdFormat, 'must be letters A-Z a-z, digits and hyphens only');
    return undefined;
  },
};

// Avro int is 32-bit signed; a bpvVolgnummer must fit the canonical event.
const AVRO_INT_MAX = 2_147_483_647;

export const NAAM: ObjectSpec = {
  voornamen: required(text(1, 200)),
  voorvoegsel: optional(text(1, 50)),
  achternaam: required(text(1, 200)),
};

export const PERSOON: ObjectSpec = {
  bsn: optional(bsn),
  onderwijsnummer: optional(onderwijsnummer),
  geboortedatum: required(date),
  naam: required(object(NAAM)),
};

export const INSCHRIJVING: ObjectSpec = {
  brin: required(brin),
  brinVestiging: optional(brinVestiging),
  locatiecodeMbo: optional(alphanumeric(1, 10)),
  inschrijvingsvolgnummer: required(alphanumeric(1, 20)),
  opleidingscode: required(opleidingscode),
  leerweg: optional(oneOf(LEERWEGEN)),
  niveau: optional(integer(1, 4)),
  // 1..8 fits PO; the tighter VO range (1..6) is a sector rule.
  leerjaar: optional(integer(1, 8)),
  groep: optional(integer(1, 8)),
  begindatum: required(date),
  einddatum: optional(date),
};

export const LEERBEDRIJF: ObjectSpec = {
  id: required(alphanumeric(1, 20)),
  naam: required(text(1, 200)),
};

// Only bpvVolgnummer is required everywhere: a BpvVerwijderd needs nothing else. The other event
// types' requirements are in rules.ts.
export const BPV: ObjectSpec = {
  bpvVolgnummer: required(integer(1, AVRO_INT_MAX)),
  leerbedrijf: optional(object(LEERBEDRIJF)),
  opleidingscodeBpv: optional(crebo),
  codeKeuzedeel: optional(alphanumeric(1, 10)),
  begindatum: optional(date),
  geplandeEinddatum: optional(date),
  werkelijkeEinddatum: optional(date),
  omvangUren: optional(integer(1, 10_000)),
};

export const REGISTER_EVENT: ObjectSpec = {
  eventId: required(eventId),
  eventType: required(oneOf(EVENT_TYPES)),
  occurredAt: required(dateTime),
  sector: required(oneOf(SECTORS)),
  persoon: required(object(PERSOON)),
  inschrijving: required(object(INSCHRIJVING)),
  bpv: optional(object(BPV)),
};

export interface ObjectSummary {
  /** Field names the object accepts, sorted. */
  fields: string[];
  /** Field names the contract always requires, sorted. */
  required: string[];
  /** Allowed values per enum field. */
  enums: Record<string, string[]>;
  /** Numeric and length bounds per field, where the field has any. */
  bounds: Record<string, Bounds>;
  /** Patterns per string field, where the field has any. */
  patterns: Record<string, Patterns>;
}

export interface Patterns {
  pattern?: string;
  /** the schema's `not: { pattern }` */
  forbidden?: string;
}

export interface Bounds {
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
}

function boundsOf(spec: FieldSpec): Bounds | undefined {
  if (spec.kind === 'integer') return { minimum: spec.minimum, maximum: spec.maximum };
  if (spec.kind !== 'string' || (spec.minLength === undefined && spec.maxLength === undefined)) return undefined;
  return {
    ...(spec.minLength === undefined ? {} : { minLength: spec.minLength }),
    ...(spec.maxLength === undefined ? {} : { maxLength: spec.maxLength }),
  };
}

function patternsOf(spec: FieldSpec): Patterns | undefined {
  if (spec.kind !== 'string' || (spec.pattern === undefined && spec.forbiddenPattern === undefined)) return undefined;
  return {
    ...(spec.pattern === undefined ? {} : { pattern: spec.pattern }),
    ...(spec.forbiddenPattern === undefined ? {} : { forbidden: spec.forbiddenPattern }),
  };
}

/** Every object of the contract by dotted path ('' is the event itself), as the validator sees it. */
export function contractSummary(
  spec: ObjectSpec = REGISTER_EVENT,
  path = '',
  out: Record<string, ObjectSummary> = {},
): Record<string, ObjectSummary> {
  const entries = Object.entries(spec);
  const enums: Record<string, string[]> = {};
  const bounds: Record<string, Bounds> = {};
  const patterns: Record<string, Patterns> = {};
  for (const [name, def] of entries) {
    if (def.spec.kind === 'enum') enums[name] = [...def.spec.values];
    const own = boundsOf(def.spec);
    if (own) bounds[name] = own;
    const ownPatterns = patternsOf(def.spec);
    if (ownPatterns) patterns[name] = ownPatterns;
    if (def.spec.kind === 'object') contractSummary(def.spec.fields, path ? `${path}.${name}` : name, out);
  }
  out[path] = {
    fields: entries.map(([name]) => name).sort(),
    required: entries
      .filter(([, def]) => def.required)
      .map(([name]) => name)
      .sort(),
    enums,
    bounds,
    patterns,
  };
  return out;
}
