/**
 * The recipient records deliver's projections read, one definition per shape: the fields each kind of
 * projection uses, as a list (so a test can hold it against the agreements, which decide what a recipient
 * really gets) and as the type derived from that list (so the projection's code is checked against it).
 * Pseudonymise writes these records from the agreements with the field catalogue in recipient-fields.ts;
 * neither side declares a record's shape by hand any more.
 *
 * A recipient configured with a kind must get every field the kind reads, and non-null where the type
 * says so: test/recipient-records.unit.spec.ts checks that against recipientSchema of each agreement.
 */

import type { RecipientFieldName, RecipientRecordOf } from './recipient-fields.ts';

/** S-BB Stagemarkt: per pseudonym, enrolments and their BPVs, with the age on the date of the change. */
export const STAGEMARKT_RECORD_FIELDS = [
  'leeftijden',
  'persoon.pseudonym',
  'inschrijving.brin',
  'inschrijving.locatiecodeMbo',
  'inschrijving.inschrijvingsvolgnummer',
  'inschrijving.opleidingscode',
  'inschrijving.leerweg',
  'inschrijving.niveau',
  'bpv.bpvVolgnummer',
  'bpv.leerbedrijf',
  'bpv.opleidingscodeBpv',
  'bpv.codeKeuzedeel',
  'bpv.begindatum',
  'bpv.geplandeEinddatum',
  'bpv.werkelijkeEinddatum',
  'bpv.omvangUren',
] as const satisfies readonly RecipientFieldName[];

/** SVB kostendelersnorm: per person number, the enrolments with their begin and end dates. */
export const SVB_RECORD_FIELDS = [
  'sector',
  'persoon.nummer',
  'persoon.soort',
  'inschrijving.brin',
  'inschrijving.inschrijvingsvolgnummer',
  'inschrijving.begindatum',
  'inschrijving.einddatum',
] as const satisfies readonly RecipientFieldName[];

/** GGD: per school, the students under 18 with number, name and birth date. */
export const GGD_RECORD_FIELDS = [
  'sector',
  'persoon.nummer',
  'persoon.naam',
  'persoon.geboortedatum',
  'inschrijving.brin',
  'inschrijving.brinVestiging',
  'inschrijving.locatiecodeMbo',
  'inschrijving.leerweg',
  'inschrijving.leerjaar',
  'inschrijving.groep',
] as const satisfies readonly RecipientFieldName[];

export type StagemarktRecord = RecipientRecordOf<(typeof STAGEMARKT_RECORD_FIELDS)[number]>;
export type SvbRecord = RecipientRecordOf<(typeof SVB_RECORD_FIELDS)[number]>;
export type GgdRecord = RecipientRecordOf<(typeof GGD_RECORD_FIELDS)[number]>;

/** The fields each kind of projection reads, by the kind's name in deliver's projection configuration. */
export const RECORD_FIELDS_BY_KIND = {
  stagemarkt: STAGEMARKT_RECORD_FIELDS,
  svb: SVB_RECORD_FIELDS,
  ggd: GGD_RECORD_FIELDS,
} as const satisfies Record<string, readonly RecipientFieldName[]>;
