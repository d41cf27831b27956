/**
 * The canonical event, the TypeScript twin of schemas/register-event.avsc, in the shape avsc 5.7.9
 * encodes and decodes without logical-type implementations: a timestamp-millis is the underlying long
 * (epoch milliseconds as a number), a date is the underlying int (days since 1970-01-01), an optional
 * field is null when absent (never undefined, so a decoded event equals the one that was encoded), and
 * a ["null", record] union is the record itself or null.
 */

import type { EventType, Leerweg, Sector } from './vocabulary.ts';

/** Milliseconds since 1970-01-01T00:00:00Z (Avro long, logicalType timestamp-millis). */
export type EpochMillis = number;
/** Days since 1970-01-01 (Avro int, logicalType date). */
export type EpochDay = number;

export type IdentificatieSoort = 'BSN' | 'ONDERWIJSNUMMER';

export interface Identificatie {
  soort: IdentificatieSoort;
  nummer: string;
}

export interface Naam {
  voornamen: string;
  voorvoegsel: string | null;
  achternaam: string;
}

export interface Persoon {
  identificatie: Identificatie;
  geboortedatum: EpochDay;
  naam: Naam;
}

export interface Inschrijving {
  brin: string;
  brinVestiging: string | null;
  locatiecodeMbo: string | null;
  inschrijvingsvolgnummer: string;
  opleidingscode: string;
  leerweg: Leerweg | null;
  niveau: number | null;
  leerjaar: number | null;
  groep: number | null;
  begindatum: EpochDay;
  einddatum: EpochDay | null;
}

export interface Leerbedrijf {
  id: string;
  naam: string;
}

/** Every field but bpvVolgnummer is null only on a BpvVerwijderd that left it out. */
export interface Bpv {
  bpvVolgnummer: number;
  leerbedrijf: Leerbedrijf | null;
  opleidingscodeBpv: string | null;
  codeKeuzedeel: string | null;
  begindatum: EpochDay | null;
  geplandeEinddatum: EpochDay | null;
  werkelijkeEinddatum: EpochDay | null;
  omvangUren: number | null;
}

export interface RegisterEvent {
  eventId: string;
  eventType: EventType;
  occurredAt: EpochMillis;
  sector: Sector;
  persoon: Persoon;
  inschrijving: Inschrijving;
  bpv: Bpv | null;
}
