/**
 * --rekey: every person becomes a throwaway pseudonym, consistent within one run and unrelated across
 * runs. Pure given the run key, which the caller makes per run (crypto.randomBytes(32)) and never stores.
 *
 *  - a nine-digit number passing the elfproef or the onderwijsnummer check, anywhere in a key, value or
 *    header, and the value of a bsn/onderwijsnummer/nummer field, becomes anon-<base32 of HMAC(runKey, number)>;
 *  - names (naam, voornamen, achternaam, voorvoegsel) become "[removed]"; an object under naam is walked;
 *  - geboortedatum keeps only its year, as YYYY-07-01 (mid-year, so ages stay right to within half a year);
 *  - a Kafka key that is sha256hex("BSN:<n>") or sha256hex("ONDERWIJSNUMMER:<n>") for a number n of the
 *    same record becomes sha256hex("ANON:<token>"), so records of one person still share a key (and a
 *    partition choice) within the run. Other hashed keys are kept: they cannot be reversed here.
 *
 * Works on JSON values and on values already decoded from Avro; raw Avro bytes are not rewritten (the
 * caller refuses them: export with --decode --rekey instead).
 */

import { createHash, createHmac } from 'node:crypto';
import { isPersonNumber, parseJson, personNumbersIn, REMOVED } from './person-data.ts';

const NAME_FIELDS = new Set(['naam', 'voornamen', 'achternaam', 'voorvoegsel']);
const NUMBER_FIELDS = new Set(['bsn', 'onderwijsnummer', 'nummer']);
const NINE_DIGITS = /(?<!\d)\d{9}(?!\d)/g;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

export function base32(bytes: Buffer): string {
  let out = '';
  let bits = 0;
  let buffer = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31];
  return out;
}

const sha256hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

export interface RekeyableRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
}

/** Confluent wire format: magic byte 0, a 4-byte schema id, the Avro body. */
export const isWireFormat = (value: Buffer | null): boolean => value !== null && value.length >= 5 && value[0] === 0;

export class CannotRekey extends Error {
  override name = 'CannotRekey';
  readonly isTrusted = true;
  readonly retriable = false;
}

export interface Rekeyer {
  /** the run's token for a person number (or any identifier string) */
  token(identifier: string): string;
  /** replaces person numbers in free text; adds the originals to `found` */
  rekeyText(text: string, found?: Set<string>): string;
  /** a new JSON-like value with persons replaced; adds the original numbers to `found` */
  rekeyValue(value: unknown, found?: Set<string>): unknown;
  /** the Kafka key for a record whose value held the numbers in `found` */
  rekeyKey(key: Buffer | null, found: Set<string>): Buffer | null;
  /** a whole raw record: JSON values rewritten, text values' numbers replaced; Avro wire format refused */
  rekeyRecord(record: RekeyableRecord): RekeyableRecord;
}

export function createRekeyer(runKey: Buffer): Rekeyer {
  if (runKey.length < 16) throw new Error('the run key must be at least 16 random bytes');
  const tokens = new Map<string, string>();
  const token = (identifier: string): string => {
    let t = tokens.get(identifier);
    if (t === undefined) {
      t = `anon-${base32(createHmac('sha256', runKey).update(identifier, 'utf8').digest()).slice(0, 26)}`;
      tokens.set(identifier, t);
    }
    return t;
  };

  const rekeyText = (text: string, found?: Set<string>): string =>
    text.replace(NINE_DIGITS, (digits) => {
      if (!isPersonNumber(digits)) return digits;
      found?.add(digits);
      return token(digits);
    });

  const rekeyValue = (value: unknown, found?: Set<string>, field = ''): unknown => {
    const name = field.toLowerCase();
    if (NAME_FIELDS.has(name) && (typeof value === 'string' || typeof value === 'number')) return REMOVED;
    if (NUMBER_FIELDS.has(name) && (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint')) {
      const identifier = String(value);
      if (isPersonNumber(identifier)) found?.add(identifier);
      return token(identifier);
    }
    if (name === 'geboortedatum') return yearOnly(value);
    if (typeof value === 'string') return rekeyText(value, found);
    if (typeof value === 'number' && Number.isInteger(value) && isPersonNumber(String(value))) {
      found?.add(String(value));
      return token(String(value));
    }
    if (Array.isArray(value)) return value.map((item) => rekeyValue(item, found));
    if (value === null || typeof value !== 'object' || Buffer.isBuffer(value) || value instanceof Date) return value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rekeyValue(v, found, k)]));
  };

  const rekeyKey = (key: Buffer | null, found: Set<string>): Buffer | null => {
    if (key === null) return null;
    const text = key.toString('latin1');
    if (/^[0-9a-f]{64}$/.test(text)) {
      for (const n of found) {
        if (text === sha256hex(`BSN:${n}`) || text === sha256hex(`ONDERWIJSNUMMER:${n}`)) return Buffer.from(sha256hex(`ANON:${token(n)}`));
      }
      return key;
    }
    if (personNumbersIn(text).length === 0) return key;
    return Buffer.from(rekeyText(text, found), 'latin1');
  };

  return {
    token,
    rekeyText,
    rekeyValue: (value, found) => rekeyValue(value, found),
    rekeyKey,
    rekeyRecord(record) {
      const found = new Set<string>();
      let value = record.value;
      if (isWireFormat(value)) {
        throw new CannotRekey('the value is Avro (Confluent wire format): rekey it with `export --decode --rekey` into a file instead');
      }
      const json = parseJson(value);
      if (json !== undefined) value = Buffer.from(JSON.stringify(rekeyValue(json, found)));
      else if (value !== null) value = Buffer.from(rekeyText(value.toString('latin1'), found), 'latin1');
      const headers = Object.fromEntries(
        Object.entries(record.headers).map(([name, v]) => [name, Buffer.from(rekeyText(v.toString('latin1'), found), 'latin1')]),
      );
      // numbers in the key itself are found by rekeyKey; hashed keys need the value's numbers first
      return { key: rekeyKey(record.key, found), value, headers };
    },
  };
}

/** A birth date reduced to its year: "2007-05-14" -> "2007-07-01"; a Date the same; anything else removed. */
export function yearOnly(value: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (value instanceof Date) return new Date(Date.UTC(value.getUTCFullYear(), 6, 1));
  if (typeof value === 'string') {
    const year = /^(\d{4})-\d{2}-\d{2}/.exec(value)?.[1];
    return year === undefined ? REMOVED : `${year}-07-01`;
  }
  return REMOVED;
}
