/**
 * Raw register events for comparing the two raw-contract validators (the parity test and
 * bench:raw-contract): valid ones from the generator, and invalid ones made from them by breaking one to
 * three rules each, drawn with a seeded random so every run sees the same payloads.
 */

import { createRandom, generateRegisterEvents, type Random } from '@register-feeds/generator';

type Json = Record<string, unknown>;

/** One way to break an event; returns false when it does not apply to this event (e.g. no bpv). */
type Breakage = (event: Json, random: Random) => boolean;

const obj = (event: Json, name: string): Json | undefined => {
  const value = event[name];
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
};
const set =
  (object: string | null, field: string, value: unknown): Breakage =>
  (event) => {
    const target = object === null ? event : obj(event, object);
    if (!target) return false;
    target[field] = value;
    return true;
  };
const remove =
  (object: string | null, field: string): Breakage =>
  (event) => {
    const target = object === null ? event : obj(event, object);
    if (!target || target[field] === undefined) return false;
    delete target[field];
    return true;
  };
const when =
  (test: (event: Json) => boolean, breakage: Breakage): Breakage =>
  (event, random) =>
    test(event) && breakage(event, random);

const isBpv = (e: Json) => String(e.eventType).startsWith('Bpv');

/** Ways to break an event, one per rule of the contract (and a few shapes JSON allows and the contract does not). */
export const BREAKAGES: Readonly<Record<string, Breakage>> = {
  'bsn fails the elfproef': when(
    (e) => typeof obj(e, 'persoon')?.bsn === 'string',
    (e) => {
      const persoon = obj(e, 'persoon')!;
      const bsn = persoon.bsn as string;
      persoon.bsn = `${bsn.slice(0, 8)}${(Number(bsn[8]) + 1) % 10}`;
      return true;
    },
  ),
  'onderwijsnummer fails its check': when(
    (e) => typeof obj(e, 'persoon')?.onderwijsnummer === 'string',
    (e) => {
      const persoon = obj(e, 'persoon')!;
      const number = persoon.onderwijsnummer as string;
      persoon.onderwijsnummer = `${number.slice(0, 8)}${(Number(number[8]) + 3) % 10}`;
      return true;
    },
  ),
  'bsn of the wrong form': set('persoon', 'bsn', '12345678X'),
  'both identifiers': (e) => {
    const persoon = obj(e, 'persoon');
    if (!persoon) return false;
    persoon.bsn = '111222333';
    persoon.onderwijsnummer = '101000012';
    return true;
  },
  'no identifier': (e) => {
    const persoon = obj(e, 'persoon');
    if (!persoon) return false;
    delete persoon.bsn;
    delete persoon.onderwijsnummer;
    return true;
  },
  'unknown field': set(null, 'geslacht', 'x'),
  'unknown key that is a BSN': set('persoon', '111222333', true),
  'brin missing': remove('inschrijving', 'brin'),
  'niveau as a string': set('inschrijving', 'niveau', '4'),
  'leerjaar a fraction': set('inschrijving', 'leerjaar', 2.5),
  'begindatum does not exist': set('inschrijving', 'begindatum', '2025-02-30'),
  'begindatum of the wrong form': set('inschrijving', 'begindatum', '2025/02/03'),
  'einddatum before begindatum': (e) => {
    const inschrijving = obj(e, 'inschrijving');
    if (!inschrijving) return false;
    inschrijving.begindatum = '2025-09-01';
    inschrijving.einddatum = '2025-08-31';
    return true;
  },
  'born after the event': set('persoon', 'geboortedatum', '2099-01-01'),
  'geboortedatum on a leap day that is not': set('persoon', 'geboortedatum', '2011-02-29'),
  'vestiging of another brin': (e) => {
    const inschrijving = obj(e, 'inschrijving');
    if (!inschrijving) return false;
    inschrijving.brin = '25LX';
    inschrijving.brinVestiging = '26AB01';
    return true;
  },
  'bad brin': set('inschrijving', 'brin', '2lx'),
  'eventId holding nine digits': set(null, 'eventId', 'id-123456789'),
  'eventId with a space': set(null, 'eventId', 'id 1'),
  'eventId too long': set(null, 'eventId', 'a'.repeat(65)),
  'unknown event type': set(null, 'eventType', 'InschrijvingVerhuisd'),
  'event type a number': set(null, 'eventType', 7),
  'unknown sector': set(null, 'sector', 'HBO'),
  'leerjaar on MBO': when((e) => e.sector === 'MBO', set('inschrijving', 'leerjaar', 2)),
  'groep on VO': when((e) => e.sector === 'VO', set('inschrijving', 'groep', 2)),
  'leerweg on PO': when((e) => e.sector === 'PO', set('inschrijving', 'leerweg', 'BOL')),
  'leerjaar 7 on VO': when((e) => e.sector === 'VO', set('inschrijving', 'leerjaar', 7)),
  'four-digit code on MBO': when((e) => e.sector === 'MBO', set('inschrijving', 'opleidingscode', '2560')),
  'bpv on an inschrijving event': when((e) => !isBpv(e), set(null, 'bpv', { bpvVolgnummer: 1 })),
  'bpv missing on a bpv event': when(isBpv, remove(null, 'bpv')),
  'bpv event outside MBO': when(isBpv, set(null, 'sector', 'VO')),
  'omvangUren 0': when((e) => obj(e, 'bpv')?.omvangUren !== undefined, set('bpv', 'omvangUren', 0)),
  'geplandeEinddatum before begindatum': when(
    (e) => obj(e, 'bpv')?.begindatum !== undefined,
    (e) => {
      obj(e, 'bpv')!.begindatum = '2025-09-01';
      obj(e, 'bpv')!.geplandeEinddatum = '2025-01-01';
      return true;
    },
  ),
  'achternaam too long': (e) => {
    const naam = obj(obj(e, 'persoon') ?? {}, 'naam');
    if (!naam) return false;
    naam.achternaam = 'x'.repeat(201);
    return true;
  },
  'locatiecode too long': when((e) => e.sector === 'MBO', set('inschrijving', 'locatiecodeMbo', 'ABCDEFGHIJK')),
  'persoon null': set(null, 'persoon', null),
  'inschrijving a string': set(null, 'inschrijving', 'x'),
  'occurredAt at hour 25': set(null, 'occurredAt', '2025-08-20T25:00:00Z'),
  'occurredAt without seconds': set(null, 'occurredAt', '2025-08-20T09:00+02:00'),
  'occurredAt with an offset of 24 hours': set(null, 'occurredAt', '2025-08-20T09:00:00+24:00'),
};

/** `count` valid events from the generator (seeded; the same ones every run). */
export function validEvents(count: number, seed = 11): Json[] {
  return [...generateRegisterEvents({ seed, total: count })].map((e) => structuredClone(e) as unknown as Json);
}

/**
 * As many broken events as valid ones given: the i-th is broken first in the way i (round the list of
 * breakages, on the first event from i on that it applies to), then in up to two more ways that apply.
 */
export function invalidEvents(valid: readonly Json[], seed = 13): { broken: string[]; event: Json }[] {
  const random = createRandom(seed);
  const names = Object.keys(BREAKAGES);
  return valid.map((_, i) => {
    const first = names[i % names.length]!;
    for (let j = 0; j < valid.length; j++) {
      const event = structuredClone(valid[(i + j) % valid.length]!);
      if (!BREAKAGES[first]!(event, random)) continue;
      const broken = [first];
      const more = i % 3;
      for (let k = 1; k < names.length && broken.length <= more; k++) {
        const name = names[(i + k * random.int(1, 3)) % names.length]!;
        if (!broken.includes(name) && BREAKAGES[name]!(event, random)) broken.push(name);
      }
      return { broken, event };
    }
    throw new Error(`no generated event to break with '${first}'`);
  });
}
