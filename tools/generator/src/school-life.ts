/**
 * One PO or VO enrolment: registered at a school, moved up a groep or leerjaar each August, sometimes
 * moved to another vestiging, another school or (VO) a lower programme, and ended at the end of the last
 * year, or earlier when the pupil leaves. Now and then a mistaken registration is removed.
 */

import { minusYears, studiejaarOf } from './calendar-days.ts';
import type { Programme, School, VoProgramme } from './catalogue.ts';
import { type Enrolment, inschrijvingEvent } from './event-builders.ts';
import { between, type Entry, entryDates, type LifeContext, type Stage, schoolEnd, schoolStart } from './life-cycle.ts';

// Chances per studiejaar unless said otherwise; rough, but enough to exercise every path downstream.
const MISTAKEN_REGISTRATION = 0.02; // per enrolment
const LEAVES_EARLY = 0.02; // moves abroad, special education outside the register
const CHANGES_SCHOOL = 0.04;
const CHANGES_VESTIGING = 0.05;
const REPEATS_YEAR = 0.04; // blijft zitten: the register shows no change that year
const MOVES_DOWN = 0.05; // VO havo/vwo to a lower programme (afstromen)
const PO_TO_VO = 0.5; // the rest leave the generated population
const VMBO_TO_MBO = 0.6;

type SchoolSector = 'PO' | 'VO';

function enrolAt(ctx: LifeContext, school: School, begindatum: number, programme: Programme, leerjaar: number): Enrolment {
  const enrolment: Enrolment = {
    sector: school.sector,
    brin: school.brin,
    brinVestiging: ctx.random.pick(school.vestigingen),
    inschrijvingsvolgnummer: ctx.nextVolgnummer(begindatum),
    opleidingscode: programme.code,
    leerjaar,
    begindatum,
  };
  // in PO the leerjaar is the groep
  if (school.sector === 'PO') enrolment.groep = leerjaar;
  return enrolment;
}

function otherSchool(ctx: LifeContext, sector: SchoolSector, current: string): School {
  const schools = ctx.catalogue.schools[sector];
  for (;;) {
    const school = ctx.random.pick(schools);
    if (school.brin !== current) return school;
  }
}

function lowerProgramme(ctx: LifeContext, programme: VoProgramme): VoProgramme | undefined {
  const lower = programme.kind === 'vwo' ? 'havo' : programme.kind === 'havo' ? 'vmbo' : undefined;
  return lower && ctx.random.pick(ctx.catalogue.voProgrammes.filter((p) => p.kind === lower));
}

export function* schoolEnrolment(ctx: LifeContext, entry: Entry & { sector: SchoolSector }): Stage {
  const { random, catalogue, clock } = ctx;
  const { sector } = entry;
  let programme: Programme | VoProgramme = random.pick(sector === 'PO' ? catalogue.poProgrammes : catalogue.voProgrammes);
  const entryYear = entry.leerjaar ?? (random.chance(0.75) ? 1 : random.int(2, programme.years));
  const { registered, begin } = entryDates(random, entry.day);
  // age at begindatum: PO groep g at 3+g (groep 1 at four), VO leerjaar j at 11+j
  if (!ctx.persoon) ctx.persoon = ctx.createPersoon(minusYears(begin, (sector === 'PO' ? 3 : 11) + entryYear) - random.int(0, 364));
  const persoon = ctx.persoon;
  let school = random.pick(catalogue.schools[sector]);
  let enrolment = enrolAt(ctx, school, begin, programme, entryYear);
  yield inschrijvingEvent('InschrijvingGeregistreerd', clock.on(registered), persoon, enrolment);

  if (random.chance(MISTAKEN_REGISTRATION)) {
    const removed = registered + random.int(1, 20);
    yield inschrijvingEvent('InschrijvingVerwijderd', clock.on(removed), persoon, enrolment);
    return random.chance(0.6) ? { sector, day: removed + random.int(0, 7), leerjaar: entryYear } : null;
  }

  let year = studiejaarOf(begin);
  for (;;) {
    const yearEnd = schoolEnd(random, year + 1);
    if (random.chance(LEAVES_EARLY)) {
      const einddatum = between(random, Math.max(enrolment.begindatum + 20, clock.today()), yearEnd);
      yield inschrijvingEvent('InschrijvingBeeindigd', clock.on(einddatum + random.int(0, 10)), persoon, enrolment, einddatum);
      return null;
    }
    if (school.vestigingen.length > 1 && random.chance(CHANGES_VESTIGING)) {
      const others = school.vestigingen.filter((v) => v !== enrolment.brinVestiging);
      enrolment.brinVestiging = random.pick(others);
      yield inschrijvingEvent(
        'InschrijvingGewijzigd',
        clock.on(between(random, Math.max(enrolment.begindatum + 30, clock.today()), yearEnd - 30)),
        persoon,
        enrolment,
      );
    }
    if (random.chance(CHANGES_SCHOOL)) {
      // ended at one school, registered at another the next day, with the other school's volgnummer
      const einddatum = between(random, Math.max(enrolment.begindatum + 20, clock.today()), yearEnd - 10);
      yield inschrijvingEvent('InschrijvingBeeindigd', clock.on(einddatum + random.int(0, 5)), persoon, enrolment, einddatum);
      school = otherSchool(ctx, sector, school.brin);
      enrolment = enrolAt(ctx, school, einddatum + 1, programme, enrolment.leerjaar!);
      yield inschrijvingEvent('InschrijvingGeregistreerd', clock.on(einddatum + random.int(0, 7)), persoon, enrolment);
    }
    const lastYear = enrolment.leerjaar! >= programme.years;
    if (lastYear && !random.chance(REPEATS_YEAR)) {
      const einddatum = Math.max(yearEnd, enrolment.begindatum);
      yield inschrijvingEvent('InschrijvingBeeindigd', clock.on(einddatum + random.int(0, 14)), persoon, enrolment, einddatum);
      if (sector === 'PO') return random.chance(PO_TO_VO) ? { sector: 'VO', day: einddatum + 1, leerjaar: 1 } : null;
      const vmbo = (programme as VoProgramme).kind === 'vmbo';
      return vmbo && random.chance(VMBO_TO_MBO) ? { sector: 'MBO', day: einddatum + 1 } : null;
    }

    year += 1;
    const start = schoolStart(random, year);
    if (lastYear || random.chance(REPEATS_YEAR)) continue;
    const lower: VoProgramme | undefined =
      sector === 'VO' && random.chance(MOVES_DOWN) ? lowerProgramme(ctx, programme as VoProgramme) : undefined;
    if (lower) {
      programme = lower;
      enrolment.opleidingscode = lower.code;
    }
    enrolment.leerjaar = Math.min(enrolment.leerjaar! + 1, programme.years);
    if (sector === 'PO') enrolment.groep = enrolment.leerjaar;
    yield inschrijvingEvent('InschrijvingGewijzigd', clock.on(start + random.int(-10, 15)), persoon, enrolment);
  }
}
