import { fromEpochDay, toEpochDay } from '@register-feeds/register-model';
import { describe, expect, it } from 'vitest';
import { type AgeReference, ageOn, eventDate, referenceDates, studyYearOf } from './ages.ts';

describe('ageOn', () => {
  it.each([
    // [why, birth date, on date, age]
    ['born on 29 Feb, 28 Feb of a non-leap year: not yet', '2008-02-29', '2026-02-28', 17],
    ['born on 29 Feb, 1 Mar of a non-leap year: a year older', '2008-02-29', '2026-03-01', 18],
    ['born on 29 Feb, 28 Feb of a leap year: not yet', '2008-02-29', '2028-02-28', 19],
    ['born on 29 Feb, 29 Feb of a leap year: the birthday itself', '2008-02-29', '2028-02-29', 20],
    ['born on 29 Feb, 1 Mar of a leap year', '2008-02-29', '2028-03-01', 20],
    ['born on 29 Feb, 28 Feb of 2100 (not a leap year)', '2004-02-29', '2100-02-28', 95],
    ['born on 29 Feb, 1 Mar of 2100', '2004-02-29', '2100-03-01', 96],
    ['born on 28 Feb of a leap year, 28 Feb', '2008-02-28', '2026-02-28', 18],
    ['day before the birthday', '2007-03-21', '2025-03-20', 17],
    ['on the birthday', '2007-03-21', '2025-03-21', 18],
    ['day after the birthday', '2007-03-21', '2025-03-22', 18],
    ['born 31 Dec, on 31 Dec', '2007-12-31', '2025-12-31', 18],
    ['born 31 Dec, on 1 Jan after it', '2007-12-31', '2026-01-01', 18],
    ['born 1 Jan, on 31 Dec before the birthday', '2008-01-01', '2025-12-31', 17],
    ['born 1 Jan, on 1 Jan', '2008-01-01', '2026-01-01', 18],
    ['on the day of birth', '2025-06-15', '2025-06-15', 0],
    ['day before the first birthday', '2024-06-15', '2025-06-14', 0],
    ['born before 1970 (negative epoch day)', '1960-07-01', '2025-08-01', 65],
  ])('given %s (%s on %s), when the age is taken, then it is %i', (_, birth, on, age) => {
    expect(ageOn(toEpochDay(birth), toEpochDay(on))).toBe(age);
  });

  it('given a date before the birth, when the age is taken, then it refuses', () => {
    expect(() => ageOn(toEpochDay('2025-06-15'), toEpochDay('2025-06-14'))).toThrow(RangeError);
  });
});

describe('eventDate', () => {
  it.each([
    ['23:30 UTC on 31 Jul is already 1 Aug in Amsterdam (summer time)', '2026-07-31T23:30:00Z', '2026-08-01'],
    ['21:59 UTC on 31 Jul is still 31 Jul in summer', '2026-07-31T21:59:59Z', '2026-07-31'],
    ['22:00 UTC on 31 Jul is 1 Aug at midnight in summer', '2026-07-31T22:00:00Z', '2026-08-01'],
    ['22:30 UTC on 31 Dec is still 31 Dec in winter', '2025-12-31T22:30:00Z', '2025-12-31'],
    ['23:00 UTC on 31 Dec is New Year in winter', '2025-12-31T23:00:00Z', '2026-01-01'],
  ])('given %s, when the event date is taken, then it is %s', (_, instant, date) => {
    expect(fromEpochDay(eventDate(Date.parse(instant)))).toBe(date);
  });
});

describe('studyYearOf and referenceDates', () => {
  const minister: AgeReference[] = [
    { label: 'op-1-augustus', at: { kind: 'month-day', month: 8, day: 1 } },
    { label: 'op-30-september', at: { kind: 'month-day', month: 9, day: 30 } },
    { label: 'op-1-oktober', at: { kind: 'month-day', month: 10, day: 1 } },
    { label: 'op-31-december', at: { kind: 'month-day', month: 12, day: 31 } },
  ];
  const inspectie: AgeReference[] = [
    { label: 'op-1-augustus', at: { kind: 'month-day', month: 8, day: 1 } },
    { label: 'op-1-november', at: { kind: 'month-day', month: 11, day: 1 } },
    { label: 'op-1-februari', at: { kind: 'month-day', month: 2, day: 1 } },
    { label: 'op-1-mei', at: { kind: 'month-day', month: 5, day: 1 } },
  ];
  const resolve = (ages: AgeReference[], instant: string) => referenceDates(ages, Date.parse(instant)).map((r) => fromEpochDay(r.epochDay));

  it.each([
    ['31 Jul belongs to the study year that began the August before', '2026-07-31', 2025],
    ['1 Aug starts a new study year', '2026-08-01', 2026],
    ['31 Dec is in the first half', '2025-12-31', 2025],
    ['1 Jan is in the second half', '2026-01-01', 2025],
  ])('given %s (%s), when the study year is taken, then it begins in %i', (_, date, year) => {
    expect(studyYearOf(toEpochDay(date))).toBe(year);
  });

  it('given an event in July, when the Minister’s dates are resolved, then they lie in the calendar year the study year began', () => {
    expect(resolve(minister, '2026-07-15T10:00:00Z')).toEqual(['2025-08-01', '2025-09-30', '2025-10-01', '2025-12-31']);
  });

  it('given an event in August, when the Minister’s dates are resolved, then they lie in the new study year', () => {
    expect(resolve(minister, '2026-08-15T10:00:00Z')).toEqual(['2026-08-01', '2026-09-30', '2026-10-01', '2026-12-31']);
  });

  it('given an event in March, when the Inspectie’s quarter days are resolved, then Aug and Nov are in the first year and Feb and May in the second', () => {
    expect(resolve(inspectie, '2026-03-02T08:15:00Z')).toEqual(['2025-08-01', '2025-11-01', '2026-02-01', '2026-05-01']);
  });

  it('given an event at 23:30 UTC on 31 Jul (1 Aug in Amsterdam), when resolved, then the new study year applies', () => {
    expect(resolve(inspectie, '2026-07-31T23:30:00Z')).toEqual(['2026-08-01', '2026-11-01', '2027-02-01', '2027-05-01']);
    expect(resolve([{ label: 'op-datum-wijziging', at: { kind: 'event-date' } }], '2026-07-31T23:30:00Z')).toEqual(['2026-08-01']);
  });

  it('given a student born on 29 Feb 2008 and an event in study year 2025/26, when aged on the Inspectie’s days, then 1 Feb gives 17 and 1 May 18', () => {
    const birth = toEpochDay('2008-02-29');
    const ages = referenceDates(inspectie, Date.parse('2025-09-10T08:00:00Z')).map((r) => ageOn(birth, r.epochDay));
    expect(ages).toEqual([17, 17, 17, 18]);
  });
});
