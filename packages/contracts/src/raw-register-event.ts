/**
 * The raw input contract: one JSON object per change in the register, as the register's adapter sends
 * it. schemas/raw-register-event.schema.json (rawRegisterEventSchema) describes the same contract for
 * other tools; a unit test in ingest keeps the two in step with its validator. A value of this type has
 * passed ingest's parseRegisterEvent. The generator writes it, ingest reads it: both import it from here.
 */

// The vocabulary (event types, sectors, leerwegen) is the register's, shared with the canonical event.
import type { BpvEventType, InschrijvingEventType, Leerweg, Sector } from '@register-feeds/register-model';

/** A calendar date, YYYY-MM-DD, that exists. */
export type IsoDate = string;
/** An ISO-8601 date-time with seconds and an offset or Z, e.g. 2026-03-02T09:15:00+01:00. */
export type IsoDateTime = string;

export interface RawNaam {
  voornamen: string;
  voorvoegsel?: string;
  achternaam: string;
}

/** Exactly one of bsn and onderwijsnummer is present. */
export interface RawPersoon {
  bsn?: string;
  onderwijsnummer?: string;
  geboortedatum: IsoDate;
  naam: RawNaam;
}

export interface RawInschrijving {
  brin: string;
  brinVestiging?: string;
  locatiecodeMbo?: string;
  inschrijvingsvolgnummer: string;
  opleidingscode: string;
  leerweg?: Leerweg;
  niveau?: number;
  leerjaar?: number;
  groep?: number;
  begindatum: IsoDate;
  einddatum?: IsoDate;
}

export interface RawLeerbedrijf {
  id: string;
  naam: string;
}

export interface RawBpv {
  bpvVolgnummer: number;
  leerbedrijf: RawLeerbedrijf;
  opleidingscodeBpv?: string;
  codeKeuzedeel?: string;
  begindatum: IsoDate;
  geplandeEinddatum: IsoDate;
  werkelijkeEinddatum?: IsoDate;
  omvangUren: number;
}

/** A removal only has to say which BPV it removes. */
export type RawBpvReference = Pick<RawBpv, 'bpvVolgnummer'> & Partial<Omit<RawBpv, 'bpvVolgnummer'>>;

interface RawEventBase {
  eventId: string;
  occurredAt: IsoDateTime;
  sector: Sector;
  persoon: RawPersoon;
  inschrijving: RawInschrijving;
}

export interface RawInschrijvingEvent extends RawEventBase {
  eventType: InschrijvingEventType;
  bpv?: undefined;
}

export interface RawBpvEvent extends RawEventBase {
  eventType: Exclude<BpvEventType, 'BpvVerwijderd'>;
  sector: 'MBO';
  bpv: RawBpv;
}

export interface RawBpvVerwijderdEvent extends RawEventBase {
  eventType: 'BpvVerwijderd';
  sector: 'MBO';
  bpv: RawBpvReference;
}

export type RawRegisterEvent = RawInschrijvingEvent | RawBpvEvent | RawBpvVerwijderdEvent;
