/**
 * An agreement file's text to a checked Agreement, or an AgreementError naming the file and every problem
 * found, so a reviewer fixes them in one round. Pure: the caller reads the file (load-agreements.ts).
 *
 * YAML 1.2 core schema: `2025-08-01` stays a string (no YAML 1.1 timestamps), duplicate keys are errors.
 */

import { basename } from 'node:path';
import { EVENT_TYPES, type EventType, parseIsoDate, SECTORS, type Sector, toEpochDay } from '@register-feeds/register-model';
import { parseDocument } from 'yaml';
import type { AgeAt, AgeReference } from './ages.ts';
import {
  type Agreement,
  AgreementError,
  type Condition,
  IDENTITIES,
  type Identity,
  type MonthDay,
  type PeildatumDeliveries,
  SNAPSHOT_KINDS,
  type SnapshotDeliveries,
  type SnapshotKind,
  TIME_PRECISIONS,
  type TimePrecision,
  WEEKDAYS,
  type Weekday,
} from './agreement.ts';
import { OUTPUT_FIELD_NAMES, OUTPUT_FIELDS, type OutputFieldName } from './output-fields.ts';
import type { Predicate } from './predicates.ts';

const KEBAB_CASE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
/** Starts with a letter, so it also makes a valid Avro name (output-schema.ts). */
const RECIPIENT_ID = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
const MONTH_DAY = /^(\d{2})-(\d{2})$/;
const TOP_LEVEL_KEYS = [
  'recipient',
  'name',
  'legalBasis',
  'purpose',
  'term',
  'identity',
  'events',
  'sectors',
  'fields',
  'conditions',
  'recordWhen',
  'timePrecision',
  'ages',
  'retention',
  'output',
  'snapshots',
] as const;
const OPTIONAL_KEYS: readonly string[] = ['conditions', 'recordWhen', 'timePrecision', 'ages', 'snapshots'];
/** Far above any human age, so a typo such as 180 for 18 is caught. */
const MAX_AGE_BELOW = 120;

type Mapping = Record<string, unknown>;

const isMapping = (value: unknown): value is Mapping => typeof value === 'object' && value !== null && !Array.isArray(value);
const show = (value: unknown): string => JSON.stringify(value) ?? String(value);

/** Collects problems while reading; every reader returns undefined for a value it could not accept. */
class Reader {
  readonly problems: string[] = [];

  problem(path: string, what: string): undefined {
    this.problems.push(`${path}: ${what}`);
    return undefined;
  }

  mapping(value: unknown, path: string, keys: readonly string[], optional: readonly string[] = []): Mapping | undefined {
    if (!isMapping(value)) return this.problem(path, `must be a mapping with ${keys.join(', ')}`);
    for (const key of Object.keys(value)) {
      if (!keys.includes(key)) this.problem(path === '' ? key : `${path}.${key}`, `unknown key; expected one of ${keys.join(', ')}`);
    }
    for (const key of keys) {
      if (!(key in value) && !optional.includes(key)) this.problem(path === '' ? key : `${path}.${key}`, 'is missing');
    }
    return value;
  }

  text(value: unknown, path: string): string | undefined {
    if (typeof value !== 'string' || value.trim() === '') return this.problem(path, 'must be a non-empty string');
    return value.trim();
  }

