/**
 * One canonical event and one agreement to what that recipient may receive (DOMAIN.md rules 1-4), or
 * null when it receives nothing. Pure: the time (for the term and the delivery date) and the key come in
 * as arguments, and ages come from the event's own date, so a replay on the same day gives the same records.
 *
 * Always in a record: recordId, eventType, occurredOn and order (to order and deduplicate), each the
 * recipient's own (no value another recipient gets for the same change), and persoon.pseudonym whenever the
 * record is keyed by the recipient's pseudonym. Every other field is one the agreement lists; a field whose
 * condition does not hold, or that the event does not have, is null (the Avro schema has a place for it)
 * and is left out of fieldsSent, which lists only the fields that carried a value.
 *
 * Every record needs the recipient's key (its record id is made with it), so a recipient without a key,
 * never issued or retired (crypto-shredded), receives nothing.
 */

import { amsterdamDayStart, amsterdamEpochDay, type EpochMillis, type RegisterEvent } from '@register-feeds/register-model';
import { ageOn, eventDate, referenceDates } from './ages.ts';
import type { Agreement, TimePrecision } from './agreement.ts';
import type { RecipientKey } from './keys.ts';
import { orderTokenFor } from './order-token.ts';
import { type ExtractContext, OUTPUT_FIELDS } from './output-fields.ts';
import { holds, type PredicateFacts } from './predicates.ts';
import { enrolmentPseudonymFor, pseudonymFor, recordIdFor } from './pseudonym.ts';
import { type FieldSlot, pseudonymUse, recordLayout, type Slot } from './record-layout.ts';
import { isForRecipient, isWithinTerm } from './term.ts';

/** The instant truncated to a precision finer than the date. */
function truncate(epochMillis: EpochMillis, precision: TimePrecision): EpochMillis {
  return precision === 'second' ? Math.floor(epochMillis / 1000) * 1000 : epochMillis;
}

/**
 * The Kafka timestamp of a recipient record: the start of the delivery date in Europe/Amsterdam. The
 * production instant would be the same, to the millisecond, in every recipient's record of one event; the
 * delivery date is shared by everything delivered that day, and retention still counts from it.
 */
export function recordTimestamp(now: EpochMillis): string {
  return String(amsterdamDayStart(now));
}

export interface RecipientRecord {
  /** the Kafka key: the BSN or onderwijsnummer when it is sent in this record, otherwise the pseudonym */
  key: string;
  /** the value, shaped as recipientSchema(agreement) */
  record: Record<string, unknown>;
  /** names (catalogue and envelope) of the fields that carried a value, for the audit trail */
  fieldsSent: string[];
  /** the key version that made the record id and any pseudonym */
  keyVersion: string;
}

/** The slot of persoon.nummer in an agreement's layout, if it has one; looked up once per agreement. */
const numberSlots = new WeakMap<Agreement, FieldSlot | undefined>();
function numberSlotOf(agreement: Agreement, layout: readonly Slot[]): FieldSlot | undefined {
  if (numberSlots.has(agreement)) return numberSlots.get(agreement);
  const found = layout.flatMap((slot) => (slot.kind === 'group' ? slot.fields : [slot])).find((slot) => slot.name === 'persoon.nummer');
  numberSlots.set(agreement, found);
  return found;
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

  // Every record needs the key: without it (retired or never issued) nothing about this person goes out.
  if (key === undefined) return null;

  const birth = event.persoon.geboortedatum;
  const ageAt = (day: number): number | null => (day < birth ? null : ageOn(birth, day));
  const occurredOn = eventDate(event.occurredAt);
  const facts: PredicateFacts = {
    sector: event.sector,
    ageOnEventDate: ageAt(occurredOn) ?? 0,
    ageOnDeliveryDate: ageAt(amsterdamEpochDay(now)) ?? 0,
  };
  if (agreement.recordWhen !== null && !holds(agreement.recordWhen, facts)) return null;
  const allowed = (slot: FieldSlot) => slot.conditions.every((condition) => holds(condition.when, facts));

  const layout = recordLayout(agreement);
  const use = pseudonymUse(agreement);
  const numberSlot = numberSlotOf(agreement, layout);
  const sendsNumber = use !== 'always' && numberSlot !== undefined && allowed(numberSlot);
  const { identificatie } = event.persoon;
  const pseudonym = sendsNumber ? null : pseudonymFor(identificatie, key);

  const context: ExtractContext = {
    event,
    leeftijden: referenceDates(agreement.ages, event.occurredAt).map(({ label, epochDay }) => ({
      label,
      peildatum: epochDay,
      leeftijd: ageAt(epochDay),
    })),
    inschrijvingPseudonym: () =>
      enrolmentPseudonymFor(identificatie, event.inschrijving.brin, event.inschrijving.inschrijvingsvolgnummer, key),
  };
  const envelope = {
    recordId: () => recordIdFor(event.eventId, key),
    eventType: () => event.eventType,
    occurredOn: () => occurredOn,
    order: () => orderTokenFor(event.occurredAt, occurredOn, key),
    occurredAt: () => truncate(event.occurredAt, agreement.timePrecision),
    'persoon.pseudonym': () => pseudonym,
  };
  const fieldsSent: string[] = [];
  const value = (slot: FieldSlot): unknown => {
    let found: unknown;
    if (Object.hasOwn(envelope, slot.name)) found = envelope[slot.name as keyof typeof envelope]();
    else found = allowed(slot) ? OUTPUT_FIELDS[slot.name as keyof typeof OUTPUT_FIELDS].extract(context) : null;
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
    key: pseudonym ?? identificatie.nummer,
    record,
    fieldsSent,
    keyVersion: key.version,
  };
}
