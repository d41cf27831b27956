import { civilFromDays } from './calendar.ts';
import type { EpochDay } from './register-event.ts';

/** The calendar date of an epoch day as numbers. */
export function civilDate(epochDay: EpochDay): { year: number; month: number; day: number } {
  // computed, not formatted and parsed again: ages are taken several times per event and recipient
  const date = civilFromDays(epochDay);
  if (!Number.isInteger(epochDay) || date.year < 0 || date.year > 9999)
    throw new RangeError(`epoch day ${epochDay} is outside the years 0000-9999`);
  return date;
}

/**
 * Completed years on a date. Compared as (month, day) pairs, so someone born on 29 February turns a year
 * older on 1 March in a year without 29 February: a year counted from 29 February has not ended on
 * 28 February. That is the rule for a leap-day birthday in Dutch law , e.g. 18 on 1 March.
 * Throws when the date is before the birth: there is no age then, and the caller decides what that means.
 */
export function ageOn(birthEpochDay: EpochDay, onEpochDay: EpochDay): number {
  if (onEpochDay < birthEpochDay) throw new RangeError('ageOn: the date is before the birth date');
  const birth = civilDate(birthEpochDay);
  const on = civilDate(onEpochDay);
  const hadBirthday = on.month > birth.month || (on.month === birth.month && on.day >= birth.day);
  return on.year - birth.year - (hadBirthday ? 0 : 1);
}
