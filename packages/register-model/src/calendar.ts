/**
 * Calendar dates and date-times of the contract, parsed with integer arithmetic only: no Date objects,
 * so there is no time zone of the machine, no two-digit-year quirk of Date.UTC and no clock involved.
 */

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
// RFC 3339 profile of ISO 8601: seconds required, optional fraction, offset or Z required.
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;

const MS_PER_DAY = 86_400_000;

export interface CalendarDate {
  year: number;
  month: number;
  day: number;
}

export type DateParse = { ok: true; date: CalendarDate } | { ok: false; problem: 'format' | 'exists' };

export type DateTimeParse =
  | { ok: true; epochMillis: number; localDate: string; epochDayOfLocalDate: number }
  | { ok: false; problem: 'format' | 'exists' };

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function exists({ year, month, day }: CalendarDate): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/** 'YYYY-MM-DD' to a date, telling apart a wrong format from a date that does not exist (2026-02-30). */
export function parseIsoDate(text: string): DateParse {
  const match = DATE.exec(text);
  if (!match) return { ok: false, problem: 'format' };
  const date = { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) };
  return exists(date) ? { ok: true, date } : { ok: false, problem: 'exists' };
}

/**
 * An ISO date-time with offset to epoch milliseconds. Digits beyond milliseconds are cut off (Avro's
 * timestamp-millis cannot hold them). localDate is the calendar date as written, in the event's own offset.
 */
export function parseIsoDateTime(text: string): DateTimeParse {
  const match = DATE_TIME.exec(text);
  if (!match) return { ok: false, problem: 'format' };
  const [, y, mo, d, h, mi, s, fraction, zulu, sign, oh, om] = match;
  const date = { year: Number(y), month: Number(mo), day: Number(d) };
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  const offsetHours = zulu ? 0 : Number(oh);
  const offsetMinutes = zulu ? 0 : Number(om);
  // No leap second: an epoch-millis timestamp cannot express 23:59:60.
  if (!exists(date) || hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) {
    return { ok: false, problem: 'exists' };
  }
  const millis = Number((fraction ?? '').padEnd(3, '0').slice(0, 3));
  const offset = (sign === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
  const epochDayOfLocalDate = toEpochDay(date);
  const epochMillis = epochDayOfLocalDate * MS_PER_DAY + ((hour * 60 + minute) * 60 + second) * 1000 + millis - offset;
  return { ok: true, epochMillis, localDate: `${y}-${mo}-${d}`, epochDayOfLocalDate };
}

/**
 * Days since 1970-01-01 in the proleptic Gregorian calendar (what Avro's date logical type holds).
 * Howard Hinnant's days_from_civil: years counted from March so the leap day comes last.
 */
export function toEpochDay(date: CalendarDate | string): number {
  const parsed = typeof date === 'string' ? parseIsoDate(date) : { ok: true as const, date };
  if (!parsed.ok) throw new Error('toEpochDay: not an existing YYYY-MM-DD date');
  const { year, month, day } = parsed.date;
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** The inverse of toEpochDay, as numbers (civil_from_days). */
export function civilFromDays(epochDay: number): CalendarDate {
  const z = epochDay + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return { year, month, day };
}

/** The inverse of toEpochDay, as 'YYYY-MM-DD'. */
export function fromEpochDay(epochDay: number): string {
  const { year, month, day } = civilFromDays(epochDay);
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}
