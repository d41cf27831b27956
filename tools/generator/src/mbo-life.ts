/**
 * One MBO enrolment with its BPVs. A student is registered for a crebo with leerweg and niveau at a
 * location; BBL students work at a leerbedrijf all year, BOL students do a BPV of some weeks most years.
 * A BPV is registered, sometimes changed (longer, more hours), sometimes removed as a mistake and
 * registered again, and ended with its actual end date, early now and then. The enrolment may change
 * (location, leerweg), move to another institution, end early, or end with the diploma.
 */

import { toEpochDay } from '@register-feeds/register-model';
import { ageOn, epochDay, minusYears, studiejaarOf } from './calendar-days.ts';
import type { Crebo, School } from './catalogue.ts';
import { bpvEvent, bpvVerwijderdEvent, type Enrolment, type Internship, inschrijvingEvent, type Pending } from './event-builders.ts';
import { between, type Entry, entryDates, type LifeContext, type Stage, schoolEnd, schoolStart } from './life-cycle.ts';

const MISTAKEN_REGISTRATION = 0.03; // per enrolment
const RE_REGISTERS_AFTER_MISTAKE = 0.6;
const BBL = 0.25;
const CHANGES_ENROLMENT = 0.06; // per studiejaar: another location, or the other leerweg
const DROPS_OUT = 0.05;
const CHANGES_SCHOOL = 0.03;
const CONTINUES_HIGHER = 0.2; // after a diploma below niveau 4
const BOL_BPV_FIRST_YEAR = 0.35;
const BOL_BPV_LATER_YEAR = 0.8;
// per BPV
const BPV_MISTAKE = 0.04;
const BPV_CHANGED = 0.3;
const BPV_ENDS_EARLY = 0.1;
const BPV_REPLACED_AFTER_EARLY_END = 0.5;
const MIN_BPV_DAYS = 28;

interface BpvPlan {
  begin: number;
  plannedEnd: number;
  hours: number;
}

function pickCrebo(ctx: LifeContext, minNiveau = 1): Crebo {
  return ctx.random.pick(ctx.catalogue.crebos.filter((c) => c.niveau >= minNiveau));
}

function otherSchool(ctx: LifeContext, current: string): School {
  for (;;) {
    const school = ctx.random.pick(ctx.catalogue.schools.MBO);
    if (school.brin !== current) return school;
  }
}

/** BBL: the whole year at the leerbedrijf; BOL: a BPV of 10 to 20 weeks, mostly in spring, not every year. */
function planBpv(ctx: LifeContext, enrolment: Enrolment, yearStart: number, yearEnd: number, studiejaar: number): BpvPlan | null {
  const { random } = ctx;
  if (enrolment.leerweg === 'BBL') {
    const begin = Math.max(yearStart + random.int(0, 14), ctx.clock.today());
    const plannedEnd = yearEnd - random.int(0, 20);
    if (plannedEnd - begin < MIN_BPV_DAYS) return null;
    return { begin, plannedEnd, hours: random.int(60, 160) * 10 };
  }
  if (!random.chance(studiejaar === 1 ? BOL_BPV_FIRST_YEAR : BOL_BPV_LATER_YEAR)) return null;
  const spring = epochDay(studiejaarOf(yearStart) + 1, 2, 1) + random.int(0, 21);
  const preferred = random.chance(0.3) ? yearStart + random.int(30, 60) : spring;
  const begin = Math.max(preferred, yearStart + 14, ctx.clock.today());
  const weeks = random.int(10, 20);
  const plannedEnd = Math.min(begin + weeks * 7 - 3, yearEnd);
  if (plannedEnd - begin < MIN_BPV_DAYS) return null;
  return { begin, plannedEnd, hours: weeks * random.int(16, 36) };
}

/** The events of one BPV (and of its replacements); returns the day the last of them actually ended. */
function* internship(ctx: LifeContext, enrolment: Enrolment, plan: BpvPlan, nextNummer: () => number): Generator<Pending, number, void> {
  const { random, catalogue, clock } = ctx;
  const persoon = ctx.persoon!;
  let bpv: Internship = {
    bpvVolgnummer: nextNummer(),
    leerbedrijf: random.pick(catalogue.leerbedrijven),
    begindatum: plan.begin,
    geplandeEinddatum: plan.plannedEnd,
    omvangUren: plan.hours,
  };
  if (random.chance(0.85)) bpv.opleidingscodeBpv = enrolment.opleidingscode;
  if (random.chance(0.3)) bpv.codeKeuzedeel = random.pick(catalogue.keuzedelen);
  const registered = plan.begin - random.int(0, 28);
  yield bpvEvent('BpvGeregistreerd', clock.on(registered), persoon, enrolment, bpv);

  if (random.chance(BPV_MISTAKE)) {
    // registered with the wrong company: removed, and registered again under a new volgnummer
    yield bpvVerwijderdEvent(clock.on(registered + random.int(1, 10)), persoon, enrolment, bpv.bpvVolgnummer);
    bpv = { ...bpv, bpvVolgnummer: nextNummer(), leerbedrijf: random.pick(catalogue.leerbedrijven) };
    yield bpvEvent('BpvGeregistreerd', clock.on(clock.today() + random.int(0, 3)), persoon, enrolment, bpv);
  }
  if (random.chance(BPV_CHANGED)) {
    const changed = between(random, bpv.begindatum, bpv.begindatum + Math.floor((bpv.geplandeEinddatum - bpv.begindatum) / 2));
    bpv.geplandeEinddatum += 7 * random.int(1, 6);
    bpv.omvangUren = Math.min(10_000, bpv.omvangUren + 8 * random.int(1, 20));
    yield bpvEvent('BpvGewijzigd', clock.on(changed), persoon, enrolment, bpv);
  }
  const earlyEnd = random.chance(BPV_ENDS_EARLY);
  const werkelijk = earlyEnd
    ? between(random, bpv.begindatum + 7, bpv.geplandeEinddatum - 14)
    : Math.max(bpv.begindatum, bpv.geplandeEinddatum - random.int(0, 7));
  yield bpvEvent('BpvBeeindigd', clock.on(werkelijk + random.int(0, 14)), persoon, enrolment, bpv, werkelijk);

  const remaining = bpv.geplandeEinddatum - werkelijk;
  if (earlyEnd && remaining > MIN_BPV_DAYS + 21 && random.chance(BPV_REPLACED_AFTER_EARLY_END)) {
    // a new leerbedrijf for the rest of the period
    const begin = Math.max(werkelijk + random.int(14, 21), clock.today());
    if (bpv.geplandeEinddatum - begin >= MIN_BPV_DAYS) {
      const hours = Math.max(40, Math.round((plan.hours * (bpv.geplandeEinddatum - begin)) / (plan.plannedEnd - plan.begin + 1)));
      return yield* internship(ctx, enrolment, { begin, plannedEnd: bpv.geplandeEinddatum, hours }, nextNummer);
    }
  }
  return werkelijk;
}

