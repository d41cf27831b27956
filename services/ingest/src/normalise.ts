/**
 * Raw event (validated JSON) to canonical event (schemas/register-event.avsc). Pure: the same raw event
 * always gives the same canonical event, so a replay of the register's history is reproducible.
 *
 * Representation, as avsc 5.7.9 encodes it without logical-type implementations (which is how the
 * schema registry client calls it): occurredAt is epoch milliseconds, every date is days since
 * 1970-01-01 (toEpochDay / fromEpochDay in validate/dates.ts), every absent optional field is null.
 */

import type { RawBpvReference, RawRegisterEvent } from '@register-feeds/contracts';
import type { Bpv, Identificatie, RegisterEvent } from '@register-feeds/register-model';
import { parseIsoDateTime, toEpochDay } from '@register-feeds/register-model';

export type { RegisterEvent } from '@register-feeds/register-model';

const orNull = <T>(value: T | undefined): T | null => (value === undefined ? null : value);
const dayOrNull = (date: string | undefined): number | null => (date === undefined ? null : toEpochDay(date));

// Messages name the field only: the input is personal data and errors get logged.
function epochMillis(occurredAt: string): number {
  const parsed = parseIsoDateTime(occurredAt);
  if (!parsed.ok) throw new Error('normalise: occurredAt is not a valid date-time; parse the event with parseRegisterEvent first');
  return parsed.epochMillis;
}

function identificatie(persoon: RawRegisterEvent['persoon']): Identificatie {
  if (persoon.bsn !== undefined) return { soort: 'BSN', nummer: persoon.bsn };
  if (persoon.onderwijsnummer !== undefined) return { soort: 'ONDERWIJSNUMMER', nummer: persoon.onderwijsnummer };
  throw new Error('normalise: persoon has neither bsn nor onderwijsnummer; parse the event with parseRegisterEvent first');
}

function bpv(raw: RawBpvReference): Bpv {
  return {
    bpvVolgnummer: raw.bpvVolgnummer,
    leerbedrijf: raw.leerbedrijf === undefined ? null : { id: raw.leerbedrijf.id, naam: raw.leerbedrijf.naam },
    opleidingscodeBpv: orNull(raw.opleidingscodeBpv),
    codeKeuzedeel: orNull(raw.codeKeuzedeel),
    begindatum: dayOrNull(raw.begindatum),
    geplandeEinddatum: dayOrNull(raw.geplandeEinddatum),
    werkelijkeEinddatum: dayOrNull(raw.werkelijkeEinddatum),
    omvangUren: orNull(raw.omvangUren),
  };
}

export function normalise(event: RawRegisterEvent): RegisterEvent {
  const { persoon, inschrijving } = event;
  return {
    eventId: event.eventId,
    eventType: event.eventType,
    occurredAt: epochMillis(event.occurredAt),
    sector: event.sector,
    persoon: {
      identificatie: identificatie(persoon),
      geboortedatum: toEpochDay(persoon.geboortedatum),
      naam: { voornamen: persoon.naam.voornamen, voorvoegsel: orNull(persoon.naam.voorvoegsel), achternaam: persoon.naam.achternaam },
    },
    inschrijving: {
      brin: inschrijving.brin,
      brinVestiging: orNull(inschrijving.brinVestiging),
      locatiecodeMbo: orNull(inschrijving.locatiecodeMbo),
      inschrijvingsvolgnummer: inschrijving.inschrijvingsvolgnummer,
      opleidingscode: inschrijving.opleidingscode,
      leerweg: orNull(inschrijving.leerweg),
      niveau: orNull(inschrijving.niveau),
      leerjaar: orNull(inschrijving.leerjaar),
      groep: orNull(inschrijving.groep),
      begindatum: toEpochDay(inschrijving.begindatum),
      einddatum: dayOrNull(inschrijving.einddatum),
    },
    bpv: event.bpv === undefined ? null : bpv(event.bpv),
  };
}
