import { describe, expect, it } from 'vitest';
import { amsterdamDayStart, amsterdamEpochDay, amsterdamOffsetMillis } from './amsterdam-date.ts';

const HOUR = 3_600_000;
const DAY = 86_400_000;
const intl = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Amsterdam', year: 'numeric', month: '2-digit', day: '2-digit' });
const intlEpochDay = (millis: number): number => Date.parse(`${intl.format(millis)}T00:00:00Z`) / DAY;

describe('amsterdamEpochDay', () => {
  it('given every hour of the weeks around each summer-time change from 1996 to 2040, when converted, then it agrees with Intl', () => {
    // given
    const mismatches: string[] = [];
    for (let year = 1996; year <= 2040; year++) {
      for (const month of [2, 9]) {
        // 20 March / 20 October to 10 April / 10 November: both transitions, at hour resolution, plus the minute either side.
        const start = Date.UTC(year, month, 20);
        for (let t = start; t < start + 21 * DAY; t += HOUR) {
          for (const instant of [t - 60_000, t, t + 60_000]) {
            // when / then
            if (amsterdamEpochDay(instant) !== intlEpochDay(instant)) mismatches.push(new Date(instant).toISOString());
          }
        }
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('given the hours around midnight of every day of 2025 and 2026, when converted, then it agrees with Intl', () => {
    const mismatches: string[] = [];
    for (let t = Date.UTC(2025, 0, 1); t < Date.UTC(2027, 0, 1); t += DAY) {
      for (const instant of [t - 2 * HOUR - 1, t - 2 * HOUR, t - HOUR - 1, t - HOUR, t, t + HOUR]) {
        if (amsterdamEpochDay(instant) !== intlEpochDay(instant)) mismatches.push(new Date(instant).toISOString());
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('given the instants of the 2026 changes, when the offset is taken, then it switches at 01:00 UTC on the last Sundays', () => {
    expect(amsterdamOffsetMillis(Date.parse('2026-03-29T00:59:59.999Z'))).toBe(HOUR);
    expect(amsterdamOffsetMillis(Date.parse('2026-03-29T01:00:00Z'))).toBe(2 * HOUR);
    expect(amsterdamOffsetMillis(Date.parse('2026-10-25T00:59:59.999Z'))).toBe(2 * HOUR);
    expect(amsterdamOffsetMillis(Date.parse('2026-10-25T01:00:00Z'))).toBe(HOUR);
  });
});

describe('amsterdamDayStart', () => {
  it('given instants in winter, in summer and just after midnight, when asked, then it is the Dutch midnight of that day', () => {
    expect(amsterdamDayStart(Date.parse('2026-01-15T12:00:00Z'))).toBe(Date.parse('2026-01-14T23:00:00Z'));
    expect(amsterdamDayStart(Date.parse('2026-07-15T12:00:00Z'))).toBe(Date.parse('2026-07-14T22:00:00Z'));
    // 00:30 in Amsterdam on 16 July: never ahead of the clock
    expect(amsterdamDayStart(Date.parse('2026-07-15T22:30:00Z'))).toBe(Date.parse('2026-07-15T22:00:00Z'));
    // the day summer time ends (25 hours) and the day it starts (23 hours)
    expect(amsterdamDayStart(Date.parse('2026-10-25T20:00:00Z'))).toBe(Date.parse('2026-10-24T22:00:00Z'));
    expect(amsterdamDayStart(Date.parse('2026-03-29T20:00:00Z'))).toBe(Date.parse('2026-03-28T23:00:00Z'));
  });
});