export function* mboEnrolment(ctx: LifeContext, entry: Entry): Stage {
  const { random, catalogue, clock } = ctx;
  const crebo = pickCrebo(ctx, entry.minNiveau);
  let school = random.pick(catalogue.schools.MBO);
  const { registered, begin } = entryDates(random, entry.day);
  // 16 to 24 at the begindatum when new in the register
  if (!ctx.persoon) ctx.persoon = ctx.createPersoon(minusYears(begin, 16 + random.int(0, 8)) - random.int(0, 364));
  const persoon = ctx.persoon;
  const enrolAt = (at: School, begindatum: number, leerweg = random.chance(BBL) ? ('BBL' as const) : ('BOL' as const)): Enrolment => ({
    sector: 'MBO',
    brin: at.brin,
    locatiecodeMbo: random.pick(at.locaties),
    inschrijvingsvolgnummer: ctx.nextVolgnummer(begindatum),
    opleidingscode: crebo.code,
    leerweg,
    niveau: crebo.niveau,
    begindatum,
  });
  let enrolment = enrolAt(school, begin);
  yield inschrijvingEvent('InschrijvingGeregistreerd', clock.on(registered), persoon, enrolment);

  if (random.chance(MISTAKEN_REGISTRATION)) {
    const removed = registered + random.int(1, 20);
    yield inschrijvingEvent('InschrijvingVerwijderd', clock.on(removed), persoon, enrolment);
    if (!random.chance(RE_REGISTERS_AFTER_MISTAKE)) return null;
    return { ...entry, day: removed + random.int(0, 7) };
  }

  // BPV volgnummers count per enrolment
  let bpvCount = 0;
  const nextNummer = () => ++bpvCount;
  let year = studiejaarOf(begin);
  for (let studiejaar = 1; ; studiejaar++) {
    const yearStart = studiejaar === 1 ? enrolment.begindatum : schoolStart(random, year);
    const yearEnd = schoolEnd(random, year + 1);

    if (random.chance(CHANGES_ENROLMENT)) {
      const day = between(random, Math.max(yearStart + 20, clock.today()), yearStart + 90);
      if (school.locaties.length > 1 && random.chance(0.5)) {
        enrolment.locatiecodeMbo = random.pick(school.locaties.filter((l) => l !== enrolment.locatiecodeMbo));
      } else {
        enrolment.leerweg = enrolment.leerweg === 'BOL' ? 'BBL' : 'BOL';
      }
      yield inschrijvingEvent('InschrijvingGewijzigd', clock.on(day), persoon, enrolment);
    }

    let lastBpvEnd = yearStart;
    const plan = planBpv(ctx, enrolment, yearStart, yearEnd, studiejaar);
    if (plan) lastBpvEnd = yield* internship(ctx, enrolment, plan, nextNummer);
    const earliestEnd = Math.max(lastBpvEnd, yearStart + 30, clock.today());

    if (random.chance(DROPS_OUT)) {
      const einddatum = between(random, earliestEnd, yearEnd);
      yield inschrijvingEvent('InschrijvingBeeindigd', clock.on(einddatum + random.int(0, 14)), persoon, enrolment, einddatum);
      return null;
    }
    if (random.chance(CHANGES_SCHOOL)) {
      const einddatum = between(random, earliestEnd, yearEnd - 10);
      yield inschrijvingEvent('InschrijvingBeeindigd', clock.on(einddatum + random.int(0, 5)), persoon, enrolment, einddatum);
      school = otherSchool(ctx, school.brin);
      enrolment = enrolAt(school, einddatum + 1, enrolment.leerweg);
      bpvCount = 0;
      yield inschrijvingEvent('InschrijvingGeregistreerd', clock.on(einddatum + random.int(0, 7)), persoon, enrolment);
    }
    if (studiejaar >= crebo.years) {
      // diploma in the last weeks of the studiejaar, after the last BPV
      const einddatum = between(random, Math.max(yearEnd - 25, enrolment.begindatum, lastBpvEnd, clock.today()), yearEnd);
      yield inschrijvingEvent('InschrijvingBeeindigd', clock.on(einddatum + random.int(0, 14)), persoon, enrolment, einddatum);
      const moveUp = crebo.niveau < 4 && ageOn(toEpochDay(persoon.geboortedatum), einddatum) < 22 && random.chance(CONTINUES_HIGHER);
      return moveUp ? { sector: 'MBO', day: einddatum + 1, minNiveau: crebo.niveau + 1 } : null;
    }
    year += 1;
  }
}
