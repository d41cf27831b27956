/**
 * The calendar date in the Netherlands (Europe/Amsterdam) of an instant, by a fixed rule instead of the
 * ICU time-zone database, so the answer cannot change with the Node build or a tzdata update and a replay
 * of old events gives the same dates.
 *
 * The rule is the EU summer-time directive (2000/84/EC, harmonised since 1996): CET (UTC+1), and CEST
 * (UTC+2) from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of October. It agrees
 * with Intl for every instant from 1996 on (see the unit test); before 1996 summer time in the Netherlands
 * ended in September, which the rule does not model: register events and agreement terms are all later.
 * If the Netherlands leaves summer time, this rule needs a dated cut-over, not a switch to Intl.
 */

import { daysInMonth, fromEpochDay, toEpochDay } from './calendar.ts';
import type { EpochDay, EpochMillis } from './register-event.ts';

const MS_PER_DAY = 86_400_000;
const MS_PER_HOUR = 3_600_000;

/** 0 = Sunday ... 6 = Saturday; 1970-01-01 was a Thursday. */
function weekday(epochDay: EpochDay): number {
  return (((epochDay + 4) % 7) + 7) % 7;
}

function lastSundayOf(year: number, month: number): EpochDay {
  const last = toEpochDay({ year, month, day: daysInMonth(year, month) });
  return last - weekday(last);
}

/** The year of an epoch day (proleptic Gregorian), via the register model's own conversion. */
export function yearOf(epochDay: EpochDay): number {
  return Number(fromEpochDay(epochDay).slice(0, 4));
}

/** Offset of Dutch legal time from UTC at an instant, in milliseconds: one hour in winter, two in summer. */
export function amsterdamOffsetMillis(epochMillis: EpochMillis): number {
  // The transitions are in March and October, far from New Year, so the UTC year is the Dutch year.
  const year = yearOf(Math.floor(epochMillis / MS_PER_DAY));
  const summerStarts = lastSundayOf(year, 3) * MS_PER_DAY + MS_PER_HOUR;
  const summerEnds = lastSundayOf(year, 10) * MS_PER_DAY + MS_PER_HOUR;
  return epochMillis >= summerStarts && epochMillis < summerEnds ? 2 * MS_PER_HOUR : MS_PER_HOUR;
}

/** The calendar date in Europe/Amsterdam of an instant, as an epoch day. */
export function amsterdamEpochDay(epochMillis: EpochMillis): EpochDay {
  return Math.floor((epochMillis + amsterdamOffsetMillis(epochMillis)) / MS_PER_DAY);
}

/**
 * The instant the Amsterdam day of an instant began. Summer time never starts or ends at midnight, so the
 * offset an hour before UTC midnight of the Dutch date is the offset at the Dutch midnight. Used as the
 * Kafka timestamp of recipient-facing records: the delivery date, not the instant every recipient of one
 * event shares; the true start of the day rather than UTC midnight of the Dutch date, which lies up to two
 * hours ahead just after midnight, and Kafka 4 refuses records more than an hour in the future
 * (message.timestamp.after.max.ms).
 */
export function amsterdamDayStart(epochMillis: EpochMillis): EpochMillis {
  const utcMidnight = amsterdamEpochDay(epochMillis) * MS_PER_DAY;
  return utcMidnight - amsterdamOffsetMillis(utcMidnight - MS_PER_HOUR);
}
