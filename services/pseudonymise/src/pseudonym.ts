/**
 * A recipient's own identifiers (DOMAIN.md rule 1), all keyed HMAC-SHA-256 under that recipient's key:
 * - the pseudonym of a person: the BSN space is about 10^8 numbers, so an unkeyed hash is reversed by
 *   trying them all; a keyed HMAC is not, as long as the key stays secret;
 * - the record id of a change, instead of the register's eventId: an eventId is the same in every
 *   recipient's record of one change and would join them (README, Privacy guarantees);
 * - the pseudonym of an enrolment, instead of the institution-issued inschrijvingsvolgnummer, for a
 *   recipient that must tell enrolments apart without the number that the institution and other recipients
 *   also hold.
 * Each dies with the key (crypto-shredding): without it none can be made again or linked to its source.
 *
 * MAC input: '<recipient>|<domain>|<value>'. The recipient id separates recipients, so a key reused by
 * mistake for two recipients still gives unlinkable values; the domain separates the kinds, so a record id
 * can never equal a pseudonym. The soort keeps a BSN and an equal onderwijsnummer apart. Output:
 * '<key version>.<base64url of the 32-byte MAC>', so a value says which key made it.
 */

import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import type { Identificatie } from '@register-feeds/register-model';
import type { RecipientKey } from './keys.ts';

/**
 * The secret as a KeyObject, made once per secret. Node 24's createHmac with a Buffer key turns it into a
 * key object on every call, which cost about 8 times the HMAC itself (a third of pseudonymise's CPU in the
 * profile, README "Where the time goes"). Weak: a retired key's secret is not kept alive by this cache.
 */
const hmacKeys = new WeakMap<Buffer, KeyObject>();

export function hmacKeyOf(key: RecipientKey): KeyObject {
  let made = hmacKeys.get(key.secret);
  if (made === undefined) {
    made = createSecretKey(key.secret);
    hmacKeys.set(key.secret, made);
  }
  return made;
}

function keyed(key: RecipientKey, domain: string, value: string): string {
  const mac = createHmac('sha256', hmacKeyOf(key)).update(`${key.recipient}|${domain}|${value}`, 'utf8').digest('base64url');
  return `${key.version}.${mac}`;
}

export function pseudonymFor(identificatie: Identificatie, key: RecipientKey): string {
  return keyed(key, 'persoon', `${identificatie.soort}:${identificatie.nummer}`);
}

export function recordIdFor(eventId: string, key: RecipientKey): string {
  return keyed(key, 'record', eventId);
}

/** One enrolment is one person at one institution with one sequence number there. */
export function enrolmentPseudonymFor(
  identificatie: Identificatie,
  brin: string,
  inschrijvingsvolgnummer: string,
  key: RecipientKey,
): string {
  return keyed(key, 'inschrijving', `${identificatie.soort}:${identificatie.nummer}|${brin}|${inschrijvingsvolgnummer}`);
}
