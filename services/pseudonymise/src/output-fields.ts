/**
 * The fixed catalogue of OUTPUT fields an agreement may name. A new recipient is configuration: it picks
 * from this list. A new kind of field is code and review: it is added here, with its doc (which ends up in
 * the recipient's Avro schema and in the register of processing) and how it is taken from the event.
 *
 * A name is the field's path in the recipient record: `inschrijving.brin` is `record.inschrijving.brin`.
 *
 * The names, and the value each field has in a record, are the recipient contract's (OutputFieldValues in
 * @register-feeds/contracts), which deliver's projections read records with: the compiler holds every
 * entry here to it (its group and leaf, whether it can be null, what its extractor returns), so a field
 * cannot be added, renamed or retyped on one side of the recipient topics only.
 */

import type {
  BpvStatus,
  EnvelopeFieldName as ContractEnvelopeName,
  OutputFieldName as ContractFieldName,
  FieldGroup,
  GroupOf,
  LeafOf,
  Leeftijd,
  OutputFieldValues,
} from '@register-feeds/contracts';
import { EVENT_TYPES, LEERWEGEN, type RegisterEvent, SECTORS } from '@register-feeds/register-model';

export type { BpvStatus, FieldGroup } from '@register-feeds/contracts';

/** An Avro type in schema JSON (never the null branch; output-schema.ts adds it where a field can be left out). */
export type AvroSchema = string | Record<string, unknown> | readonly unknown[];

/** What a field's value is taken from, beyond the event itself. */
export interface ExtractContext {
  event: RegisterEvent;
  /** the agreement's ages for this event; the age is null when the person was not yet born on that date */
  leeftijden: Leeftijd[];
  /** the recipient's pseudonym of the enrolment, when its agreement lists it (pseudonym.ts) */
  inschrijvingPseudonym: () => string;
}

export interface OutputFieldSpec {
  /** the sub-record it lives in, or null for a top-level field */
  group: FieldGroup | null;
  /** the Avro field name inside its group */
  leaf: string;
  doc: string;
  type: AvroSchema;
  /** the event itself can leave it out (an optional register field, or a BpvVerwijderd without details) */
  nullableInEvent: boolean;
  /** null only when the event has no value; for bpv fields the caller handles an event without a BPV */
  extract: (context: ExtractContext) => unknown;
}

/**
 * What the compiler holds each catalogue entry to, from the contract: the group and leaf its name says,
 * nullable exactly when the contract's value can be null, and an extractor of the contract's value (a bpv
 * field's is null on an event without a BPV; the caller then sends the group as null).
 */
type ContractOf<N extends ContractFieldName> = {
  group: GroupOf<N>;
  leaf: LeafOf<N>;
  nullableInEvent: null extends OutputFieldValues[N] ? true : false;
  extract: (context: ExtractContext) => N extends `bpv.${string}` ? OutputFieldValues[N] | null : OutputFieldValues[N];
};

/** Status of a BPV for Stagemarkt: removed wins over ended, ended is an actual end date. */
export function bpvStatus(event: RegisterEvent): BpvStatus | null {
  if (event.bpv === null) return null;
  if (event.eventType === 'BpvVerwijderd') return 'verwijderd';
  return event.bpv.werkelijkeEinddatum === null ? 'actueel' : 'beeindigd';
}

const date = { type: 'int', logicalType: 'date' } as const;
const bpv = ({ event }: ExtractContext) => event.bpv;

// const type parameters keep the literal group, leaf and null-ness, and the extractor's own return type,
// for the check against the contract below
const spec = <const G extends FieldGroup | null, const L extends string, const Nullable extends boolean, V>(
  group: G,
  leaf: L,
  doc: string,
  type: AvroSchema,
  nullableInEvent: Nullable,
  extract: (context: ExtractContext) => V,
) => ({ group, leaf, doc, type, nullableInEvent, extract });

