/**
 * --rekey: every person becomes a throwaway pseudonym, consistent within one run and unrelated across
 * runs. Pure given the run key, which the caller makes per run (crypto.randomBytes(32)) and never stores.
 * Works on opened values (opened.ts), so it reaches into bytes: a dead letter's original JSON or Avro is
 * rekeyed where it stands and closed again into bytes of the same format.
 *
 *  - a person number (traces.ts), anywhere in a value, a property name, a key or a header, and the value of
 *    a bsn/onderwijsnummer/nummer field, becomes anon-<base32 of HMAC(runKey, number)>;
 *  - a string of the pseudonym shape (pseudonyms, record ids, enrolment pseudonyms) becomes one of the
 *    same shape and key version, '<version>.<base64url HMAC(runKey, original)>', so readers that expect
 *    the shape still work;
 *  - a sha256 key of one of the record's person numbers (the raw topic's key) becomes sha256hex("ANON:<token>"),
 *    so one person's records still share a key and a partition; any other 64-digit hex (the canonical
 *    events' keyed person key, which production data links to the person) becomes the hex of
 *    HMAC(runKey, it): still one per person within the run, linked to nothing outside it;
 *  - names (naam, voornamen, achternaam, voorvoegsel, roepnaam, geslachtsnaam) become "[removed]";
 *  - geboortedatum keeps only its year, as July 1st (ISO text, epoch day, or epoch milliseconds alike);
 *  - bytes that are neither JSON nor Avro (text, binary, an original that failed to parse) cannot show
 *    whether they hold a name: they are dropped (null), unless all they hold is one identifier above.
 *    Keys and headers are identifiers, not content: their text is rekeyed, never dropped.
 */

import { createHmac } from 'node:crypto';
import { IDENTIFIER_PATTERN, identifiersIn, isCheckedPersonNumber, sha256hex } from './identifiers.ts';
import { Opened } from './opened.ts';
import { REMOVED } from './person-data.ts';
import { BIRTH_DATE_FIELD, emptyTraces, NAME_FIELDS, NUMBER_FIELDS, type Traces } from './traces.ts';

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

export class CannotRekey extends Error {
  override name = 'CannotRekey';
  readonly isTrusted = true;
  readonly retriable = false;
}

/** A record with its key, headers and value opened (or, for a decoded export, the value as decoded and opened). */
export interface RecordView {
  key: unknown;
  headers: Record<string, unknown>;
  value: unknown;
}

export interface Rekeyer {
  /** the run's token for a person number (or any identifier string) */
  token(identifier: string): string;
  /** the run's stand-in for a pseudonym-shaped string: same version, a new MAC */
  pseudonym(original: string): string;
  /** pseudonyms, person numbers (checked, or among `own`) and 64-digit hex keys replaced in free text */
  rekeyText(text: string, own?: Traces): string;
  /** an opened value rekeyed; `own` are the record's own traces (for its hashed keys and unchecked numbers) */
  rekeyValue(value: unknown, own?: Traces): unknown;
  /** a whole opened record: value and headers as content, the key as an identifier */
  rekeyRecord(view: RecordView, own: Traces): RecordView;
}

