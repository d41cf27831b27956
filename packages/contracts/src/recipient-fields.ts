/**
 * The fields of a recipient record, by name, with the value each has once the recipient's Avro schema has
 * decoded it. Defined here once for both sides of the recipient topics: pseudonymise's field catalogue
 * (services/pseudonymise/src/output-fields.ts) must implement exactly these names, with extractors and
 * null-ness the compiler checks against them, and deliver's projections type the records they read with
 * RecipientRecordOf over the names they use (recipient-records.ts). Which fields a recipient gets is the
 * agreement's business (agreements/*.yaml): recipientSchema(agreement) builds its Avro schema from them.
 *
 * A name is the field's path in the record: `inschrijving.brin` is `record.inschrijving.brin`.
 */

import type { EpochDay, EpochMillis, EventType, IdentificatieSoort, Leerweg, Naam, Sector } from '@register-feeds/register-model';

/** One age of `leeftijden`: completed years on one reference date of the agreement; null when not yet born then. */
export interface Leeftijd {
  label: string;
  peildatum: EpochDay;
  leeftijd: number | null;
}

export interface Leerbedrijf {
  id: string;
  naam: string;
}

/** Status of a BPV for Stagemarkt: removed wins over ended, ended is an actual end date. */
export type BpvStatus = 'actueel' | 'beeindigd' | 'verwijderd';

/**
 * The catalogue fields an agreement may name. `| null` where the event itself can leave the value out (an
 * optional register field, or a BpvVerwijderd without details): the Avro field is then a union with null
 * whatever the agreement says. An agreement's conditions can make any other field null too (only for the
 * records the condition excludes); the record types of the projections are checked against the agreements
 * they read for that (test/recipient-records.unit.spec.ts).
 */
export interface OutputFieldValues {
  'persoon.nummer': string;
  'persoon.soort': IdentificatieSoort;
  'persoon.naam': Naam;
  'persoon.geboortedatum': EpochDay;
  leeftijden: Leeftijd[];
  sector: Sector;
  'inschrijving.brin': string;
  'inschrijving.brinVestiging': string | null;
  'inschrijving.locatiecodeMbo': string | null;
  'inschrijving.inschrijvingsvolgnummer': string;
  'inschrijving.inschrijvingPseudonym': string;
  'inschrijving.opleidingscode': string;
  'inschrijving.leerweg': Leerweg | null;
  'inschrijving.niveau': number | null;
  'inschrijving.leerjaar': number | null;
  'inschrijving.groep': number | null;
  'inschrijving.begindatum': EpochDay;
  'inschrijving.einddatum': EpochDay | null;
  'bpv.bpvVolgnummer': number;
  'bpv.leerbedrijf': Leerbedrijf | null;
  'bpv.opleidingscodeBpv': string | null;
  'bpv.codeKeuzedeel': string | null;
  'bpv.begindatum': EpochDay | null;
  'bpv.geplandeEinddatum': EpochDay | null;
  'bpv.werkelijkeEinddatum': EpochDay | null;
  'bpv.omvangUren': number | null;
  'bpv.status': BpvStatus;
}

export type OutputFieldName = keyof OutputFieldValues;

/**
 * The fields every record may carry whatever its agreement lists (ENVELOPE_FIELDS in pseudonymise). The
 * first four are in every record (RecordEnvelope); occurredAt only when the agreement's time precision is
 * finer than the date, persoon.pseudonym when the record is keyed by the recipient's own pseudonym.
 */
export interface EnvelopeFieldValues {
  recordId: string;
  eventType: EventType;
  occurredOn: EpochDay;
  order: number;
  occurredAt: EpochMillis;
  'persoon.pseudonym': string;
}

export type EnvelopeFieldName = keyof EnvelopeFieldValues;

/** The part of the envelope in every recipient record: what a recipient orders and deduplicates by. */
export type RecordEnvelope = Pick<EnvelopeFieldValues, 'recordId' | 'eventType' | 'occurredOn' | 'order'>;

export type RecipientFieldValues = OutputFieldValues & EnvelopeFieldValues;
export type RecipientFieldName = keyof RecipientFieldValues;

/** The sub-records fields are grouped in; the bpv group is null on a record of an enrolment event. */
export type FieldGroup = 'persoon' | 'inschrijving' | 'bpv';

/** The sub-record a field name lives in, or null for a top-level field (checked for pseudonymise's catalogue). */
export type GroupOf<N extends string> = N extends `${infer G extends FieldGroup}.${string}` ? G : null;
/** The Avro field name inside its group. */
export type LeafOf<N extends string> = N extends `${FieldGroup}.${infer L}` ? L : N;

type TopLevel<F extends RecipientFieldName> = F extends `${FieldGroup}.${string}` ? never : F;
type GroupsOf<F extends RecipientFieldName> = F extends `${infer G extends FieldGroup}.${string}` ? G : never;
type GroupRecord<F extends RecipientFieldName, G extends FieldGroup> = {
  [N in F as N extends `${G}.${infer L}` ? L : never]: RecipientFieldValues[N];
};

/**
 * A recipient record holding (at least) the fields F, as its Avro schema decodes it: the envelope, then
 * each top-level field, then each group as a sub-record of its fields. A reader lists the fields it uses;
 * the record may hold more (an agreement may give more than one projection reads).
 */
export type RecipientRecordOf<F extends RecipientFieldName> = RecordEnvelope & {
  [N in TopLevel<F>]: RecipientFieldValues[N];
} & {
  [G in GroupsOf<F>]: G extends 'bpv' ? GroupRecord<F, G> | null : GroupRecord<F, G>;
};

/**
 * Whether each field can be null in a record, as a value for code that checks schemas at run time; the
 * compiler holds it to the types above (a field typed `| null` must say true here, and only such a field).
 * A group's own null-ness is the bpv group's alone (RecipientRecordOf).
 */
export const NULLABLE_FIELDS = {
  'persoon.nummer': false,
  'persoon.soort': false,
  'persoon.naam': false,
  'persoon.geboortedatum': false,
  leeftijden: false,
  sector: false,
  'inschrijving.brin': false,
  'inschrijving.brinVestiging': true,
  'inschrijving.locatiecodeMbo': true,
  'inschrijving.inschrijvingsvolgnummer': false,
  'inschrijving.inschrijvingPseudonym': false,
  'inschrijving.opleidingscode': false,
  'inschrijving.leerweg': true,
  'inschrijving.niveau': true,
  'inschrijving.leerjaar': true,
  'inschrijving.groep': true,
  'inschrijving.begindatum': false,
  'inschrijving.einddatum': true,
  'bpv.bpvVolgnummer': false,
  'bpv.leerbedrijf': true,
  'bpv.opleidingscodeBpv': true,
  'bpv.codeKeuzedeel': true,
  'bpv.begindatum': true,
  'bpv.geplandeEinddatum': true,
  'bpv.werkelijkeEinddatum': true,
  'bpv.omvangUren': true,
  'bpv.status': false,
  recordId: false,
  eventType: false,
  occurredOn: false,
  order: false,
  occurredAt: false,
  'persoon.pseudonym': false,
} as const satisfies { [N in RecipientFieldName]: null extends RecipientFieldValues[N] ? true : false };

/** The groups that are null in a record of an event that has none (a BPV group on an enrolment event). */
export const NULLABLE_GROUPS: ReadonlySet<FieldGroup> = new Set(['bpv']);
