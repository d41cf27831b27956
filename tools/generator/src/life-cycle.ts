/**
 * A person's life in the register, as a lazy sequence of events: one or more enrolments, each a stage
 * (PO or VO in school-life.ts, MBO with its BPVs in mbo-life.ts) that may hand over to the next one
 * (PO to VO, vmbo to MBO, MBO to a higher niveau). Written as generators, so the code reads as the life
 * it describes and a person waiting for its next event holds only a suspended frame: memory is bounded
 * by the persons active at once, not by how long their histories are.
 */

import type { Sector } from '@register-feeds/register-model';
import { civil, epochDay } from './calendar-days.ts';
import type { Catalogue } from './catalogue.ts';
import type { Pending } from './event-builders.ts';
import type { PersonClock } from './person-clock.ts';
import type { Random } from './random.ts';
import type { RawPersoon } from './raw-event.ts';

export interface LifeContext {
  random: Random;
  catalogue: Catalogue;
  clock: PersonClock;
  /** made by the first enrolment, which knows the age the person needs to have */
  persoon: RawPersoon | undefined;
  createPersoon(birthDay: number): RawPersoon;
  /** a new inschrijvingsvolgnummer, unique for this person */
  nextVolgnummer(begindatum: number): string;
}

/** Where and when the next enrolment starts. */
export interface Entry {
  sector: Sector;
  /** the day the person turns up; the enrolment begins at the next school year or shortly after */
  day: number;
  /** PO/VO: leerjaar to enter; a random one when absent */
  leerjaar?: number;
  /** MBO: lowest niveau to choose (a student moving up after a diploma) */
  minNiveau?: number;
}

/** One enrolment's events; returns the next enrolment of the same person, or null when they leave the register. */
export type Stage = Generator<Pending, Entry | null, void>;

/** a uniform day in [from, to], or `from` when the window is empty */
export function between(random: Random, from: number, to: number): number {
  return from + random.int(0, Math.max(0, to - from));
}

/** First school day of the studiejaar that starts in `year`: schools start in the second half of August. */
export function schoolStart(random: Random, year: number): number {
  return epochDay(year, 8, 18) + random.int(0, 14);
}

/** Last school day of the studiejaar that ends in `year`, in July. */
export function schoolEnd(random: Random, year: number): number {
  return epochDay(year, 7, 3) + random.int(0, 21);
}

// Enrolments for the coming school year are registered from spring on; later arrivals join mid-year.
const REGISTERS_AHEAD_DAYS = 170;

/** The enrolment's begindatum and the day it is registered, for a person turning up on `day`. */
export function entryDates(random: Random, day: number): { registered: number; begin: number } {
  const { year } = civil(day);
  const startThisYear = schoolStart(random, year);
  const nextStart = day <= startThisYear ? startThisYear : schoolStart(random, year + 1);
  if (nextStart - day <= REGISTERS_AHEAD_DAYS) return { registered: day + random.int(0, 5), begin: nextStart };
  // zij-instroom: registered within a week, begins within three (the register also hears of it late)
  return { registered: day + random.int(0, 7), begin: day + random.int(0, 21) };
}

/** The inschrijvingsvolgnummer as the register writes it: the year it began and a per-person sequence. */
export function volgnummer(begindatum: number, sequence: number): string {
  return `${civil(begindatum).year}${String(sequence).padStart(3, '0')}`;
}