  positiveInteger(value: unknown, path: string, max = Number.MAX_SAFE_INTEGER): number | undefined {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
      return this.problem(path, `must be a whole number from 1 to ${max}, not ${show(value)}`);
    }
    return value;
  }

  date(value: unknown, path: string): number | undefined {
    if (typeof value !== 'string') return this.problem(path, `must be a date YYYY-MM-DD, not ${show(value)}`);
    const parsed = parseIsoDate(value);
    if (!parsed.ok)
      return this.problem(path, parsed.problem === 'format' ? `${show(value)} is not a date YYYY-MM-DD` : `${value} does not exist`);
    return toEpochDay(parsed.date);
  }

  /** A non-empty list of distinct values from a closed vocabulary; the accepted ones when some are not. */
  choices<T extends string>(value: unknown, path: string, allowed: readonly T[], what: string): T[] | undefined {
    if (!Array.isArray(value) || value.length === 0) return this.problem(path, `must be a non-empty list of ${what}`);
    const chosen: T[] = [];
    value.forEach((item, i) => {
      if (typeof item !== 'string' || !(allowed as readonly string[]).includes(item)) {
        this.problem(`${path}[${i}]`, `unknown ${what.replace(/s$/, '')} ${show(item)}; known: ${allowed.join(', ')}`);
      } else if (chosen.includes(item as T)) {
        this.problem(`${path}[${i}]`, `${item} is listed twice`);
      } else {
        chosen.push(item as T);
      }
    });
    // The valid part goes on, so the checks across fields still run; a reported problem stops the parse anyway.
    return chosen;
  }
}

function readPredicate(r: Reader, value: unknown, path: string, sectors: readonly Sector[] | undefined): Predicate | undefined {
  if (!isMapping(value) || Object.keys(value).length !== 1) {
    return r.problem(path, 'must be exactly one of { ageBelow: <years> } or { sectorIn: [PO, VO, MBO] }');
  }
  if ('ageBelow' in value) {
    const years = r.positiveInteger(value.ageBelow, `${path}.ageBelow`, MAX_AGE_BELOW);
    return years === undefined ? undefined : { ageBelow: years };
  }
  if ('sectorIn' in value) {
    const sectorIn = r.choices(value.sectorIn, `${path}.sectorIn`, SECTORS, 'sectors');
    if (sectorIn === undefined) return undefined;
    const foreign = sectors === undefined ? [] : sectorIn.filter((sector) => !sectors.includes(sector));
    if (foreign.length > 0) return r.problem(`${path}.sectorIn`, `names ${foreign.join(', ')}, which this agreement does not receive`);
    return { sectorIn };
  }
  return r.problem(path, `unknown predicate ${show(Object.keys(value)[0])}; known: ageBelow, sectorIn`);
}

function readConditions(r: Reader, value: unknown, fields: readonly OutputFieldName[] | undefined, sectors: readonly Sector[] | undefined) {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return r.problem('conditions', 'must be a list of { fields: [...], when: <predicate> }');
  const conditions: Condition[] = [];
  value.forEach((item, i) => {
    const path = `conditions[${i}]`;
    const condition = r.mapping(item, path, ['fields', 'when']);
    if (condition === undefined) return;
    const named = r.choices(condition.fields, `${path}.fields`, OUTPUT_FIELD_NAMES, 'output fields');
    const notListed = fields === undefined ? [] : (named ?? []).filter((field) => !fields.includes(field));
    if (notListed.length > 0)
      r.problem(`${path}.fields`, `${notListed.join(', ')} not in fields; a condition can only restrict a listed field`);
    const when = readPredicate(r, condition.when, `${path}.when`, sectors);
    if (named !== undefined && notListed.length === 0 && when !== undefined) conditions.push({ fields: named, when });
  });
  return conditions.length === value.length ? conditions : undefined;
}

/** MM-DD of a day that exists every year: 2001 is not a leap year, so 02-29 is refused. */
function readMonthDay(r: Reader, value: unknown, path: string, also = ''): MonthDay | undefined {
  const match = typeof value === 'string' ? MONTH_DAY.exec(value) : null;
  if (!match) return r.problem(path, `must be ${also}a month-day MM-DD, not ${show(value)}`);
  if (!parseIsoDate(`2001-${match[1]}-${match[2]}`).ok) return r.problem(path, `${value} is not a day that exists every year`);
  return { month: Number(match[1]), day: Number(match[2]) };
}

