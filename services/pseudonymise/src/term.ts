/** Whether an agreement applies at an instant and to an event (DOMAIN.md rule 4: outside the term, nothing). */

import type { EpochMillis, RegisterEvent } from '@register-feeds/register-model';
import { amsterdamEpochDay } from '@register-feeds/register-model';
import type { Agreement } from './agreement.ts';

/** The term is in whole calendar days in Europe/Amsterdam, both ends included. */
export function isWithinTerm(term: Agreement['term'], now: EpochMillis): boolean {
  const today = amsterdamEpochDay(now);
  return today >= term.from && (term.to === null || today <= term.to);
}

export function isForRecipient(event: RegisterEvent, agreement: Agreement): boolean {
  return agreement.events.includes(event.eventType) && agreement.sectors.includes(event.sector);
}