export const OUTPUT_FIELDS = {
  'persoon.nummer': spec(
    'persoon',
    'nummer',
    'The person number itself: the BSN or, for a student without one, the onderwijsnummer (9 digits).',
    'string',
    false,
    ({ event }) => event.persoon.identificatie.nummer,
  ),
  'persoon.soort': spec(
    'persoon',
    'soort',
    'Which kind of number persoon.nummer is.',
    {
      type: 'enum',
      name: 'IdentificatieSoort',
      doc: 'BSN (burgerservicenummer) or ONDERWIJSNUMMER (stand-in for a student without a BSN).',
      symbols: ['BSN', 'ONDERWIJSNUMMER'],
    },
    false,
    ({ event }) => event.persoon.identificatie.soort,
  ),
  'persoon.naam': spec(
    'persoon',
    'naam',
    "The student's name as registered.",
    {
      type: 'record',
      name: 'Naam',
      doc: 'A Dutch name: given names, optional prefix (voorvoegsel) and surname.',
      fields: [
        { name: 'voornamen', doc: 'Given names.', type: 'string' },
        { name: 'voorvoegsel', doc: "Surname prefix such as 'van der'; null when there is none.", type: ['null', 'string'], default: null },
        { name: 'achternaam', doc: 'Surname without prefix.', type: 'string' },
      ],
    },
    false,
    ({ event }) => ({ ...event.persoon.naam }),
  ),
  'persoon.geboortedatum': spec(
    'persoon',
    'geboortedatum',
    'Birth date, days since 1970-01-01.',
    date,
    false,
    ({ event }) => event.persoon.geboortedatum,
  ),
  leeftijden: spec(
    null,
    'leeftijden',
    "The student's ages on the reference dates of the agreement, instead of the birth date.",
    {
      type: 'array',
      items: {
        type: 'record',
        name: 'Leeftijd',
        doc: 'The age in completed years on one reference date.',
        fields: [
          { name: 'label', doc: "The reference date's name in the agreement.", type: 'string' },
          { name: 'peildatum', doc: 'The reference date, days since 1970-01-01.', type: date },
          {
            name: 'leeftijd',
            doc: 'Completed years on the reference date; null when the student was not yet born then.',
            type: ['null', 'int'],
            default: null,
          },
        ],
      },
    },
    false,
    ({ leeftijden }) => leeftijden.map((age) => ({ ...age })),
  ),
  sector: spec(
    null,
    'sector',
    'Soort onderwijs (code onderwijs) of the enrolment.',
    { type: 'enum', name: 'Sector', doc: 'PO primary, VO secondary, MBO vocational education.', symbols: [...SECTORS] },
    false,
    ({ event }) => event.sector,
  ),
  'inschrijving.brin': spec('inschrijving', 'brin', 'BRIN of the institution.', 'string', false, ({ event }) => event.inschrijving.brin),
  'inschrijving.brinVestiging': spec(
    'inschrijving',
    'brinVestiging',
    'BRIN vestiging (branch): the BRIN plus 2 digits; null when not given.',
    'string',
    true,
    ({ event }) => event.inschrijving.brinVestiging,
  ),
  'inschrijving.locatiecodeMbo': spec(
    'inschrijving',
    'locatiecodeMbo',
    'Teaching location of an MBO institution; null outside MBO or when not given.',
    'string',
    true,
    ({ event }) => event.inschrijving.locatiecodeMbo,
  ),
  'inschrijving.inschrijvingsvolgnummer': spec(
    'inschrijving',
    'inschrijvingsvolgnummer',
    'Sequence number of this enrolment of this student at this institution.',
    'string',
    false,
    ({ event }) => event.inschrijving.inschrijvingsvolgnummer,
  ),
  'inschrijving.inschrijvingPseudonym': spec(
    'inschrijving',
    'inschrijvingPseudonym',
    "This recipient's own pseudonym of the enrolment (person, institution and the institution's sequence number): the same enrolment gets the same value, so enrolments can be told apart and followed, without the inschrijvingsvolgnummer that the institution and other recipients hold. '<key version>.<base64url HMAC-SHA-256>'.",
    'string',
    false,
    ({ inschrijvingPseudonym }) => inschrijvingPseudonym(),
  ),
  'inschrijving.opleidingscode': spec(
    'inschrijving',
    'opleidingscode',
    'Programme code: crebo (5 digits) for MBO, 4 or 5 digits for PO and VO.',
    'string',
    false,
    ({ event }) => event.inschrijving.opleidingscode,
  ),
  'inschrijving.leerweg': spec(
    'inschrijving',
    'leerweg',
    'MBO route (leertraject): BOL or BBL; null outside MBO or when not given.',
    { type: 'enum', name: 'Leerweg', doc: 'BOL school-based, BBL work-based.', symbols: [...LEERWEGEN] },
    true,
    ({ event }) => event.inschrijving.leerweg,
  ),
  'inschrijving.niveau': spec(
    'inschrijving',
    'niveau',
    'MBO level 1 to 4; null outside MBO or when not given.',
    'int',
    true,
    ({ event }) => event.inschrijving.niveau,
  ),
  'inschrijving.leerjaar': spec(
    'inschrijving',
    'leerjaar',
    'Year of study, PO 1 to 8 and VO 1 to 6; null for MBO or when not given.',
    'int',
    true,
    ({ event }) => event.inschrijving.leerjaar,
  ),
  'inschrijving.groep': spec(
    'inschrijving',
    'groep',
    'PO group 1 to 8; null outside PO or when not given.',
    'int',
    true,
    ({ event }) => event.inschrijving.groep,
  ),
  'inschrijving.begindatum': spec(
    'inschrijving',
    'begindatum',
    'Start of the enrolment (date of inschrijving), days since 1970-01-01.',
    date,
    false,
    ({ event }) => event.inschrijving.begindatum,
  ),
  'inschrijving.einddatum': spec(
    'inschrijving',
    'einddatum',
    'End of the enrolment (date of uitschrijving), days since 1970-01-01; null while it runs.',
    date,
    true,
    ({ event }) => event.inschrijving.einddatum,
  ),
  'bpv.bpvVolgnummer': spec(
    'bpv',
    'bpvVolgnummer',
    'Sequence number of the BPV within its enrolment: tells several BPVs of one enrolment apart.',
    'int',
    false,
    (context) => bpv(context)?.bpvVolgnummer ?? null,
  ),
  'bpv.leerbedrijf': spec(
    'bpv',
    'leerbedrijf',
    'The recognised company (leerbedrijf); null on a removal that left it out.',
    {
      type: 'record',
      name: 'Leerbedrijf',
      doc: 'A recognised company where the internship takes place.',
      fields: [
        { name: 'id', doc: "The company's identifier in the register of recognised companies.", type: 'string' },
        { name: 'naam', doc: "The company's name.", type: 'string' },
      ],
    },
    true,
    (context) => {
      const leerbedrijf = bpv(context)?.leerbedrijf;
      return leerbedrijf ? { ...leerbedrijf } : null;
    },
  ),
  'bpv.opleidingscodeBpv': spec(
    'bpv',
    'opleidingscodeBpv',
    'Crebo of the programme the BPV is for; null when not given.',
    'string',
    true,
    (context) => bpv(context)?.opleidingscodeBpv ?? null,
  ),
  'bpv.codeKeuzedeel': spec(
    'bpv',
    'codeKeuzedeel',
    'Code of the elective (keuzedeel) the BPV is for; null when not given.',
    'string',
    true,
    (context) => bpv(context)?.codeKeuzedeel ?? null,
  ),
  'bpv.begindatum': spec(
    'bpv',
    'begindatum',
    'Start of the BPV, days since 1970-01-01; null on a removal that left it out.',
    date,
    true,
    (context) => bpv(context)?.begindatum ?? null,
  ),
  'bpv.geplandeEinddatum': spec(
    'bpv',
    'geplandeEinddatum',
    'Planned end of the BPV, days since 1970-01-01; null on a removal that left it out.',
    date,
    true,
    (context) => bpv(context)?.geplandeEinddatum ?? null,
  ),
  'bpv.werkelijkeEinddatum': spec(
    'bpv',
    'werkelijkeEinddatum',
    'Actual end of the BPV, days since 1970-01-01; null while it runs.',
    date,
    true,
    (context) => bpv(context)?.werkelijkeEinddatum ?? null,
  ),
  'bpv.omvangUren': spec(
    'bpv',
    'omvangUren',
    'Size of the BPV in hours (omvang); null on a removal that left it out.',
    'int',
    true,
    (context) => bpv(context)?.omvangUren ?? null,
  ),
  'bpv.status': spec(
    'bpv',
    'status',
    'Status of the BPV for Stagemarkt, derived: verwijderd on a removal, beeindigd once it has an actual end date, actueel otherwise.',
    {
      type: 'enum',
      name: 'BpvStatus',
      doc: 'actueel (running), beeindigd (ended), verwijderd (removed from the register).',
      symbols: ['actueel', 'beeindigd', 'verwijderd'],
    },
    false,
    ({ event }) => bpvStatus(event),
  ),
} as const satisfies { [N in ContractFieldName]: OutputFieldSpec & ContractOf<N> };

