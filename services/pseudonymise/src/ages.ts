/**
 * Ages instead of birth dates (DOMAIN.md rule 2). Every date comes from the event, never from the clock,
 * so a replay of the same events gives the same ages.
 */

import { ageOn, amsterdamEpochDay, civilDate, type EpochDay, type EpochMillis, toEpochDay } from '@register-feeds/register-model';

export { ageOn };

/** When an age is taken: on the event's own date, or on a month-day of the study year the event falls in. */
export type AgeAt = { kind: 'event-date' } | { kind: 'month-day'; month: number; day: number };

/** One age a recipient receives, as its agreement names it. */
export interface AgeReference {
  label: string;
  at: AgeAt;
}

export interface ResolvedAgeReference {
  label: string;
  epochDay: EpochDay;
}

/** The first month of the study year (studiejaar): 1 August to 31 July. */
const STUDY_YEAR_FIRST_MONTH = 8;

/** The date of an event: the calendar date of occurredAt in Europe/Amsterdam (see amsterdam-date.ts). */
export function eventDate(epochMillis: EpochMillis): EpochDay {
  return amsterdamEpochDay(epochMillis);
}

/** The first calendar year of the study year (1 Aug - 31 Jul) that contains the date: 2025 for 2026-03-02. */
export function studyYearOf(epochDay: EpochDay): number {
  const { year, month } = civilDate(epochDay);
  return month >= STUDY_YEAR_FIRST_MONTH ? year : year - 1;
}

/**
 * The date of an age reference for an event. A month-day lies inside the study year of the event's date:
 * August to December in its first calendar year, January to July in the next. So the Minister's 1 Aug,
 * 30 Sep, 1 Oct and 31 Dec all fall in the calendar year of the 1 October peildatum (Regeling art. 3 a),
 * and the Inspectie's 1 Feb and 1 May in the second half of the same study year (art. 3 b).
 */
export function resolveAgeAt(at: AgeAt, eventEpochDay: EpochDay): EpochDay {
  if (at.kind === 'event-date') return eventEpochDay;
  const firstYear = studyYearOf(eventEpochDay);
  const year = at.month >= STUDY_YEAR_FIRST_MONTH ? firstYear : firstYear + 1;
  return toEpochDay({ year, month: at.month, day: at.day });
}

export function referenceDates(ages: readonly AgeReference[], eventEpochMillis: EpochMillis): ResolvedAgeReference[] {
  const day = eventDate(eventEpochMillis);
  return ages.map(({ label, at }) => ({ label, epochDay: resolveAgeAt(at, day) }));
}
