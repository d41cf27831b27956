/**
 * The agreement file as a zod schema (why zod: service-kit config/schema-problems.ts). What it accepts, typed,
 * is the Agreement of agreement.ts less `source`; the assertion at the end keeps the two the same.
 *
 * Every rule carries its own message, written for the reviewer who fixes the file. The rules across fields
 * (identity and persoon.nummer, a condition's fields and sectors, the topic's name) run on every part of the
 * file that passed, even when other parts did not, so one round shows all problems.
 */

import { type EpochDay, EVENT_TYPES, parseIsoDate, SECTORS, type Sector, toEpochDay } from '@register-feeds/register-model';
import { showValue as show } from '@register-feeds/service-kit';
import { z } from 'zod';
import type { AgeAt } from './ages.ts';
import { type Agreement, IDENTITIES, type MonthDay, SNAPSHOT_KINDS, TIME_PRECISIONS, WEEKDAYS } from './agreement.ts';
import { OUTPUT_FIELD_NAMES, OUTPUT_FIELDS } from './output-fields.ts';
import { PREDICATE_KINDS, type Predicate } from './predicates.ts';

const KEBAB_CASE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
/** Starts with a letter, so it also makes a valid Avro name (output-schema.ts). */
const RECIPIENT_ID = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
const MONTH_DAY = /^(\d{2})-(\d{2})$/;
/** Far above any human age, so a typo such as 180 for 18 is caught. */
const MAX_AGE_BELOW = 120;

type Issue = { input?: unknown };

/** A mapping that takes exactly these keys; the messages name them. */
function mapping<Shape extends z.core.$ZodLooseShape>(shape: Shape) {
  const keys = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `expected one of ${keys}` : `must be a mapping with ${keys}`),
  });
}

const NON_EMPTY_TEXT = 'must be a non-empty string';
/** Trimmed; a later check on it sees the trimmed text, and none runs on an empty one. */
const text = () => z.string({ error: NON_EMPTY_TEXT }).trim().min(1, { error: NON_EMPTY_TEXT, abort: true });

function wholeNumber(max: number) {
  const error = (issue: Issue) => `must be a whole number from 1 to ${max}, not ${show(issue.input)}`;
  return z.number({ error }).refine((n) => Number.isInteger(n) && n >= 1 && n <= max, { error });
}

/** YYYY-MM-DD (a string: the YAML is read with the 1.2 core schema) to its epoch day. */
const isoDate = z.string({ error: (issue) => `must be a date YYYY-MM-DD, not ${show(issue.input)}` }).transform((value, ctx): EpochDay => {
  const parsed = parseIsoDate(value);
  if (parsed.ok) return toEpochDay(parsed.date);
  ctx.addIssue({
    code: 'custom',
    message: parsed.problem === 'format' ? `${show(value)} is not a date YYYY-MM-DD` : `${value} does not exist`,
  });
  return z.NEVER;
});

/** MM-DD of a day that exists every year: 2001 is not a leap year, so 02-29 is refused. */
function toMonthDay(value: string, ctx: z.core.$RefinementCtx, also: string): MonthDay {
  const match = MONTH_DAY.exec(value);
  if (!match) {
    ctx.addIssue({ code: 'custom', message: `must be ${also}a month-day MM-DD, not ${show(value)}` });
    return z.NEVER;
  }
  if (!parseIsoDate(`2001-${match[1]}-${match[2]}`).ok) {
    ctx.addIssue({ code: 'custom', message: `${value} is not a day that exists every year` });
    return z.NEVER;
  }
  return { month: Number(match[1]), day: Number(match[2]) };
}

function monthDay(also = '') {
  return z
    .string({ error: (issue) => `must be ${also}a month-day MM-DD, not ${show(issue.input)}` })
    .transform((value, ctx) => toMonthDay(value, ctx, also));
}

/** A non-empty list of distinct values from a closed vocabulary. */
function choices<const T extends readonly string[]>(allowed: T, what: string) {
  const list = `must be a non-empty list of ${what}`;
  const one = what.replace(/s$/, '');
  return z
    .array(z.enum(allowed, { error: (issue) => `unknown ${one} ${show(issue.input)}; known: ${allowed.join(', ')}` }), { error: list })
    .min(1, { error: list })
    .superRefine((items, ctx) => {
      items.forEach((item, i) => {
        if (items.indexOf(item) < i) ctx.addIssue({ code: 'custom', message: `${item} is listed twice`, path: [i] });
      });
    });
}

