import { toEpochDay } from '@register-feeds/register-model';
import { describe, expect, it } from 'vitest';
import { ageOn, DAY_MS, isoDateTime, minusYears, studiejaarOf } from './calendar-days.ts';

describe('calendar-days', () => {
  it('given epoch milliseconds, when written, then it is an ISO date-time in UTC to the second', () => {
    expect(isoDateTime(0)).toBe('1970-01-01T00:00:00Z');
    expect(isoDateTime(toEpochDay('2026-03-02') * DAY_MS + (9 * 3600 + 15 * 60 + 7) * 1000 + 999)).toBe('2026-03-02T09:15:07Z');
  });

  it('given 29 February, when years are subtracted into a common year, then it becomes 28 February', () => {
    expect(minusYears(toEpochDay('2024-02-29'), 1)).toBe(toEpochDay('2023-02-28'));
    expect(minusYears(toEpochDay('2024-02-29'), 4)).toBe(toEpochDay('2020-02-29'));
  });

  it('given a birth date, when the age is counted, then the birthday itself counts', () => {
    expect(ageOn(toEpochDay('2010-05-14'), toEpochDay('2022-05-13'))).toBe(11);
    expect(ageOn(toEpochDay('2010-05-14'), toEpochDay('2022-05-14'))).toBe(12);
  });

  it('given a day, when its studiejaar is asked, then 1 August starts a new one', () => {
    expect(studiejaarOf(toEpochDay('2025-07-31'))).toBe(2024);
    expect(studiejaarOf(toEpochDay('2025-08-01'))).toBe(2025);
  });
});
