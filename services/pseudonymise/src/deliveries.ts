import { fromEpochDay, type RegisterEvent } from '@register-feeds/register-model';
import type { Agreement } from './agreement.ts';
import type { KeyStore } from './keys.ts';
import { applyAgreement } from './minimise.ts';

/** Where a canonical event was read; the audit record points back at it. */
export interface EventSource {
  topic: string;
  partition: number;
  offset: string;
}

export interface Delivery {
  agreement: Agreement;
  key: string;
  record: Record<string, unknown>;
  audit: {
    recipient: string;
    legalBasis: string;
    purpose: string;
    agreementTermFrom: string;
    outputTopic: string;
    fieldsSent: string[];
    identity: string;
    keyVersion: string | null;
    sourceEventId: string;
    sourceTopic: string;
    sourcePartition: number;
    sourceOffset: number;
    deliveredAt: number;
  };
}

/**
 * The fan-out of one canonical event, pure: for every agreement, the record that recipient may receive
 * (or nothing) and the audit entry that accounts for it. `now` is the instant of delivery: the agreement
 * term is checked against it and the audit says it.
 */
export function deliveriesFor(
  event: RegisterEvent,
  source: EventSource,
  agreements: readonly Agreement[],
  keys: KeyStore,
  now: number,
): Delivery[] {
  const out: Delivery[] = [];
  for (const agreement of agreements) {
    const made = applyAgreement(event, agreement, keys.keyFor(agreement.recipient), now);
    if (!made) continue;
    out.push({
      agreement,
      key: made.key,
      record: made.record,
      audit: {
        recipient: agreement.recipient,
        legalBasis: agreement.legalBasis,
        purpose: agreement.purpose,
        agreementTermFrom: fromEpochDay(agreement.term.from),
        outputTopic: agreement.output.topic,
        fieldsSent: made.fieldsSent,
        identity: agreement.identity,
        keyVersion: made.keyVersion,
        sourceEventId: event.eventId,
        sourceTopic: source.topic,
        sourcePartition: source.partition,
        sourceOffset: Number(source.offset),
        deliveredAt: now,
      },
    });
  }
  return out;
}