export type OutputFieldName = keyof typeof OUTPUT_FIELDS;

export const OUTPUT_FIELD_NAMES = Object.keys(OUTPUT_FIELDS) as OutputFieldName[];

export function isOutputFieldName(name: string): name is OutputFieldName {
  return Object.hasOwn(OUTPUT_FIELDS, name);
}

/**
 * Fields every record carries, whatever the agreement says, so a recipient can order, deduplicate and
 * interpret what it gets: they are not listed in an agreement. Each is the recipient's own: nothing here
 * equals what another recipient gets for the same change (README, Privacy guarantees). occurredAt only
 * when the agreement's timePrecision is finer than the date; persoon.pseudonym when the record is keyed by
 * the recipient's own pseudonym (see minimise.ts).
 */
export const ENVELOPE_FIELDS = {
  recordId: {
    doc: "This recipient's own id of the change this record comes from: the same id means the same change (idempotence). '<key version>.<base64url HMAC-SHA-256>' of the register's event id under this recipient's key, so it cannot be matched with another recipient's records and dies with the key.",
    type: 'string',
  },
  eventType: {
    doc: 'What happened: an enrolment or a BPV registered, changed, ended or removed.',
    type: { type: 'enum', name: 'EventType', doc: 'The eight kinds of change in the register.', symbols: [...EVENT_TYPES] },
  },
  occurredOn: {
    doc: 'The date of the change in the register (Europe/Amsterdam), days since 1970-01-01.',
    type: { type: 'int', logicalType: 'date' },
  },
  order: {
    doc: "Orders this recipient's changes within one occurredOn: a later change of that day has a higher order, the same instant the same order (then recordId decides). Not a time: a keyed, strictly increasing function of the time of day, drawn anew per day; comparable only within one occurredOn.",
    type: 'long',
  },
  occurredAt: {
    doc: "When the change happened in the register, UTC epoch milliseconds, truncated to the agreement's time precision.",
    type: { type: 'long', logicalType: 'timestamp-millis' },
  },
  'persoon.pseudonym': {
    doc: "The recipient's own pseudonym for the student: '<key version>.<base64url HMAC-SHA-256>', the same for the same person as long as the key version is the same, and unlinkable to any other recipient's pseudonym.",
    type: 'string',
  },
} as const satisfies { [N in ContractEnvelopeName]: { doc: string; type: AvroSchema } };

export type EnvelopeFieldName = keyof typeof ENVELOPE_FIELDS;
