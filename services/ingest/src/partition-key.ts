import { createHash } from 'node:crypto';
import type { RegisterEvent } from '@register-feeds/register-model';

/**
 * The Kafka key of a canonical event: sha256 hex of "<soort>:<nummer>".
 *
 * Why a key per person: Kafka keeps order per partition, and every event of one person must be applied
 * in order (registered before changed before ended), so all of them go to one partition.
 * Why hashed: keys show up in plain sight in tools (consoles, kcat, lag dashboards); a hex digest keeps
 * a BSN off those screens. It is NOT a pseudonym: the BSN space is small enough to enumerate, and the
 * value of the record carries the number anyway. Pseudonyms are per recipient, made downstream with a key.
 * The soort is part of the input so a BSN and an onderwijsnummer can never share a key.
 */
export function partitionKey(event: RegisterEvent): string {
  const { soort, nummer } = event.persoon.identificatie;
  return personKey(soort, nummer);
}

export function personKey(soort: RegisterEvent['persoon']['identificatie']['soort'], nummer: string): string {
  return createHash('sha256').update(`${soort}:${nummer}`, 'utf8').digest('hex');
}

/**
 * The same key for a raw JSON line, read without validating it (ingest validates), so producers of the
 * raw topic keep a person's events on one partition too. Null when the line shows no person number: that
 * costs only the ordering of a record that will be dead-lettered anyway.
 */
export function rawPersonKey(line: string): string | null {
  try {
    const persoon = (JSON.parse(line) as { persoon?: { bsn?: unknown; onderwijsnummer?: unknown } } | null)?.persoon;
    if (typeof persoon?.bsn === 'string') return personKey('BSN', persoon.bsn);
    if (typeof persoon?.onderwijsnummer === 'string') return personKey('ONDERWIJSNUMMER', persoon.onderwijsnummer);
  } catch {
    // not JSON: no key
  }
  return null;
}
