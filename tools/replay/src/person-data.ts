/**
 * Does a record carry person identifiers? Pure: looks at the bytes and, where the value is JSON (or was
 * decoded from Avro), at its field names. Stops at the first finding; a finding names what and where,
 * never the value itself, so it can be printed.
 */

/** Field names that hold a person's number or name, compared case-insensitively. */
export const PERSON_FIELDS = new Set(['bsn', 'onderwijsnummer', 'nummer', 'naam', 'voornamen', 'achternaam', 'geboortedatum']);

/** What --rekey writes in place of a name: a value that no longer identifies anyone. */
export const REMOVED = '[removed]';

const NINE_DIGITS = /(?<!\d)\d{9}(?!\d)/g;

function weightedSum(digits: string): number {
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += Number(digits[i]) * (9 - i);
  return sum - Number(digits[8]);
}

/** A BSN passes the elfproef (weights 9..2, -1; sum divisible by 11); an onderwijsnummer leaves 5. */
export function isPersonNumber(digits: string): boolean {
  if (!/^\d{9}$/.test(digits)) return false;
  const rest = ((weightedSum(digits) % 11) + 11) % 11;
  return rest === 0 || rest === 5;
}

/** Every nine-digit number standing alone in the text that passes one of the checks, in order. */
export function personNumbersIn(text: string): string[] {
  return [...text.matchAll(NINE_DIGITS)].map((m) => m[0]).filter(isPersonNumber);
}

export interface Finding {
  /** 'person number' or 'person field <name>' */
  what: string;
  /** 'key', 'value', 'header <name>' */
  where: string;
}

export interface ScannedRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
  /** the value decoded through the registry, when it was Avro */
  decodedValue?: unknown;
}

/** Already rekeyed: a removed name or a run token is not person data. */
const isAnonymised = (value: unknown): boolean => value === REMOVED || (typeof value === 'string' && value.startsWith('anon-'));

/** The first person field in a parsed value, by path, or undefined. */
export function personFieldIn(value: unknown, path = ''): string | undefined {
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = personFieldIn(item, `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value) || value instanceof Date) return undefined;
  for (const [name, child] of Object.entries(value)) {
    const at = path ? `${path}.${name}` : name;
    if (PERSON_FIELDS.has(name.toLowerCase()) && child !== null && typeof child !== 'object' && !isAnonymised(child)) return at;
    const found = personFieldIn(child, at);
    if (found) return found;
  }
  return undefined;
}

/** Parses a value as JSON when it is JSON; undefined otherwise. */
export function parseJson(value: Buffer | null): unknown {
  if (value === null || value.length === 0) return undefined;
  const first = value[0];
  // quick refusal of what cannot be a JSON document (Avro wire format starts with 0)
  if (first !== 0x7b && first !== 0x5b && first !== 0x22) return undefined;
  try {
    return JSON.parse(value.toString('utf8'));
  } catch {
    return undefined;
  }
}

export function findPersonData(record: ScannedRecord): Finding | undefined {
  const texts: Array<[string, Buffer | null]> = [
    ['key', record.key],
    ['value', record.value],
    ...Object.entries(record.headers).map(([name, v]): [string, Buffer] => [`header ${name}`, v]),
  ];
  for (const [where, bytes] of texts) {
    if (bytes !== null && personNumbersIn(bytes.toString('utf8')).length > 0) return { what: 'person number', where };
  }
  const parsed = record.decodedValue !== undefined ? record.decodedValue : parseJson(record.value);
  if (parsed !== undefined) {
    if (record.decodedValue !== undefined && personNumbersIn(JSON.stringify(parsed, jsonReplacer) ?? '').length > 0) {
      return { what: 'person number', where: 'value' };
    }
    const field = personFieldIn(parsed);
    if (field !== undefined) return { what: `person field ${field}`, where: 'value' };
  }
  return undefined;
}

/** JSON.stringify replacer for decoded Avro: bytes as base64, longs as strings. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (
    value !== null &&
    typeof value === 'object' &&
    (value as { type?: unknown }).type === 'Buffer' &&
    Array.isArray((value as { data?: unknown }).data)
  ) {
    return Buffer.from((value as { data: number[] }).data).toString('base64');
  }
  return value;
}

export class PersonDataRefused extends Error {
  override name = 'PersonDataRefused';
  readonly isTrusted = true;
  readonly retriable = false;
}

const HOW_TO_PROCEED =
  'Pass --rekey to replace persons with throwaway pseudonyms, or --allow-personal-data if this copy is allowed to hold them.';

/** A record was found to carry person data: says what and where, never the value. */
export const personDataFound = (source: string, finding: Finding, position: string): PersonDataRefused =>
  new PersonDataRefused(
    `refused: ${source} carries person data (${finding.what} in the ${finding.where} of ${position}). Nothing was written. ${HOW_TO_PROCEED}`,
  );
