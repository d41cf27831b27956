/**
 * The audit entry of one snapshot delivery (schemas/audit-snapshot-delivery.avsc), pure: which recipient got
 * which snapshot, on which legal basis and for which purpose, when, of which peildatum and knowledge time,
 * and what it held (rows, columns, checksum). Like the stream's audit (services/pseudonymise/src/deliveries.ts)
 * it names fields, never values: no person identifier and none of the recipient's pseudonyms or record ids.
 */

import { fromEpochDay } from '@register-feeds/register-model';
import type { ScheduledDelivery } from './schedule.ts';

export const SNAPSHOT_AUDIT_SCHEMA_FILE = 'audit-snapshot-delivery.avsc';

export interface SnapshotAuditEntry {
  deliveryId: string;
  recipient: string;
  legalBasis: string;
  purpose: string;
  agreementTermFrom: string;
  kind: string;
  peildatum: string;
  deliveryDate: string;
  knownAt: number;
  deliveredAt: number;
  format: string;
  file: string;
  rows: number;
  bytes: number;
  sha256: string;
  fieldsSent: string[];
  identity: string;
  keyVersion: string;
  snapshotTopic: string | null;
  historyTopic: string;
  historyEnds: { partition: number; offset: number }[];
}

export interface AuditedAgreement {
  recipient: string;
  legalBasis: string;
  purpose: string;
  identity: string;
  term: { from: number };
}

export interface AuditedSnapshot {
  format: string;
  /** relative to the delivery directory */
  file: string;
  rows: number;
  bytes: number;
  sha256: string;
  columns: readonly { name: string }[];
  historyTopic: string;
  historyEnds: readonly { partition: number; offset: string }[];
}

export function snapshotAuditEntry(
  delivery: ScheduledDelivery,
  agreement: AuditedAgreement,
  snapshot: AuditedSnapshot,
  made: { keyVersion: string; deliveredAt: number; snapshotTopic: string | null },
): SnapshotAuditEntry {
  if (agreement.recipient !== delivery.recipient) {
    throw new Error(`audit: delivery ${delivery.id} is not for ${agreement.recipient}`);
  }
  return {
    deliveryId: delivery.id,
    recipient: agreement.recipient,
    legalBasis: agreement.legalBasis,
    purpose: agreement.purpose,
    agreementTermFrom: fromEpochDay(agreement.term.from),
    kind: delivery.kind,
    peildatum: delivery.peildatum,
    deliveryDate: delivery.deliveryDate,
    knownAt: delivery.knownAt,
    deliveredAt: made.deliveredAt,
    format: snapshot.format,
    file: snapshot.file,
    rows: snapshot.rows,
    bytes: snapshot.bytes,
    sha256: snapshot.sha256,
    fieldsSent: snapshot.columns.map((column) => column.name),
    identity: agreement.identity,
    keyVersion: made.keyVersion,
    snapshotTopic: made.snapshotTopic,
    historyTopic: snapshot.historyTopic,
    // offsets are 64-bit in Kafka; a history past 2^53 records is not in sight, and Avro's long takes a number
    historyEnds: snapshot.historyEnds.map(({ partition, offset }) => ({ partition, offset: Number(offset) })),
  };
}
