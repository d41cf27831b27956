/**
 * Dates as epoch days and moments as epoch milliseconds, with the register model's own integer calendar:
 * no Date objects, so neither the machine's time zone nor its clock can change the output.
 */

import { type CalendarDate, fromEpochDay, parseIsoDate, toEpochDay } from '@register-feeds/register-model';

export const DAY_MS = 86_400_000;

export function civil(epochDay: number): CalendarDate {
  const parsed = parseIsoDate(fromEpochDay(epochDay));
  if (!parsed.ok) throw new Error('civil: epoch day out of range');
  return parsed.date;
}

export function epochDay(year: number, month: number, day: number): number {
  return toEpochDay({ year, month, day });
}

export function isoDate(epochDayValue: number): string {
  return fromEpochDay(epochDayValue);
}

/** 'YYYY-MM-DDTHH:MM:SSZ': seconds, no fraction, always UTC, as the contract allows. */
export function isoDateTime(epochMillis: number): string {
  const day = Math.floor(epochMillis / DAY_MS);
  const secondOfDay = Math.floor((epochMillis - day * DAY_MS) / 1000);
  const hh = String(Math.floor(secondOfDay / 3600)).padStart(2, '0');
  const mm = String(Math.floor(secondOfDay / 60) % 60).padStart(2, '0');
  const ss = String(secondOfDay % 60).padStart(2, '0');
  return `${fromEpochDay(day)}T${hh}:${mm}:${ss}Z`;
}

/** The same calendar day `years` earlier; 29 February becomes 28 February in a common year. */
export function minusYears(epochDayValue: number, years: number): number {
  const { year, month, day } = civil(epochDayValue);
  const target = year - years;
  const leap = (target % 4 === 0 && target % 100 !== 0) || target % 400 === 0;
  return epochDay(target, month, month === 2 && day === 29 && !leap ? 28 : day);
}

/** Whole years between a birth date and a day, as a person counts their age. */
export function ageOn(birthDay: number, onDay: number): number {
  const birth = civil(birthDay);
  const on = civil(onDay);
  const hadBirthday = on.month > birth.month || (on.month === birth.month && on.day >= birth.day);
  return on.year - birth.year - (hadBirthday ? 0 : 1);
}

/** The calendar year in which the studiejaar (1 August to 31 July) holding this day began. */
export function studiejaarOf(epochDayValue: number): number {
  const { year, month } = civil(epochDayValue);
  return month >= 8 ? year : year - 1;
}
