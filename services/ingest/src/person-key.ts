import { createHash } from 'node:crypto';

export type IdentificatieSoort = 'BSN' | 'ONDERWIJSNUMMER';

/**
 * The Kafka key of everything about one person, raw and canonical alike, so a person's events share a
 * partition and keep their order. A plain hash is no pseudonym (the BSN space can be enumerated), and it
 * is not meant as one: the values on these internal topics carry the number anyway. The key only keeps
 * the number out of plain sight in tools that print keys.
 */
export function personKey(soort: IdentificatieSoort, nummer: string): string {
  return createHash('sha256').update(`${soort}:${nummer}`).digest('hex');
}

/**
 * The key for a raw JSON line, read without validating it (ingest validates): null when the line has no
 * recognisable person, which only costs ordering for a record that will be dead-lettered anyway.
 */
export function rawPersonKey(line: string): string | null {
  try {
    const persoon = (JSON.parse(line) as { persoon?: { bsn?: unknown; onderwijsnummer?: unknown } })?.persoon;
    if (typeof persoon?.bsn === 'string') return personKey('BSN', persoon.bsn);
    if (typeof persoon?.onderwijsnummer === 'string') return personKey('ONDERWIJSNUMMER', persoon.onderwijsnummer);
  } catch {
    // not JSON: no key
  }
  return null;
}
