/**
 * The register's identifiers as pure predicates. Each returns a boolean and never echoes its input,
 * so callers can build messages that name the rule, not the number.
 */

import type { Sector } from '@register-feeds/register-model';

const NINE_DIGITS = /^\d{9}$/;
const BRIN = /^\d{2}[A-Z0-9]{2}$/;
const BRIN_VESTIGING = /^\d{2}[A-Z0-9]{2}\d{2}$/;
const CREBO = /^\d{5}$/;
const PO_VO_OPLEIDINGSCODE = /^\d{4,5}$/;

/**
 * eventId: letters, digits and hyphens only (a UUID fits), so an id is safe in Kafka keys, headers, URLs
 * and log lines. The length (1..64) is a bound of the contract table. Shared with the JSON Schema as text.
 */
export const EVENT_ID_PATTERN = '^[A-Za-z0-9-]*$';
/**
 * Nine digits in a row could be a BSN or an onderwijsnummer: an id built from a person number would carry
 * it into every topic, header and log line the id reaches, recipients' feeds included. The schema says
 * it as `not: { pattern }`.
 */
export const NINE_DIGIT_RUN_PATTERN = '[0-9]{9}';
const EVENT_ID = new RegExp(EVENT_ID_PATTERN);
const NINE_DIGIT_RUN = new RegExp(NINE_DIGIT_RUN_PATTERN);

// 9*d1 + 8*d2 + ... + 2*d8 - 1*d9: the weights of the elfproef, shared by BSN and onderwijsnummer.
const WEIGHTS = [9, 8, 7, 6, 5, 4, 3, 2, -1] as const;

/** The weighted sum modulo 11, always 0..10 (the -1 weight can make the raw sum negative). */
export function elfproefRemainder(nineDigits: string): number {
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += WEIGHTS[i]! * Number(nineDigits[i]);
  return ((sum % 11) + 11) % 11;
}

export function isNineDigits(text: string): boolean {
  return NINE_DIGITS.test(text);
}

/** Burgerservicenummer: nine digits, weighted sum divisible by 11, and not 000000000 (which passes the sum). */
export function isValidBsn(text: string): boolean {
  return isNineDigits(text) && text !== '000000000' && elfproefRemainder(text) === 0;
}

/** Onderwijsnummer: the same weights, but the sum leaves remainder 5, so it can never be taken for a BSN. */
export function isValidOnderwijsnummer(text: string): boolean {
  return isNineDigits(text) && elfproefRemainder(text) === 5;
}

/** BRIN: two digits and two capitals or digits, e.g. 25LX. */
export function isValidBrin(text: string): boolean {
  return BRIN.test(text);
}

/** BRIN vestiging: a BRIN followed by a two-digit branch number, e.g. 25LX01. */
export function isValidBrinVestiging(text: string): boolean {
  return BRIN_VESTIGING.test(text);
}

/** A vestiging belongs to the institution whose BRIN it starts with. */
export function vestigingBelongsToBrin(brinVestiging: string, brin: string): boolean {
  return brinVestiging.startsWith(brin);
}

/** MBO programmes are crebo codes of exactly five digits; PO and VO codes have four or five. */
export function isValidOpleidingscode(text: string, sector?: Sector): boolean {
  return sector === 'MBO' ? CREBO.test(text) : PO_VO_OPLEIDINGSCODE.test(text);
}

export function isValidCrebo(text: string): boolean {
  return CREBO.test(text);
}

/** Only the characters an eventId may have (the length is checked apart). */
export function isEventIdText(text: string): boolean {
  return EVENT_ID.test(text);
}

/** Nine or more digits in a row, anywhere in the text. */
export function holdsNineDigitRun(text: string): boolean {
  return NINE_DIGIT_RUN.test(text);
}

/** ASCII letters and digits only, of min..max characters. */
export function isAlphanumeric(text: string, min: number, max: number): boolean {
  return text.length >= min && text.length <= max && /^[A-Za-z0-9]+$/.test(text);
}