export function createRekeyer(runKey: Buffer): Rekeyer {
  if (runKey.length < 16) throw new Error('the run key must be at least 16 random bytes');
  const mac = (text: string) => createHmac('sha256', runKey).update(text, 'utf8').digest();
  const tokens = new Map<string, string>();
  const token = (identifier: string): string => {
    let t = tokens.get(identifier);
    if (t === undefined) {
      t = `anon-${base32(mac(identifier)).slice(0, 26)}`;
      tokens.set(identifier, t);
    }
    return t;
  };
  const pseudonym = (original: string): string =>
    `${original.slice(0, original.indexOf('.'))}.${mac(`pseudonym|${original}`).toString('base64url')}`;

  const rekeyText = (text: string, own?: Traces): string =>
    text.replace(IDENTIFIER_PATTERN, (match: string, p?: string, hash?: string) => {
      if (p !== undefined) return pseudonym(p);
      if (hash !== undefined) {
        const nummer = own?.hashes.get(hash);
        return nummer === undefined ? mac(`hash|${hash}`).toString('hex') : sha256hex(`ANON:${token(nummer)}`);
      }
      return isCheckedPersonNumber(match) || own?.numbers.has(match) ? token(match) : match;
    });

  /** Opaque content is kept only when it is one identifier, rekeyed; anything else could hide a name. */
  const wholeIdentifier = (text: string, own: Traces): string | undefined => {
    const trimmed = text.trim();
    const found = identifiersIn(trimmed);
    const one = [...found.pseudonyms, ...found.hashes, ...found.digitRuns];
    if (one.length !== 1 || one[0] !== trimmed) return undefined;
    const rekeyed = rekeyText(trimmed, own);
    return rekeyed === trimmed ? undefined : rekeyed;
  };

  const rekeyOpened = (opened: Opened, own: Traces, as: 'content' | 'identifier'): Opened => {
    const { format, content, carrier, schemaId } = opened;
    if (format === 'json' || format === 'avro') return new Opened(format, rekeyValue(content, own), carrier, schemaId);
    if (format === 'dropped') return opened;
    const text = format === 'text' ? (content as string) : (content as Buffer).toString('latin1');
    if (as === 'identifier') {
      return format === 'text'
        ? new Opened('text', rekeyText(text, own), carrier)
        : new Opened('binary', Buffer.from(rekeyText(text, own), 'latin1'), carrier);
    }
    const identifier = wholeIdentifier(text, own);
    return identifier === undefined ? new Opened('dropped', null, carrier) : new Opened('text', identifier, carrier);
  };

  const rekeyValue = (value: unknown, own: Traces, field = ''): unknown => {
    if (value instanceof Opened) return rekeyOpened(value, own, 'content');
    if (value === null || value === undefined) return value;
    if (NAME_FIELDS.has(field) && (typeof value === 'string' || typeof value === 'number')) return REMOVED;
    if (NUMBER_FIELDS.has(field) && (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint')) {
      return token(String(value).trim());
    }
    if (field === BIRTH_DATE_FIELD && !Array.isArray(value) && (typeof value !== 'object' || value instanceof Date)) return yearOnly(value);
    if (typeof value === 'string') return rekeyText(value, own);
    if ((typeof value === 'number' && Number.isInteger(value)) || typeof value === 'bigint') {
      const digits = String(value);
      return isCheckedPersonNumber(digits) || own.numbers.has(digits) ? token(digits) : value;
    }
    if (Array.isArray(value)) return value.map((item) => rekeyValue(item, own, field));
    // bytes that were not opened (too deep) cannot be looked into
    if (Buffer.isBuffer(value)) return null;
    if (typeof value !== 'object' || value instanceof Date) return value;
    return Object.fromEntries(
      Object.entries(value).map(([name, child]) => [rekeyText(name, own), rekeyValue(child, own, name.toLowerCase())]),
    );
  };

  const rekeyIdentifier = (value: unknown, own: Traces): unknown =>
    value instanceof Opened
      ? rekeyOpened(value, own, 'identifier')
      : typeof value === 'string'
        ? rekeyText(value, own)
        : rekeyValue(value, own);

  return {
    token,
    pseudonym,
    rekeyText,
    rekeyValue: (value, own) => rekeyValue(value, own ?? emptyOwn),
    rekeyRecord: (view, own) => ({
      key: rekeyIdentifier(view.key, own),
      headers: Object.fromEntries(Object.entries(view.headers).map(([name, v]) => [name, rekeyIdentifier(v, own)])),
      value: rekeyValue(view.value, own),
    }),
  };
}

const emptyOwn: Traces = emptyTraces();

const MID_YEAR = (year: number) => Date.UTC(year, 6, 1);

/**
 * A birth date reduced to its year, as July 1st (mid-year, so ages stay right to within half a year), in
 * the form it came in: "2007-05-14" -> "2007-07-01"; an epoch day stays an epoch day, epoch milliseconds
 * stay milliseconds, a Date a Date; anything else is removed.
 */
export function yearOnly(value: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (value instanceof Date) return new Date(MID_YEAR(value.getUTCFullYear()));
  if (typeof value === 'number' && Number.isInteger(value)) {
    const days = Math.abs(value) < 1e7;
    const year = new Date(days ? value * 86_400_000 : value).getUTCFullYear();
    return days ? MID_YEAR(year) / 86_400_000 : MID_YEAR(year);
  }
  if (typeof value === 'string') {
    const year = /^(\d{4})-\d{2}-\d{2}/.exec(value.trim())?.[1];
    return year === undefined ? REMOVED : `${year}-07-01`;
  }
  return REMOVED;
}
