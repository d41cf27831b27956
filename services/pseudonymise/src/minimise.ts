/**
 * One canonical event and one agreement to what that recipient may receive (DOMAIN.md rules 1-4), or
 * null when it receives nothing. Pure: the time (for the term) and the key come in as arguments, and ages
 * come from the event's own date, so a replay gives the same records.
 *
 * Always in a record: eventId, eventType and occurredAt (to order and deduplicate), and persoon.pseudonym
 * whenever the record is keyed by the recipient's pseudonym. Every other field is one the agreement lists;
 * a field whose condition does not hold, or that the event does not have, is null (the Avro schema has a
 * place for it) and is left out of fieldsSent, which lists only the fields that carried a value.
 */

import type { EpochMillis, RegisterEvent } from '@register-feeds/register-model';
import { ageOn, eventDate, referenceDates } from './ages.ts';
import type { Agreement } from './agreement.ts';
import type { RecipientKey } from './keys.ts';
import { type ExtractContext, OUTPUT_FIELDS } from './output-fields.ts';
import { holds, type PredicateFacts } from './predicates.ts';
import { pseudonymFor } from './pseudonym.ts';
import { type FieldSlot, pseudonymUse, recordLayout } from './record-layout.ts';
import { isForRecipient, isWithinTerm } from './term.ts';

export interface RecipientRecord {
  /** the Kafka key: the BSN or onderwijsnummer when it is sent in this record, otherwise the pseudonym */
  key: string;
  /** the value, shaped as recipientSchema(agreement) */
  record: Record<string, unknown>;
  /** names (catalogue and envelope) of the fields that carried a value, for the audit trail */
  fieldsSent: string[];
  /** the key version that made the pseudonym, or null when no pseudonym was made */
  keyVersion: string | null;
}

export function applyAgreement(
  event: RegisterEvent,
  agreement: Agreement,
  key: RecipientKey | undefined,
  now: EpochMillis,
): RecipientRecord | null {
  if (!isForRecipient(event, agreement) || !isWithinTerm(agreement.term, now)) return null;
  if (key !== undefined && key.recipient !== agreement.recipient) {
    // A programmer error, and a dangerous one: it would hand this recipient another recipient's pseudonyms.
    throw new Error(`applyAgreement: a key of ${key.recipient} was given for ${agreement.recipient}`);
  }

  const birth = event.persoon.geboortedatum;
  const ageAt = (day: number): number | null => (day < birth ? null : ageOn(birth, day));
  const facts: PredicateFacts = { sector: event.sector, ageOnEventDate: ageAt(eventDate(event.occurredAt)) ?? 0 };
  const allowed = (slot: FieldSlot) => slot.conditions.every((condition) => holds(condition.when, facts));

  const layout = recordLayout(agreement);
  const use = pseudonymUse(agreement);
  const numberSlot = layout
    .flatMap((slot) => (slot.kind === 'group' ? slot.fields : [slot]))
    .find((slot) => slot.name === 'persoon.nummer');
  const sendsNumber = use !== 'always' && numberSlot !== undefined && allowed(numberSlot);
  // Retired (crypto-shredded) or never issued: without a key nothing about this person can go out.
  if (!sendsNumber && key === undefined) return null;
  const pseudonym = !sendsNumber && key !== undefined ? pseudonymFor(event.persoon.identificatie, key) : null;

  const context: ExtractContext = {
    event,
    leeftijden: referenceDates(agreement.ages, event.occurredAt).map(({ label, epochDay }) => ({
      label,
      peildatum: epochDay,
      leeftijd: ageAt(epochDay),
    })),
  };
  const fieldsSent: string[] = [];
  const value = (slot: FieldSlot): unknown => {
    let found: unknown;
    if (slot.name === 'eventId' || slot.name === 'eventType' || slot.name === 'occurredAt') found = event[slot.name];
    else if (slot.name === 'persoon.pseudonym') found = pseudonym;
    else found = allowed(slot) ? OUTPUT_FIELDS[slot.name].extract(context) : null;
    if (found !== null) fieldsSent.push(slot.name);
    return found;
  };

  const record: Record<string, unknown> = {};
  for (const slot of layout) {
    if (slot.kind === 'field') {
      record[slot.leaf] = value(slot);
    } else if (slot.group === 'bpv' && event.bpv === null) {
      record[slot.group] = null;
    } else {
      record[slot.group] = Object.fromEntries(slot.fields.map((field) => [field.leaf, value(field)]));
    }
  }

  return {
    key: pseudonym ?? event.persoon.identificatie.nummer,
    record,
    fieldsSent,
    keyVersion: pseudonym === null ? null : (key?.version ?? null),
  };
}
