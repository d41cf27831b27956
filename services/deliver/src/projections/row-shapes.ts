/**
 * The row shapes of the three projection kinds (row-shape.ts): the public fields recipients get, with
 * what they mean, and the internal versions that stay inside deliver. A field the fold writes that is
 * missing here would be lost in the feed: row-shapes.unit.spec.ts round-trips real rows of every kind.
 */

import { LEERWEGEN, SECTORS } from '@register-feeds/register-model';
import type { ObjectShape, RowShape } from './row-shape.ts';

const VERSION = {
  type: 'internal',
  description: 'the version (occurredOn, order, recordId) of the last change applied: orders updates (version.ts)',
} as const;

const enrolmentFields = {
  pseudonym: { type: 'string', description: "S-BB's own pseudonym of the student (never the BSN or onderwijsnummer)" },
  leeftijd: { type: 'integer', nullable: true, description: 'age in whole years on the date of the newest change of the enrolment' },
  brin: { type: 'string', description: 'BRIN of the institution' },
  inschrijvingsvolgnummer: { type: 'string', description: "the enrolment's number at the institution" },
  opleidingscode: { type: 'string', description: 'code of the programme (CREBO)' },
  leertraject: { type: 'string', enum: LEERWEGEN, nullable: true, description: 'leerweg: BOL or BBL' },
  niveau: { type: 'integer', nullable: true, description: 'MBO level (1-4)' },
  locatiecodeMbo: { type: 'string', nullable: true, description: 'location code of the MBO institution' },
} as const satisfies ObjectShape;

export const stagemarktShape: RowShape = {
  kind: 'union',
  discriminator: 'kind',
  variants: {
    bpv: {
      title: 'StagemarktBpvRow',
      description:
        'One BPV (internship) with the enrolment it belongs to. Key: `<pseudonym>|<brin>|<inschrijvingsvolgnummer>|<bpvVolgnummer>`.',
      fields: {
        kind: { type: 'string', enum: ['bpv'], description: 'row kind: a BPV' },
        ...enrolmentFields,
        bpvVolgnummer: { type: 'integer', description: "the BPV's sequence number within the enrolment" },
        leerbedrijf: {
          type: 'object',
          nullable: true,
          description: 'the accredited company (leerbedrijf)',
          fields: {
            id: { type: 'string', description: "the leerbedrijf's id" },
            naam: { type: 'string', description: "the leerbedrijf's name" },
          },
        },
        opleidingscodeBpv: { type: 'string', nullable: true, description: 'programme code the BPV is for' },
        codeKeuzedeel: { type: 'string', nullable: true, description: 'code of the elective (keuzedeel)' },
        begindatum: { type: 'date', nullable: true, description: 'start date of the BPV' },
        geplandeEinddatum: { type: 'date', nullable: true, description: 'planned end date of the BPV' },
        werkelijkeEinddatum: { type: 'date', nullable: true, description: 'actual end date; null while the BPV runs' },
        omvangUren: { type: 'integer', nullable: true, description: 'size of the BPV in hours' },
        status: {
          type: 'string',
          enum: ['actueel', 'beeindigd', 'verwijderd'],
          description: 'verwijderd once removed (the BPV or its enrolment), else beeindigd once there is an actual end date, else actueel',
        },
        version: { ...VERSION, nullable: true },
        removedVersion: { ...VERSION, nullable: true, description: 'the version of the newest removal' },
      },
    },
    inschrijving: {
      title: 'StagemarktInschrijvingRow',
      description:
        'One enrolment, so a BPV registered later still gets its fields. Key: `inschrijving|<pseudonym>|<brin>|<inschrijvingsvolgnummer>`.',
      fields: {
        kind: { type: 'string', enum: ['inschrijving'], description: 'row kind: an enrolment' },
        ...enrolmentFields,
        status: { type: 'string', enum: ['actueel', 'verwijderd'], description: 'verwijderd once the enrolment was removed' },
        version: VERSION,
        presentVersion: { ...VERSION, nullable: true, description: 'the version of the newest registration, change or end' },
        removedVersion: { ...VERSION, nullable: true, description: 'the version of the newest removal' },
      },
    },
  },
};

export const svbShape: RowShape = {
  kind: 'object',
  title: 'SvbRow',
  description: 'One person with their enrolments, current and past. Key: the person number (BSN, or onderwijsnummer without one).',
  fields: {
    nummer: { type: 'string', description: 'BSN, or onderwijsnummer for a person without a BSN' },
    soort: { type: 'string', enum: ['BSN', 'ONDERWIJSNUMMER'], description: 'which kind of number nummer is' },
    enrolments: {
      type: 'array',
      description: 'the enrolments, sorted by brin, then inschrijvingsvolgnummer',
      items: {
        brin: { type: 'string', description: 'BRIN of the institution' },
        inschrijvingsvolgnummer: { type: 'string', description: "the enrolment's number at the institution" },
        sector: { type: 'string', enum: SECTORS, description: 'PO, VO or MBO' },
        begindatum: { type: 'date', description: 'date of enrolment (datum inschrijving)' },
        einddatum: { type: 'date', nullable: true, description: 'date of de-enrolment (datum uitschrijving); null while it runs' },
        version: VERSION,
      },
    },
    verwijderd: {
      type: 'array',
      description:
        'enrolments removed (registered in error) within the retention period, so a late older record cannot bring them back; sorted like enrolments',
      items: {
        brin: { type: 'string', description: 'BRIN of the institution' },
        inschrijvingsvolgnummer: { type: 'string', description: "the removed enrolment's number at the institution" },
        version: VERSION,
      },
    },
  },
};

export const ggdShape: RowShape = {
  kind: 'object',
  title: 'GgdRow',
  description:
    'One school location with its students under 18. Key: `<brin>|<brinVestiging>|<locatiecodeMbo>`, an absent part empty (`25LX|25LX01|`).',
  fields: {
    brin: { type: 'string', description: 'BRIN of the institution' },
    brinVestiging: { type: 'string', nullable: true, description: 'BRIN of the branch (PO, VO)' },
    locatiecodeMbo: { type: 'string', nullable: true, description: 'location code (MBO)' },
    students: {
      type: 'array',
      description: 'students under 18 on the reference date, sorted by nummer; never empty',
      items: {
        nummer: { type: 'string', description: 'BSN, or onderwijsnummer for a student without a BSN' },
        naam: {
          type: 'object',
          nullable: true,
          description: "the student's name",
          fields: {
            voornamen: { type: 'string', description: 'first names' },
            voorvoegsel: { type: 'string', nullable: true, description: 'surname prefix (tussenvoegsel)' },
            achternaam: { type: 'string', description: 'surname' },
          },
        },
        geboortedatum: { type: 'date', description: 'date of birth' },
        sector: { type: 'string', enum: SECTORS, description: 'PO, VO or MBO' },
        leerweg: { type: 'string', enum: LEERWEGEN, nullable: true, description: 'BOL or BBL (MBO)' },
        leerjaar: { type: 'integer', nullable: true, description: 'school year (PO, VO)' },
        groep: { type: 'integer', nullable: true, description: 'group (PO)' },
        version: VERSION,
      },
    },
  },
};
