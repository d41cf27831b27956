import { fromEpochDay, type RegisterEvent } from '@register-feeds/register-model';
import type { Agreement } from './agreement.ts';
import type { KeyStore } from './keys.ts';
import { applyAgreement, type RecipientRecord } from './minimise.ts';

/** Where a canonical event was read; the audit entry points back at it. */
export interface EventSource {
  topic: string;
  partition: number;
  offset: string;
}

export interface Delivery extends RecipientRecord {
  agreement: Agreement;
}

/** One entry of the audit topic (schemas/audit-event.avsc): one canonical event and everyone who got it. */
export interface AuditEntry {
  eventId: string;
  sourceTopic: string;
  sourcePartition: number;
  sourceOffset: number;
  deliveredAt: number;
  deliveries: {
    recipient: string;
    legalBasis: string;
    purpose: string;
    agreementTermFrom: string;
    outputTopic: string;
    fieldsSent: string[];
    identity: string;
    keyVersion: string;
  }[];
}

export interface FanOut {
  deliveries: Delivery[];
  /** null when no recipient got anything */
  audit: AuditEntry | null;
}

/**
 * The fan-out of one canonical event, pure: for every agreement, the record that recipient may receive
 * (or nothing), and one audit entry that accounts for all of them. `now` is the instant of delivery: the
 * agreement terms and delivery-date conditions are checked against it and the audit says it.
 *
 * One entry per event rather than per delivered record: it answers the same questions (which data went to
 * whom, when, on which legal basis, from which event) with a fifth of the records for five recipients, and
 * it holds nothing of the recipient's own identifiers, so it cannot undo a crypto-shredding.
 */
/** An agreement's term start as written in the audit, made once per agreement (agreements are fixed once loaded). */
const termFroms = new WeakMap<Agreement, string>();
function termFromOf(agreement: Agreement): string {
  let from = termFroms.get(agreement);
  if (from === undefined) {
    from = fromEpochDay(agreement.term.from);
    termFroms.set(agreement, from);
  }
  return from;
}

export function deliveriesFor(
  event: RegisterEvent,
  source: EventSource,
  agreements: readonly Agreement[],
  keys: KeyStore,
  now: number,
): FanOut {
  const deliveries: Delivery[] = [];
  for (const agreement of agreements) {
    const made = applyAgreement(event, agreement, keys.keyFor(agreement.recipient), now);
    if (made) deliveries.push({ agreement, ...made });
  }
  if (deliveries.length === 0) return { deliveries, audit: null };
  return {
    deliveries,
    audit: {
      eventId: event.eventId,
      sourceTopic: source.topic,
      sourcePartition: source.partition,
      sourceOffset: Number(source.offset),
      deliveredAt: now,
      deliveries: deliveries.map(({ agreement, fieldsSent, keyVersion }) => ({
        recipient: agreement.recipient,
        legalBasis: agreement.legalBasis,
        purpose: agreement.purpose,
        agreementTermFrom: termFromOf(agreement),
        outputTopic: agreement.output.topic,
        fieldsSent,
        identity: agreement.identity,
        keyVersion,
      })),
    },
  };
}