const isMapping = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Exactly one of { ageBelow: <years> } or { sectorIn: [...] }; the kinds are predicates.ts's closed set. */
const predicate = z
  .unknown()
  .superRefine((value, ctx) => {
    if (value === undefined) return; // the mapping below says it is missing
    if (!isMapping(value) || Object.keys(value).length !== 1) {
      ctx.addIssue({ code: 'custom', message: 'must be exactly one of { ageBelow: <years> } or { sectorIn: [PO, VO, MBO] }' });
    } else if (!(PREDICATE_KINDS as readonly string[]).includes(Object.keys(value)[0] as string)) {
      ctx.addIssue({ code: 'custom', message: `unknown predicate ${show(Object.keys(value)[0])}; known: ${PREDICATE_KINDS.join(', ')}` });
    }
  })
  .pipe(mapping({ ageBelow: wholeNumber(MAX_AGE_BELOW).optional(), sectorIn: choices(SECTORS, 'sectors').optional() }))
  // the check above let exactly one of the two through
  .transform((p): Predicate => (p.ageBelow !== undefined ? { ageBelow: p.ageBelow } : { sectorIn: p.sectorIn! }));

const condition = mapping({ fields: choices(OUTPUT_FIELD_NAMES, 'output fields'), when: predicate });

const ageAt = z
  .string({ error: (issue) => `must be event-date or a month-day MM-DD, not ${show(issue.input)}` })
  .transform(
    (value, ctx): AgeAt =>
      value === 'event-date' ? { kind: 'event-date' } : { kind: 'month-day', ...toMonthDay(value, ctx, 'event-date or ') },
  );

const age = mapping({
  label: text().regex(KEBAB_CASE, { error: (issue) => `${show(issue.input)} must be kebab-case` }),
  at: ageAt,
});

const STUDY_YEAR_FIRST_MONTH = 8;
/** Days from the start of the study year (1 Aug), in a year without 29 Feb: the order of month-days in it. */
const studyYearDay = ({ month, day }: MonthDay): number =>
  toEpochDay({ year: month >= STUDY_YEAR_FIRST_MONTH ? 2001 : 2002, month, day }) - toEpochDay('2001-08-01');
