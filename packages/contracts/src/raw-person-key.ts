import { createHash } from 'node:crypto';
import type { IdentificatieSoort } from '@register-feeds/register-model';

/**
 * The key our publishing tools (publish CLI, generator, tests, benchmarks) give a raw JSON line, read
 * without validating it (ingest validates), so a person's raw events share a partition of the raw topic
 * and stay in order. Null when the line shows no person number: that costs only the ordering of a record
 * that will be dead-lettered anyway. Part of the raw contract because both sides of the raw topic use it:
 * the publishers set it, and `npm run replay -- --rekey` recognises exactly this form to replace it
 * (tools/replay/src/rekey.ts).
 *
 * It is NOT ingest's partition key (services/ingest/src/partition-key.ts): the register's side has no
 * access to ingest's internal key. It is still an unkeyed sha256 of "<soort>:<nummer>" (reversible by
 * enumeration, like the number in the value next to it, which every reader of the raw topic sees anyway).
 */
export function rawPersonKey(line: string): string | null {
  try {
    const persoon = (JSON.parse(line) as { persoon?: { bsn?: unknown; onderwijsnummer?: unknown } } | null)?.persoon;
    if (typeof persoon?.bsn === 'string') return unkeyedPersonKey('BSN', persoon.bsn);
    if (typeof persoon?.onderwijsnummer === 'string') return unkeyedPersonKey('ONDERWIJSNUMMER', persoon.onderwijsnummer);
  } catch {
    // not JSON: no key
  }
  return null;
}

function unkeyedPersonKey(soort: IdentificatieSoort, nummer: string): string {
  return createHash('sha256').update(`${soort}:${nummer}`, 'utf8').digest('hex');
}
