/**
 * The fixed world persons move through: schools (BRINs with vestigingen or MBO locations), programmes,
 * crebos, leerbedrijven and keuzedelen. Small fixed pools drawn from the seed, so that many persons share
 * a school or a company, as in the register, and projections downstream have something to group by.
 */

import type { Sector } from '@register-feeds/register-model';
import type { Random } from './random.ts';

export interface School {
  brin: string;
  sector: Sector;
  /** PO and VO: the branches, BRIN + 2 digits */
  vestigingen: readonly string[];
  /** MBO: the teaching locations */
  locaties: readonly string[];
}

export type VoKind = 'vmbo' | 'havo' | 'vwo';

export interface Programme {
  code: string;
  /** leerjaren (VO) or studiejaren (MBO) until the diploma */
  years: number;
}

export interface VoProgramme extends Programme {
  kind: VoKind;
}

export interface Crebo extends Programme {
  niveau: 1 | 2 | 3 | 4;
}

export interface Leerbedrijf {
  id: string;
  naam: string;
}

export interface Catalogue {
  schools: Readonly<Record<Sector, readonly School[]>>;
  poProgrammes: readonly Programme[];
  voProgrammes: readonly VoProgramme[];
  crebos: readonly Crebo[];
  leerbedrijven: readonly Leerbedrijf[];
  keuzedelen: readonly string[];
}

// About 200 institutions, weighted like the register: many primary schools, fewer VO and MBO institutions.
const SCHOOL_COUNTS: Readonly<Record<Sector, number>> = { PO: 110, VO: 55, MBO: 35 };
const VO_YEARS: Readonly<Record<VoKind, number>> = { vmbo: 4, havo: 5, vwo: 6 };
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const BEDRIJF_PREFIX = ['Test', 'Proef', 'Demo', 'Voorbeeld', 'Fictief'] as const;
const BEDRIJF_BRANCHE = ['Bouw', 'Zorg', 'Techniek', 'Handel', 'Horeca', 'ICT', 'Logistiek', 'Groen', 'Kinderopvang', 'Autotechniek'];
const BEDRIJF_VORM = ['BV', 'VOF', 'Groep', 'Stichting'] as const;

/** Draws until `count` distinct values: pools must not hold the same code twice. */
function distinct(count: number, draw: () => string): string[] {
  const seen = new Set<string>();
  while (seen.size < count) seen.add(draw());
  return [...seen];
}

const digits = (random: Random, n: number): string => String(random.int(0, 10 ** n - 1)).padStart(n, '0');

export function createCatalogue(random: Random): Catalogue {
  const brins = distinct(SCHOOL_COUNTS.PO + SCHOOL_COUNTS.VO + SCHOOL_COUNTS.MBO, () => {
    return `${digits(random, 2)}${random.pick([...LETTERS])}${random.pick([...LETTERS])}`;
  });
  const school = (brin: string, sector: Sector): School => {
    if (sector === 'MBO') {
      const locaties = distinct(random.int(1, 5), () => `L${digits(random, 3)}`);
      return { brin, sector, vestigingen: [], locaties };
    }
    const vestigingen = Array.from({ length: random.int(1, 3) }, (_, i) => `${brin}${String(i).padStart(2, '0')}`);
    return { brin, sector, vestigingen, locaties: [] };
  };
  const po = brins.slice(0, SCHOOL_COUNTS.PO).map((brin) => school(brin, 'PO'));
  const vo = brins.slice(SCHOOL_COUNTS.PO, SCHOOL_COUNTS.PO + SCHOOL_COUNTS.VO).map((brin) => school(brin, 'VO'));
  const mbo = brins.slice(SCHOOL_COUNTS.PO + SCHOOL_COUNTS.VO).map((brin) => school(brin, 'MBO'));

  // PO: a handful of 4-digit codes (regular, special, ...); VO: 4- and 5-digit codes per kind
  const poProgrammes = distinct(3, () => `1${digits(random, 3)}`).map((code) => ({ code, years: 8 }));
  const voCodes = distinct(30, () => (random.chance(0.7) ? `2${digits(random, 3)}` : `3${digits(random, 4)}`));
  const voProgrammes = voCodes.map((code, i): VoProgramme => {
    const kind = (['vmbo', 'havo', 'vwo'] as const)[i % 3]!;
    return { code, kind, years: VO_YEARS[kind] };
  });
  const crebos = distinct(80, () => `2${digits(random, 4)}`).map((code, i): Crebo => {
    const niveau = ((i % 4) + 1) as Crebo['niveau'];
    return { code, niveau, years: niveau === 4 ? random.int(3, 4) : niveau };
  });
  const leerbedrijven = distinct(500, () => `LB${digits(random, 6)}`).map((id) => ({
    id,
    naam: `${random.pick(BEDRIJF_PREFIX)} ${random.pick(BEDRIJF_BRANCHE)} ${id.slice(-3)} ${random.pick(BEDRIJF_VORM)}`,
  }));
  const keuzedelen = distinct(40, () => `K${digits(random, 4)}`);

  return { schools: { PO: po, VO: vo, MBO: mbo }, poProgrammes, voProgrammes, crebos, leerbedrijven, keuzedelen };
}