/** Days from a peildatum to the first such month-day after it (1 to 364). */
const daysAfter = (peildatum: MonthDay, at: MonthDay): number => (studyYearDay(at) - studyYearDay(peildatum) + 365) % 365;
const showMonthDay = ({ month, day }: MonthDay) => `${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;

const DELIVERIES = 'must be a non-empty list of { at: MM-DD, kind: provisional | definitive }';
const peildatumDeliveries = mapping({
  peildatum: monthDay(),
  deliveries: z
    .array(
      mapping({
        at: monthDay(),
        kind: z.enum(SNAPSHOT_KINDS, { error: (issue) => `must be ${SNAPSHOT_KINDS.join(' or ')}, not ${show(issue.input)}` }),
      }),
      { error: DELIVERIES },
    )
    .min(1, { error: DELIVERIES }),
}).superRefine(({ peildatum, deliveries }, ctx) => {
  let previous: (typeof deliveries)[number] | undefined;
  deliveries.forEach((delivery, i) => {
    const after = daysAfter(peildatum, delivery.at);
    if (after === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['deliveries', i, 'at'],
        message: 'is the peildatum itself: a delivery comes after the day it is about',
      });
    } else if (previous !== undefined && after <= daysAfter(peildatum, previous.at)) {
      // Each moment is the first such day after the peildatum: listed out of order, the YAML would say one
      // thing to a reviewer and the schedule another.
      const message = `${showMonthDay(delivery.at)} must come after ${showMonthDay(previous.at)}; list the deliveries in the order they happen`;
      ctx.addIssue({ code: 'custom', path: ['deliveries', i, 'at'], message });
    } else if (previous?.kind === 'definitive') {
      const message = `nothing comes after the definitive delivery on ${showMonthDay(previous.at)}`;
      ctx.addIssue({ code: 'custom', path: ['deliveries', i, 'kind'], message });
    } else {
      previous = delivery;
    }
  });
});

const PEILDATA = 'must be a non-empty list of { peildatum: MM-DD, deliveries: [...] }';
const snapshots = mapping({
  peildata: z
    .array(peildatumDeliveries, { error: PEILDATA })
    .min(1, { error: PEILDATA })
    .superRefine((peildata, ctx) => {
      const seen = peildata.map(({ peildatum }) => showMonthDay(peildatum));
      seen.forEach((day, i) => {
        if (seen.indexOf(day) < i) ctx.addIssue({ code: 'custom', path: [i, 'peildatum'], message: `${day} is listed twice` });
      });
    })
    .optional(),
  weekly: mapping({
    weekday: z.enum(WEEKDAYS, { error: (issue) => `must be one of ${WEEKDAYS.join(', ')}, not ${show(issue.input)}` }),
  }).optional(),
})
  .refine((s) => s.peildata !== undefined || s.weekly !== undefined, {
    error: 'needs peildata, weekly or both; leave snapshots out for a recipient without snapshot deliveries',
  })
  .transform((s) => ({ peildata: s.peildata ?? [], weekly: s.weekly ?? null }));

/** The file's keys, each checked on its own; the rules across keys are in agreementSchema. */
const agreementFile = mapping({
  recipient: text().regex(RECIPIENT_ID, { error: (issue) => `${show(issue.input)} must be kebab-case, starting with a letter` }),
  name: text(),
  legalBasis: text(),
  purpose: text(),
  term: mapping({ from: isoDate, to: isoDate.nullable() }).refine(({ from, to }) => to === null || from <= to, {
    error: 'from is after to',
  }),
  identity: z.enum(IDENTITIES, { error: (issue) => `must be ${IDENTITIES.join(' or ')}, not ${show(issue.input)}` }),
  events: choices(EVENT_TYPES, 'event types'),
  sectors: choices(SECTORS, 'sectors'),
  fields: choices(OUTPUT_FIELD_NAMES, 'output fields'),
  /** a field listed in several conditions is sent only when all of them hold */
  conditions: z.array(condition, { error: 'must be a list of { fields: [...], when: <predicate> }' }).default([]),
  recordWhen: predicate.optional().transform((when) => when ?? null),
  timePrecision: z
    .enum(TIME_PRECISIONS, { error: (issue) => `must be ${TIME_PRECISIONS.join(', ')}, not ${show(issue.input)}` })
    .default('date'),
  ages: z
    .array(age, { error: 'must be a list of { label, at }' })
    .superRefine((ages, ctx) => {
      ages.forEach(({ label }, i) => {
        if (ages.findIndex((other) => other.label === label) < i)
          ctx.addIssue({ code: 'custom', path: [i, 'label'], message: `${label} is used twice` });
      });
    })
    .default([]),
  retention: mapping({ days: wholeNumber(Number.MAX_SAFE_INTEGER) }),
  output: mapping({ topic: text() }),
  /** null: this recipient gets only its stream */
  snapshots: snapshots.nullish().transform((s) => s ?? null),
});

type AgreementFile = z.output<typeof agreementFile>;
type Rule = (a: Partial<AgreementFile>, add: (path: PropertyKey[], message: string) => void) => void;

/** A sectorIn that names a sector the agreement does not receive could never hold, or hold by mistake later. */
function foreignSectors(when: Predicate, sectors: readonly Sector[]): Sector[] {
  return 'sectorIn' in when ? when.sectorIn.filter((sector) => !sectors.includes(sector)) : [];
}

/** Each rule reads only keys that passed their own checks; a key absent from `a` is not judged twice. */
const rulesAcrossKeys = (expectedId: string): Rule[] => [
  ({ recipient }, add) => {
    if (recipient !== undefined && recipient !== expectedId) add(['recipient'], `${recipient} must equal the file name (${expectedId})`);
  },
  ({ conditions, fields }, add) => {
    conditions?.forEach((c, i) => {
      const notListed = fields === undefined ? [] : c.fields.filter((field) => !fields.includes(field));
      if (notListed.length > 0)
        add(['conditions', i, 'fields'], `${notListed.join(', ')} not in fields; a condition can only restrict a listed field`);
    });
  },
  ({ conditions, recordWhen, sectors }, add) => {
    if (sectors === undefined) return;
    const when: [PropertyKey[], Predicate | null | undefined][] = [
      ...(conditions ?? []).map((c, i): [PropertyKey[], Predicate] => [['conditions', i, 'when'], c.when]),
      [['recordWhen'], recordWhen],
    ];
    for (const [path, predicate] of when) {
      const foreign = predicate ? foreignSectors(predicate, sectors) : [];
      if (foreign.length > 0) add([...path, 'sectorIn'], `names ${foreign.join(', ')}, which this agreement does not receive`);
    }
  },
  ({ identity, fields }, add) => {
    if (fields === undefined) return;
    if (identity === 'pseudonym' && fields.includes('persoon.nummer'))
      add(['fields'], 'persoon.nummer is the BSN or onderwijsnummer; it cannot be sent with identity pseudonym');
    if (identity === 'bsn' && !fields.includes('persoon.nummer'))
      add(['fields'], 'identity bsn needs persoon.nummer in fields; a recipient that does not get the number has identity pseudonym');
  },
  ({ fields, events }, add) => {
    const bpvFields = (fields ?? []).filter((field) => OUTPUT_FIELDS[field].group === 'bpv');
    if (events !== undefined && bpvFields.length > 0 && !events.some((event) => event.startsWith('Bpv')))
      add(['fields'], `${bpvFields.join(', ')} only come with Bpv events, and events lists none`);
  },
  ({ fields, ages }, add) => {
    if (fields === undefined || ages === undefined) return;
    if (ages.length > 0 && !fields.includes('leeftijden')) add(['ages'], 'ages are given but fields does not list leeftijden');
    if (ages.length === 0 && fields.includes('leeftijden')) add(['ages'], 'fields lists leeftijden, so at least one age is needed');
  },
  ({ recipient, output }, add) => {
    if (recipient === undefined || output === undefined) return;
    if (!new RegExp(`^recipient\\.${recipient}\\.v[1-9][0-9]*$`).test(output.topic))
      add(['output', 'topic'], `${output.topic} must be recipient.${recipient}.v<N>`);
  },
];

/** Lists of names (choices) whose accepted names still go to the rules across keys when others are refused. */
const LISTS_OF_NAMES: ReadonlySet<PropertyKey> = new Set(['events', 'sectors', 'fields']);

/**
 * The keys of a parsed value that passed their own checks. Zod leaves a failed key's raw input in the
 * value, so such a key is left out, except a list of names: its refused items are left out instead.
 */
function passedKeys(value: Record<string, unknown>, issues: readonly { path?: PropertyKey[] }[]): Partial<AgreementFile> {
  const passed: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const own = issues.filter((issue) => issue.path?.[0] === key);
    if (own.length === 0) passed[key] = item;
    else if (LISTS_OF_NAMES.has(key) && Array.isArray(item) && own.every((issue) => issue.path?.length === 2)) {
      const refused = new Set(own.map((issue) => issue.path?.[1]));
      passed[key] = item.filter((_, i) => !refused.has(i));
    }
  }
  return passed as Partial<AgreementFile>;
}

/**
 * The schema of the file `<expectedId>.yaml`. The rules across keys run even when some keys failed (`when`),
 * on the parts that passed.
 */
export function agreementSchema(expectedId: string) {
  const rules = rulesAcrossKeys(expectedId);
  return agreementFile.superRefine(
    (value, ctx) => {
      const passed = passedKeys(value, ctx.issues);
      const add = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message });
      for (const rule of rules) rule(passed, add);
    },
    { when: (payload) => isMapping(payload.value) },
  );
}

// The schema's type is the Agreement (less the file it was read from): a key or a type that changes in one
// and not the other stops the build here.
type Assignable<A, B> = [A] extends [B] ? true : false;
const schemaIsAgreement: Assignable<AgreementFile, Omit<Agreement, 'source'>> &
  Assignable<keyof AgreementFile, Exclude<keyof Agreement, 'source'>> &
  Assignable<Exclude<keyof Agreement, 'source'>, keyof AgreementFile> = true;
void schemaIsAgreement;
