/**
 * A recipient's own pseudonym for a person (DOMAIN.md rule 1). The BSN space is about 10^8 numbers, so an
 * unkeyed hash is reversed by trying them all; a keyed HMAC is not, as long as the key stays secret.
 *
 * MAC input: '<recipient>|<soort>:<nummer>'. The soort keeps a BSN and an equal onderwijsnummer apart; the
 * recipient id separates domains, so a key reused by mistake for two recipients still gives unlinkable
 * pseudonyms. Output: '<key version>.<base64url of the 32-byte MAC>', so a pseudonym says which key made it.
 */

import { createHmac } from 'node:crypto';
import type { Identificatie } from '@register-feeds/register-model';
import type { RecipientKey } from './keys.ts';

export function pseudonymFor(identificatie: Identificatie, key: RecipientKey): string {
  const mac = createHmac('sha256', key.secret)
    .update(`${key.recipient}|${identificatie.soort}:${identificatie.nummer}`, 'utf8')
    .digest('base64url');
  return `${key.version}.${mac}`;
}
