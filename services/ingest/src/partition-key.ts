import { createHmac, type KeyObject } from 'node:crypto';
import type { RegisterEvent } from '@register-feeds/register-model';

type Soort = RegisterEvent['persoon']['identificatie']['soort'];

/** The Kafka key of a canonical event, for one internal key. */
export type PartitionKey = (event: RegisterEvent) => string;

/**
 * The Kafka key of a canonical event: HMAC-SHA-256, hex, of "<soort>:<nummer>" under ingest's internal
 * partition key (INGEST_PARTITION_KEY_FILE, partition-secret.ts).
 *
 * Why a key per person: Kafka keeps order per partition, and every event of one person must be applied
 * in order (registered before changed before ended), so all of them go to one partition. The internal key
 * is made once and kept: the same person gets the same key, and so the same partition, for as long as the
 * topic lives. A new key would send a person's next events to another partition than the earlier ones.
 * Why keyed: keys show up in plain sight in tools (consoles, kcat, lag dashboards, exports). An unkeyed
 * sha256 of a BSN is reversed in a minute by hashing the ~10^8 valid numbers; an HMAC cannot be, nor
 * linked to any other hash of the number, without the key. The key is ingest's own, never a recipient's:
 * recipients' pseudonyms are made downstream, each with its own key.
 * The soort is part of the input so a BSN and an onderwijsnummer can never share a key.
 * Not to be confused with rawPersonKey (@register-feeds/contracts), the unkeyed key publishers give a raw line.
 */
export function createPartitionKey(secret: KeyObject): PartitionKey {
  if (secret.type !== 'secret') throw new TypeError('the partition key must be a secret key');
  return (event) => personKey(secret, event.persoon.identificatie.soort, event.persoon.identificatie.nummer);
}

export function personKey(secret: KeyObject, soort: Soort, nummer: string): string {
  return createHmac('sha256', secret).update(`${soort}:${nummer}`, 'utf8').digest('hex');
}
