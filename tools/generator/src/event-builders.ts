/**
 * Turns a person's state into contract events. Every event gets fresh objects (a consumer may keep or
 * change an event it received without touching later ones), with fields in the contract's order and
 * optional fields left out rather than undefined: the contract refuses null and the output should read
 * like the register's own.
 */

import type { InschrijvingEventType, Leerweg, Sector } from '@register-feeds/register-model';
import { isoDate, isoDateTime } from './calendar-days.ts';
import type { Leerbedrijf } from './catalogue.ts';
import type { RawBpv, RawInschrijving, RawPersoon, UnnumberedEvent } from './raw-event.ts';

/** The enrolment as the life cycle keeps it: dates as epoch days, changed in place as the student moves on. */
export interface Enrolment {
  sector: Sector;
  brin: string;
  brinVestiging?: string;
  locatiecodeMbo?: string;
  inschrijvingsvolgnummer: string;
  opleidingscode: string;
  leerweg?: Leerweg;
  niveau?: number;
  leerjaar?: number;
  groep?: number;
  begindatum: number;
}

/** A BPV as the life cycle keeps it, dates as epoch days. */
export interface Internship {
  bpvVolgnummer: number;
  leerbedrijf: Leerbedrijf;
  opleidingscodeBpv?: string;
  codeKeuzedeel?: string;
  begindatum: number;
  geplandeEinddatum: number;
  omvangUren: number;
}

/**
 * A person's next event: the moment it happens, for ordering, and how to write it. Written only when
 * its turn comes, because a person may wait months of simulated time for it: holding the finished
 * event that long would multiply the memory per waiting person and promote it to the old generation
 * of the garbage collector. The state it reads does not change meanwhile: the life cycle is suspended
 * until the event is out.
 */
export interface Pending {
  at: number;
  build(): UnnumberedEvent;
}

export type BpvEventType = 'BpvGeregistreerd' | 'BpvGewijzigd' | 'BpvBeeindigd';

function persoonOf(p: RawPersoon): RawPersoon {
  const naam = p.naam.voorvoegsel
    ? { voornamen: p.naam.voornamen, voorvoegsel: p.naam.voorvoegsel, achternaam: p.naam.achternaam }
    : { voornamen: p.naam.voornamen, achternaam: p.naam.achternaam };
  return p.bsn !== undefined
    ? { bsn: p.bsn, geboortedatum: p.geboortedatum, naam }
    : { onderwijsnummer: p.onderwijsnummer!, geboortedatum: p.geboortedatum, naam };
}

function inschrijvingOf(e: Enrolment, einddatum?: number): RawInschrijving {
  const out: RawInschrijving = { brin: e.brin } as RawInschrijving;
  if (e.brinVestiging !== undefined) out.brinVestiging = e.brinVestiging;
  if (e.locatiecodeMbo !== undefined) out.locatiecodeMbo = e.locatiecodeMbo;
  out.inschrijvingsvolgnummer = e.inschrijvingsvolgnummer;
  out.opleidingscode = e.opleidingscode;
  if (e.leerweg !== undefined) out.leerweg = e.leerweg;
  if (e.niveau !== undefined) out.niveau = e.niveau;
  if (e.leerjaar !== undefined) out.leerjaar = e.leerjaar;
  if (e.groep !== undefined) out.groep = e.groep;
  out.begindatum = isoDate(e.begindatum);
  if (einddatum !== undefined) out.einddatum = isoDate(einddatum);
  return out;
}

function bpvOf(b: Internship, werkelijkeEinddatum?: number): RawBpv {
  const out: RawBpv = { bpvVolgnummer: b.bpvVolgnummer, leerbedrijf: { id: b.leerbedrijf.id, naam: b.leerbedrijf.naam } } as RawBpv;
  if (b.opleidingscodeBpv !== undefined) out.opleidingscodeBpv = b.opleidingscodeBpv;
  if (b.codeKeuzedeel !== undefined) out.codeKeuzedeel = b.codeKeuzedeel;
  out.begindatum = isoDate(b.begindatum);
  out.geplandeEinddatum = isoDate(b.geplandeEinddatum);
  if (werkelijkeEinddatum !== undefined) out.werkelijkeEinddatum = isoDate(werkelijkeEinddatum);
  out.omvangUren = b.omvangUren;
  return out;
}

export function inschrijvingEvent(
  eventType: InschrijvingEventType,
  at: number,
  persoon: RawPersoon,
  enrolment: Enrolment,
  einddatum?: number,
): Pending {
  return {
    at,
    build: () => ({
      eventType,
      occurredAt: isoDateTime(at),
      sector: enrolment.sector,
      persoon: persoonOf(persoon),
      inschrijving: inschrijvingOf(enrolment, einddatum),
    }),
  };
}

export function bpvEvent(
  eventType: BpvEventType,
  at: number,
  persoon: RawPersoon,
  enrolment: Enrolment,
  bpv: Internship,
  werkelijkeEinddatum?: number,
): Pending {
  return {
    at,
    build: () => ({
      eventType,
      occurredAt: isoDateTime(at),
      sector: 'MBO',
      persoon: persoonOf(persoon),
      inschrijving: inschrijvingOf(enrolment),
      bpv: bpvOf(bpv, werkelijkeEinddatum),
    }),
  };
}

/** A removal names only the BPV it removes, as the register sends it. */
export function bpvVerwijderdEvent(at: number, persoon: RawPersoon, enrolment: Enrolment, bpvVolgnummer: number): Pending {
  return {
    at,
    build: () => ({
      eventType: 'BpvVerwijderd',
      occurredAt: isoDateTime(at),
      sector: 'MBO',
      persoon: persoonOf(persoon),
      inschrijving: inschrijvingOf(enrolment),
      bpv: { bpvVolgnummer },
    }),
  };
}
