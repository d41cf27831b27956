/**
 * What DUO destroys when a recipient is shredded (DOMAIN.md rule 4), besides its keys: the copies of what
 * that recipient received that DUO itself keeps, its recipient topic and deliver's feed of it. Retiring the
 * key alone is not enough: a kept copy of a record still carries the recipient's pseudonyms beside the
 * enrolment's details, and those details can be matched with the canonical history, which would map the
 * pseudonyms back to persons. The audit stays: it says what was delivered, but holds none of the
 * recipient's identifiers (schemas/audit-event.avsc).
 */

import type { Admin } from '@register-feeds/service-kit';
import type { Agreement } from './agreement.ts';

/** The topics that hold what the recipient received: its recipient topic and, if deliver keeps one, its feed. */
export function receivedDataTopics(agreement: Agreement, feedPrefix: string): string[] {
  return [agreement.output.topic, `${feedPrefix}${agreement.recipient}.v1`];
}

/** Deletes those that exist; returns the names deleted. */
export async function deleteReceivedData(admin: Admin, agreement: Agreement, feedPrefix: string): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const doomed = receivedDataTopics(agreement, feedPrefix).filter((name) => existing.has(name));
  if (doomed.length > 0) await admin.deleteTopics(doomed);
  return doomed;
}
