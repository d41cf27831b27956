/**
 * The Avro schema of one recipient's records, made from its agreement: only the fields it may receive plus
 * the envelope, every field documented, a field nullable where a condition or the event can leave it out.
 * Registered per recipient topic, so what a recipient can get is visible in the schema registry too.
 */

import { basename } from 'node:path';
import type { Agreement } from './agreement.ts';
import { describePredicate } from './predicates.ts';
import { type FieldSlot, GROUP_DOCS, recordLayout } from './record-layout.ts';

export const RECIPIENT_NAMESPACE = 'nl.onderwijs.register.v1.recipient';

/** 'sbb-stagemarkt' to 'SbbStagemarkt'. */
export function camelCaseId(recipient: string): string {
  return recipient
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

function fieldDoc(slot: FieldSlot): string {
  if (slot.name === 'persoon.pseudonym' && slot.nullable) return `${slot.doc} Sent when persoon.nummer is withheld; null otherwise.`;
  if (slot.conditions.length === 0) return slot.doc;
  return `${slot.doc} Sent only when ${slot.conditions.map((condition) => describePredicate(condition.when)).join(' and ')}; null otherwise.`;
}

function avroField(slot: FieldSlot): Record<string, unknown> {
  const doc = fieldDoc(slot);
  return slot.nullable ? { name: slot.leaf, doc, type: ['null', slot.type], default: null } : { name: slot.leaf, doc, type: slot.type };
}

export function recipientSchema(agreement: Agreement): Record<string, unknown> {
  const id = camelCaseId(agreement.recipient);
  const fields = recordLayout(agreement).map((slot) => {
    if (slot.kind === 'field') return avroField(slot);
    const type = {
      type: 'record',
      name: `${id}${camelCaseId(slot.group)}`,
      doc: GROUP_DOCS[slot.group],
      fields: slot.fields.map(avroField),
    };
    return slot.nullable
      ? { name: slot.group, doc: `${GROUP_DOCS[slot.group]} Null on an enrolment event.`, type: ['null', type], default: null }
      : { name: slot.group, doc: GROUP_DOCS[slot.group], type };
  });
  return {
    type: 'record',
    name: `${id}Record`,
    namespace: RECIPIENT_NAMESPACE,
    doc: `What ${agreement.name} receives from the education register under ${agreement.legalBasis}, for: ${agreement.purpose}. Made from agreements/${basename(agreement.source)}: only the fields that agreement allows.${agreement.recordWhen === null ? '' : ` A record is delivered only when ${describePredicate(agreement.recordWhen)}.`}`,
    fields,
  };
}
