/**
 * The person identifiers a record holds, found in its opened form (opened.ts): what --rekey must replace
 * in it, and what the leak scan must not find in any output. Pure.
 *
 *  - person numbers: a nine-digit number passing the BSN or onderwijsnummer check anywhere (values,
 *    property names, keys, headers, text inside bytes), and whatever a bsn / onderwijsnummer / nummer field
 *    holds when it is 8 to 10 digits, checked or not (a dead letter is there because its BSN may fail the
 *    elfproef);
 *  - the sha256 keys those numbers have on the raw topic, and every 64-digit hex key as found (the
 *    canonical events' keyed person key: not reversible here, but linked to the person in production);
 *  - pseudonyms, record ids and enrolment pseudonyms (the pseudonym shape, identifiers.ts);
 *  - names: what a naam / voornamen / achternaam / roepnaam / geslachtsnaam field holds (a surname prefix
 *    alone identifies no one and is not kept);
 *  - birth dates: what a geboortedatum field holds, as an ISO date (an Avro date or a feed's epoch day
 *    is converted).
 */

import { identifiersIn, isCheckedPersonNumber, personHashes } from './identifiers.ts';
import { Opened } from './opened.ts';
import { REMOVED } from './person-data.ts';

export const NAME_FIELDS = new Set(['naam', 'voornamen', 'achternaam', 'voorvoegsel', 'roepnaam', 'geslachtsnaam']);
export const NUMBER_FIELDS = new Set(['bsn', 'onderwijsnummer', 'nummer']);
export const BIRTH_DATE_FIELD = 'geboortedatum';
const TRACED_NAME_FIELDS = new Set(['naam', 'voornamen', 'achternaam', 'roepnaam', 'geslachtsnaam']);

export interface Traces {
  numbers: Set<string>;
  /** sha256 hex key -> the person number it is the key of */
  hashes: Map<string, string>;
  /** every 64-digit hex found in the source */
  hexes: Set<string>;
  pseudonyms: Set<string>;
  names: Set<string>;
  /** ISO dates (yyyy-mm-dd), or the text as given when it is not one */
  birthDates: Set<string>;
}

export const emptyTraces = (): Traces => ({
  numbers: new Set(),
  hashes: new Map(),
  hexes: new Set(),
  pseudonyms: new Set(),
  names: new Set(),
  birthDates: new Set(),
});

const DAY_MS = 86_400_000;

/** An epoch day (Avro date, the feeds' EpochDay) as an ISO date; larger numbers are taken as epoch milliseconds. */
export function isoDateOf(value: number | Date): string | undefined {
  const ms = value instanceof Date ? value.getTime() : Math.abs(value) < 1e7 ? value * DAY_MS : value;
  if (!Number.isFinite(ms)) return undefined;
  return new Date(ms).toISOString().slice(0, 10);
}

/** A birth date as the traces keep it: the ISO date when the value is or starts with one, else the trimmed text. */
export function birthDateKey(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return isoDateOf(value);
  if (value instanceof Date) return isoDateOf(value);
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  return /^(\d{4}-\d{2}-\d{2})/.exec(value.trim())?.[1] ?? value.trim();
}

function addNumber(traces: Traces, nummer: string): void {
  if (traces.numbers.has(nummer)) return;
  traces.numbers.add(nummer);
  for (const hash of personHashes(nummer)) traces.hashes.set(hash, nummer);
}

function traceText(text: string, traces: Traces): void {
  const found = identifiersIn(text);
  for (const p of found.pseudonyms) traces.pseudonyms.add(p);
  for (const h of found.hashes) traces.hexes.add(h);
  for (const digits of found.digitRuns) if (isCheckedPersonNumber(digits)) addNumber(traces, digits);
}

function traceField(field: string, value: unknown, traces: Traces): void {
  if (NUMBER_FIELDS.has(field) && (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint')) {
    const digits = String(value).trim();
    if (/^\d{8,10}$/.test(digits)) addNumber(traces, digits);
  }
  // "[removed]" is what an earlier rekeying left: no one's name
  if (TRACED_NAME_FIELDS.has(field) && typeof value === 'string' && value.trim() !== '' && value !== REMOVED)
    traces.names.add(value.trim());
  if (field === BIRTH_DATE_FIELD) {
    const key = birthDateKey(value);
    if (key !== undefined) traces.birthDates.add(key);
  }
}

function walk(value: unknown, traces: Traces, field: string): void {
  if (value instanceof Opened) {
    if (value.format === 'json' || value.format === 'avro') walk(value.content, traces, field);
    else if (value.format === 'text') traceText(value.content as string, traces);
    else if (value.format === 'binary') traceText((value.content as Buffer).toString('latin1'), traces);
    return;
  }
  traceField(field, value, traces);
  if (typeof value === 'string') traceText(value, traces);
  else if ((typeof value === 'number' && Number.isInteger(value)) || typeof value === 'bigint') traceText(String(value), traces);
  else if (Buffer.isBuffer(value)) traceText(value.toString('latin1'), traces);
  else if (Array.isArray(value)) for (const item of value) walk(item, traces, field);
  else if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    for (const [name, child] of Object.entries(value)) {
      traceText(name, traces);
      walk(child, traces, name.toLowerCase());
    }
  }
}

/** The identifiers in one opened value (or record view), added to `into`. */
export function traceInto(value: unknown, into: Traces): Traces {
  walk(value, into, '');
  return into;
}

export const tracesOf = (value: unknown): Traces => traceInto(value, emptyTraces());

/** Adds one record's traces to the run's; birth dates stay per record (see leak-scan.ts). */
export function mergeTraces(into: Traces, from: Traces): void {
  for (const n of from.numbers) addNumber(into, n);
  for (const p of from.pseudonyms) into.pseudonyms.add(p);
  for (const h of from.hexes) into.hexes.add(h);
  for (const name of from.names) into.names.add(name);
}
