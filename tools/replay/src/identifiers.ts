/**
 * The shapes person identifiers take in this system, recognised in any text (a value, a property name, a
 * Kafka key such as "<pseudonym>|<brin>|..."). Pure. Shapes, not field names, because an identifier is
 * one wherever it stands: a BSN as a JSON property name or inside a feed key is still a BSN.
 */

import { createHash } from 'node:crypto';
import { isPersonNumber } from './person-data.ts';

/**
 * A recipient's pseudonym, record id or enrolment pseudonym: '<key version>.<base64url of a 32-byte
 * HMAC>' (services/pseudonymise/src/pseudonym.ts). Bounded so that it is not part of a longer token.
 */
export const PSEUDONYM_SOURCE = '(?<![A-Za-z0-9_.-])v\\d+\\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])';
/** The canonical events' Kafka key: sha256 hex of "<BSN|ONDERWIJSNUMMER>:<number>" (not a pseudonym: enumerable). */
export const HEX64_SOURCE = '(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])';

/** One pass over a text finds each shape; earlier alternatives win, so digits inside a pseudonym stay part of it. */
export const IDENTIFIER_PATTERN = new RegExp(`(${PSEUDONYM_SOURCE})|(${HEX64_SOURCE})|(\\d+)`, 'g');

export const isPseudonym = (text: string): boolean => new RegExp(`^${PSEUDONYM_SOURCE}$`).test(text);

export const sha256hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** The two unkeyed keys a person number can have: rawPersonKey's (@register-feeds/contracts), the raw topic's key. */
export const personHashes = (nummer: string): string[] => [sha256hex(`BSN:${nummer}`), sha256hex(`ONDERWIJSNUMMER:${nummer}`)];

export interface IdentifiersInText {
  pseudonyms: string[];
  hashes: string[];
  /** digit runs: a caller decides which are person numbers (checked ones, or ones it knows) */
  digitRuns: string[];
}

export function identifiersIn(text: string): IdentifiersInText {
  const found: IdentifiersInText = { pseudonyms: [], hashes: [], digitRuns: [] };
  for (const m of text.matchAll(IDENTIFIER_PATTERN)) {
    if (m[1] !== undefined) found.pseudonyms.push(m[1]);
    else if (m[2] !== undefined) found.hashes.push(m[2]);
    else if (m[3] !== undefined) found.digitRuns.push(m[3]);
  }
  return found;
}

/** A digit run that is a person number by its check digit (BSN elfproef or onderwijsnummer). */
export const isCheckedPersonNumber = (digits: string): boolean => digits.length === 9 && isPersonNumber(digits);