function readAgeAt(r: Reader, value: unknown, path: string): AgeAt | undefined {
  if (value === 'event-date') return { kind: 'event-date' };
  const monthDay = readMonthDay(r, value, path, 'event-date or ');
  return monthDay && { kind: 'month-day', ...monthDay };
}

const STUDY_YEAR_FIRST_MONTH = 8;
/** Days from the start of the study year (1 Aug), in a year without 29 Feb: the order of month-days in it. */
const studyYearDay = ({ month, day }: MonthDay): number =>
  toEpochDay({ year: month >= STUDY_YEAR_FIRST_MONTH ? 2001 : 2002, month, day }) - toEpochDay('2001-08-01');
/** Days from a peildatum to the first such month-day after it (1 to 364). */
const daysAfter = (peildatum: MonthDay, at: MonthDay): number => (studyYearDay(at) - studyYearDay(peildatum) + 365) % 365;
const showMonthDay = ({ month, day }: MonthDay) => `${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;

function readPeildatum(r: Reader, value: unknown, path: string): PeildatumDeliveries | undefined {
  const entry = r.mapping(value, path, ['peildatum', 'deliveries']);
  if (entry === undefined) return undefined;
  const peildatum = readMonthDay(r, entry.peildatum, `${path}.peildatum`);
  if (!Array.isArray(entry.deliveries) || entry.deliveries.length === 0) {
    return r.problem(`${path}.deliveries`, 'must be a non-empty list of { at: MM-DD, kind: provisional | definitive }');
  }
  const problemsBefore = r.problems.length;
  const deliveries: { at: MonthDay; kind: SnapshotKind }[] = [];
  entry.deliveries.forEach((item, i) => {
    const itemPath = `${path}.deliveries[${i}]`;
    const delivery = r.mapping(item, itemPath, ['at', 'kind']);
    if (delivery === undefined) return;
    const at = readMonthDay(r, delivery.at, `${itemPath}.at`);
    const kind = SNAPSHOT_KINDS.includes(delivery.kind as SnapshotKind)
      ? (delivery.kind as SnapshotKind)
      : r.problem(`${itemPath}.kind`, `must be ${SNAPSHOT_KINDS.join(' or ')}, not ${show(delivery.kind)}`);
    if (at === undefined || kind === undefined || peildatum === undefined) return;
    const after = daysAfter(peildatum, at);
    const previous = deliveries.at(-1);
    if (after === 0) {
      r.problem(`${itemPath}.at`, 'is the peildatum itself: a delivery comes after the day it is about');
    } else if (previous !== undefined && after <= daysAfter(peildatum, previous.at)) {
      // Each moment is the first such day after the peildatum: listed out of order, the YAML would say one
      // thing to a reviewer and the schedule another.
      r.problem(
        `${itemPath}.at`,
        `${showMonthDay(at)} must come after ${showMonthDay(previous.at)}; list the deliveries in the order they happen`,
      );
    } else if (previous?.kind === 'definitive') {
      r.problem(`${itemPath}.kind`, `nothing comes after the definitive delivery on ${showMonthDay(previous.at)}`);
    } else {
      deliveries.push({ at, kind });
    }
  });
  if (r.problems.length > problemsBefore || peildatum === undefined) return undefined;
  return { peildatum, deliveries };
}

function readSnapshots(r: Reader, value: unknown): SnapshotDeliveries | null | undefined {
  if (value === undefined || value === null) return null;
  const snapshots = r.mapping(value, 'snapshots', ['peildata', 'weekly'], ['peildata', 'weekly']);
  if (snapshots === undefined) return undefined;
  if (snapshots.peildata === undefined && snapshots.weekly === undefined) {
    return r.problem('snapshots', 'needs peildata, weekly or both; leave snapshots out for a recipient without snapshot deliveries');
  }
  const problemsBefore = r.problems.length;
  const peildata: PeildatumDeliveries[] = [];
  if (snapshots.peildata !== undefined) {
    if (!Array.isArray(snapshots.peildata) || snapshots.peildata.length === 0) {
      r.problem('snapshots.peildata', 'must be a non-empty list of { peildatum: MM-DD, deliveries: [...] }');
    } else {
      snapshots.peildata.forEach((item, i) => {
        const read = readPeildatum(r, item, `snapshots.peildata[${i}]`);
        if (read === undefined) return;
        if (peildata.some((other) => showMonthDay(other.peildatum) === showMonthDay(read.peildatum))) {
          r.problem(`snapshots.peildata[${i}].peildatum`, `${showMonthDay(read.peildatum)} is listed twice`);
        } else {
          peildata.push(read);
        }
      });
    }
  }
  let weekly: SnapshotDeliveries['weekly'] = null;
  if (snapshots.weekly !== undefined) {
    const weeklyMap = r.mapping(snapshots.weekly, 'snapshots.weekly', ['weekday']);
    if (weeklyMap !== undefined) {
      if (WEEKDAYS.includes(weeklyMap.weekday as Weekday)) weekly = { weekday: weeklyMap.weekday as Weekday };
      else r.problem('snapshots.weekly.weekday', `must be one of ${WEEKDAYS.join(', ')}, not ${show(weeklyMap.weekday)}`);
    }
  }
  if (r.problems.length > problemsBefore) return undefined;
  return { peildata, weekly };
}

function readAges(r: Reader, value: unknown): AgeReference[] | undefined {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return r.problem('ages', 'must be a list of { label, at }');
  const ages: AgeReference[] = [];
  value.forEach((item, i) => {
    const path = `ages[${i}]`;
    const age = r.mapping(item, path, ['label', 'at']);
    if (age === undefined) return;
    const label = r.text(age.label, `${path}.label`);
    if (label !== undefined && !KEBAB_CASE.test(label)) r.problem(`${path}.label`, `${show(label)} must be kebab-case`);
    else if (label !== undefined && ages.some((other) => other.label === label)) r.problem(`${path}.label`, `${label} is used twice`);
    const at = readAgeAt(r, age.at, `${path}.at`);
    if (label !== undefined && at !== undefined) ages.push({ label, at });
  });
  return ages.length === value.length ? ages : undefined;
}

function checkFieldRules(r: Reader, a: { identity?: Identity; fields?: OutputFieldName[]; events?: EventType[]; ages?: AgeReference[] }) {
  const { identity, fields, events, ages } = a;
  if (fields === undefined) return;
  if (identity === 'pseudonym' && fields.includes('persoon.nummer')) {
    r.problem('fields', 'persoon.nummer is the BSN or onderwijsnummer; it cannot be sent with identity pseudonym');
  }
  if (identity === 'bsn' && !fields.includes('persoon.nummer')) {
    r.problem('fields', 'identity bsn needs persoon.nummer in fields; a recipient that does not get the number has identity pseudonym');
  }
  const bpvFields = fields.filter((field) => OUTPUT_FIELDS[field].group === 'bpv');
  if (events !== undefined && bpvFields.length > 0 && !events.some((event) => event.startsWith('Bpv'))) {
    r.problem('fields', `${bpvFields.join(', ')} only come with Bpv events, and events lists none`);
  }
  if (ages !== undefined && ages.length > 0 && !fields.includes('leeftijden'))
    r.problem('ages', 'ages are given but fields does not list leeftijden');
  if (ages !== undefined && ages.length === 0 && fields.includes('leeftijden'))
    r.problem('ages', 'fields lists leeftijden, so at least one age is needed');
}

export function parseAgreement(text: string, fileName: string): Agreement {
  const document = parseDocument(text, { version: '1.2', schema: 'core', uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new AgreementError(
      fileName,
      document.errors.map((error) => `not valid YAML: ${error.message.split('\n')[0]}`),
    );
  }
  const r = new Reader();
  const top = r.mapping(document.toJS(), '', TOP_LEVEL_KEYS, OPTIONAL_KEYS);
  if (top === undefined) throw new AgreementError(fileName, r.problems);

  const expectedId = basename(fileName).replace(/\.ya?ml$/, '');
  if (!/\.ya?ml$/.test(fileName)) r.problem('file name', 'an agreement file ends in .yaml');
  const recipient = r.text(top.recipient, 'recipient');
  if (recipient !== undefined && !RECIPIENT_ID.test(recipient))
    r.problem('recipient', `${show(recipient)} must be kebab-case, starting with a letter`);
  else if (recipient !== undefined && recipient !== expectedId)
    r.problem('recipient', `${recipient} must equal the file name (${expectedId})`);

  const name = r.text(top.name, 'name');
  const legalBasis = r.text(top.legalBasis, 'legalBasis');
  const purpose = r.text(top.purpose, 'purpose');

  const termMap = r.mapping(top.term, 'term', ['from', 'to']);
  const from = termMap && r.date(termMap.from, 'term.from');
  const to = termMap && (termMap.to === null ? null : r.date(termMap.to, 'term.to'));
  if (typeof from === 'number' && typeof to === 'number' && from > to) r.problem('term', 'from is after to');

  const identity = IDENTITIES.includes(top.identity as Identity)
    ? (top.identity as Identity)
    : r.problem('identity', `must be ${IDENTITIES.join(' or ')}, not ${show(top.identity)}`);
  const events = r.choices(top.events, 'events', EVENT_TYPES, 'event types');
  const sectors = r.choices(top.sectors, 'sectors', SECTORS, 'sectors');
  const fieldNames = r.choices(top.fields, 'fields', OUTPUT_FIELD_NAMES, 'output fields');
  const conditions = readConditions(r, top.conditions, fieldNames, sectors);
  const recordWhen = top.recordWhen === undefined ? null : readPredicate(r, top.recordWhen, 'recordWhen', sectors);
  const timePrecision =
    top.timePrecision === undefined
      ? 'date'
      : TIME_PRECISIONS.includes(top.timePrecision as TimePrecision)
        ? (top.timePrecision as TimePrecision)
        : r.problem('timePrecision', `must be ${TIME_PRECISIONS.join(', ')}, not ${show(top.timePrecision)}`);
  const ages = readAges(r, top.ages);
  const snapshots = readSnapshots(r, top.snapshots);
  checkFieldRules(r, { identity, fields: fieldNames, events, ages });

  const retentionMap = r.mapping(top.retention, 'retention', ['days']);
  const days = retentionMap && r.positiveInteger(retentionMap.days, 'retention.days');
  const outputMap = r.mapping(top.output, 'output', ['topic']);
  const topic = outputMap && r.text(outputMap.topic, 'output.topic');
  if (topic !== undefined && recipient !== undefined && !new RegExp(`^recipient\\.${recipient}\\.v[1-9][0-9]*$`).test(topic)) {
    r.problem('output.topic', `${topic} must be recipient.${recipient}.v<N>`);
  }

  if (
    r.problems.length > 0 ||
    recipient === undefined ||
    name === undefined ||
    legalBasis === undefined ||
    purpose === undefined ||
    typeof from !== 'number' ||
    to === undefined ||
    identity === undefined ||
    events === undefined ||
    sectors === undefined ||
    fieldNames === undefined ||
    conditions === undefined ||
    recordWhen === undefined ||
    timePrecision === undefined ||
    ages === undefined ||
    days === undefined ||
    topic === undefined ||
    snapshots === undefined
  ) {
    throw new AgreementError(fileName, r.problems.length > 0 ? r.problems : ['incomplete agreement']);
  }
  return {
    recipient,
    name,
    legalBasis,
    purpose,
    term: { from, to },
    identity,
    events,
    sectors,
    fields: fieldNames,
    conditions,
    recordWhen,
    timePrecision,
    ages,
    retention: { days },
    output: { topic },
    snapshots,
    source: fileName,
  };
}
