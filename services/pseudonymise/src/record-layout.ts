/**
 * The shape of one recipient's records, worked out once from its agreement and shared by minimise.ts (which
 * fills it) and output-schema.ts (which declares it), so a record always fits its schema.
 *
 * Order: the envelope (recordId, eventType, occurredOn, order, and occurredAt when the agreement's time
 * precision is finer than the date), then top-level fields, then the persoon,
 * inschrijving and bpv sub-records, each in catalogue order whatever the order in the agreement file.
 */

import { INSCHRIJVING_EVENT_TYPES } from '@register-feeds/register-model';
import type { Agreement, Condition } from './agreement.ts';
import {
  type AvroSchema,
  ENVELOPE_FIELDS,
  type EnvelopeFieldName,
  type FieldGroup,
  OUTPUT_FIELD_NAMES,
  OUTPUT_FIELDS,
  type OutputFieldName,
} from './output-fields.ts';

/**
 * How a record names the person. always: the recipient's pseudonym (identity pseudonym). never: the
 * number itself, always allowed (identity bsn without a condition on persoon.nummer). when-number-withheld:
 * the number when its condition holds, the pseudonym otherwise, so a withheld BSN does not leak as the key.
 */
export type PseudonymUse = 'always' | 'never' | 'when-number-withheld';

export interface FieldSlot {
  kind: 'field';
  name: OutputFieldName | EnvelopeFieldName;
  leaf: string;
  doc: string;
  type: AvroSchema;
  nullable: boolean;
  /** the conditions that must all hold for the field to be sent */
  conditions: readonly Condition[];
}

export interface GroupSlot {
  kind: 'group';
  group: FieldGroup;
  /** the whole sub-record is null (bpv on an Inschrijving event) */
  nullable: boolean;
  fields: FieldSlot[];
}

export type Slot = FieldSlot | GroupSlot;

export const GROUP_DOCS: Record<FieldGroup, string> = {
  persoon: 'The student, as far as this recipient may know them.',
  inschrijving: 'The enrolment the change is about (for a BPV event: the enrolment the BPV belongs to).',
  bpv: 'The internship (BPV) the change is about.',
};

export function pseudonymUse(agreement: Agreement): PseudonymUse {
  if (agreement.identity === 'pseudonym') return 'always';
  return agreement.conditions.some((condition) => condition.fields.includes('persoon.nummer')) ? 'when-number-withheld' : 'never';
}

function envelopeSlot(name: EnvelopeFieldName, nullable: boolean): FieldSlot {
  const { doc, type } = ENVELOPE_FIELDS[name];
  return { kind: 'field', name, leaf: name.split('.').at(-1)!, doc, type, nullable, conditions: [] };
}

/** The layout depends on the agreement alone, which is fixed once loaded: made once per agreement, not per event. */
const layouts = new WeakMap<Agreement, Slot[]>();

export function recordLayout(agreement: Agreement): Slot[] {
  let layout = layouts.get(agreement);
  if (!layout) {
    layout = makeRecordLayout(agreement);
    layouts.set(agreement, layout);
  }
  return layout;
}

function makeRecordLayout(agreement: Agreement): Slot[] {
  const fieldSlot = (name: OutputFieldName): FieldSlot => {
    const spec = OUTPUT_FIELDS[name];
    const conditions = agreement.conditions.filter((condition) => condition.fields.includes(name));
    return {
      kind: 'field',
      name,
      leaf: spec.leaf,
      doc: spec.doc,
      type: spec.type,
      nullable: spec.nullableInEvent || conditions.length > 0,
      conditions,
    };
  };
  const listed = OUTPUT_FIELD_NAMES.filter((name) => agreement.fields.includes(name));
  const inGroup = (group: FieldGroup | null) => listed.filter((name) => OUTPUT_FIELDS[name].group === group).map(fieldSlot);

  const use = pseudonymUse(agreement);
  const persoon = [...(use === 'never' ? [] : [envelopeSlot('persoon.pseudonym', use === 'when-number-withheld')]), ...inGroup('persoon')];
  const inschrijving = inGroup('inschrijving');
  const bpv = inGroup('bpv');
  const hasInschrijvingEvents = agreement.events.some((event) => (INSCHRIJVING_EVENT_TYPES as readonly string[]).includes(event));

  return [
    envelopeSlot('recordId', false),
    envelopeSlot('eventType', false),
    envelopeSlot('occurredOn', false),
    envelopeSlot('order', false),
    ...(agreement.timePrecision === 'date' ? [] : [envelopeSlot('occurredAt', false)]),
    ...inGroup(null),
    { kind: 'group', group: 'persoon', nullable: false, fields: persoon },
    ...(inschrijving.length > 0 ? [{ kind: 'group', group: 'inschrijving', nullable: false, fields: inschrijving } as const] : []),
    ...(bpv.length > 0 ? [{ kind: 'group', group: 'bpv', nullable: hasInschrijvingEvents, fields: bpv } as const] : []),
  ];
}
