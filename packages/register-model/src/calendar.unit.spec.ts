import { describe, expect, it } from 'vitest';
import { civilDate } from './age.ts';
import { civilFromDays, fromEpochDay, parseIsoDate, parseIsoDateTime, toEpochDay } from './calendar.ts';

describe('parseIsoDate', () => {
  it.each(['2026-02-28', '2024-02-29', '2000-02-29', '1970-01-01', '2025-12-31'])('given %s, when parsed, then it exists', (date) => {
    expect(parseIsoDate(date).ok).toBe(true);
  });

  it.each([
    '2026-02-30',
    '2025-02-29',
    '1900-02-29',
    '2025-04-31',
    '2025-13-01',
    '2025-00-10',
    '2025-01-00',
  ])('given %s, when parsed, then it does not exist', (date) => {
    expect(parseIsoDate(date)).toEqual({ ok: false, problem: 'exists' });
  });

  it.each([
    '2025-8-25',
    '25-08-2025',
    '2025-08-25T00:00:00Z',
    '20250825',
    ' 2025-08-25',
  ])('given %s, when parsed, then the format is wrong', (date) => {
    expect(parseIsoDate(date)).toEqual({ ok: false, problem: 'format' });
  });
});

describe('parseIsoDateTime', () => {
  it.each([
    '2025-08-20T09:00:00+02:00',
    '2025-08-20T07:00:00Z',
    '2025-08-20T07:00:00.123Z',
    '2025-08-20T07:00:00.123456789Z',
    '2025-08-19T21:00:00-10:00',
  ])('given %s, when parsed, then it gives the same epoch millis as Date.parse', (text) => {
    const parsed = parseIsoDateTime(text);
    expect(parsed.ok && parsed.epochMillis).toBe(Date.parse(text.replace(/(\.\d{3})\d+/, '$1')));
  });

  it('given an offset, when parsed, then the local date is the calendar date as written', () => {
    const parsed = parseIsoDateTime('2025-08-20T00:30:00+02:00');
    expect(parsed.ok && parsed.localDate).toBe('2025-08-20');
  });

  it.each([
    '2025-08-20T09:00:00',
    '2025-08-20 09:00:00Z',
    '2025-08-20T09:00Z',
    '2025-08-20t09:00:00z',
    '2025-08-20T09:00:00+0200',
  ])('given %s, when parsed, then the format is wrong', (text) => {
    expect(parseIsoDateTime(text)).toEqual({ ok: false, problem: 'format' });
  });

  it.each([
    '2026-02-30T09:00:00Z',
    '2025-08-20T24:00:00Z',
    '2025-08-20T23:60:00Z',
    '2025-08-20T23:59:60Z',
    '2025-08-20T09:00:00+24:00',
  ])('given %s, when parsed, then it does not exist', (text) => {
    expect(parseIsoDateTime(text)).toEqual({ ok: false, problem: 'exists' });
  });
});

describe('toEpochDay and fromEpochDay', () => {
  it('given the epoch and known dates, when converted, then they give the Avro date values', () => {
    expect(toEpochDay('1970-01-01')).toBe(0);
    expect(toEpochDay('1969-12-31')).toBe(-1);
    expect(toEpochDay('2000-03-01')).toBe(11_017);
    expect(toEpochDay({ year: 2025, month: 9, day: 1 })).toBe(Date.UTC(2025, 8, 1) / 86_400_000);
  });

  it('given every day from 1899 to 2101, when converted there and back, then the date is unchanged and agrees with Date.UTC', () => {
    const mismatches: number[] = [];
    for (let day = toEpochDay('1899-01-01'); day <= toEpochDay('2101-12-31'); day++) {
      const date = fromEpochDay(day);
      if (date !== new Date(day * 86_400_000).toISOString().slice(0, 10) || toEpochDay(date) !== day) mismatches.push(day);
    }
    expect(mismatches).toEqual([]);
  });

  it('given a date that does not exist, when converted, then it throws', () => {
    expect(() => toEpochDay('2026-02-30')).toThrow(/not an existing/);
  });

  it('given every day from 1899 to 2101, when taken as numbers, then they are the date fromEpochDay writes', () => {
    const mismatches: number[] = [];
    for (let day = toEpochDay('1899-01-01'); day <= toEpochDay('2101-12-31'); day++) {
      const parsed = parseIsoDate(fromEpochDay(day));
      if (
        !parsed.ok ||
        JSON.stringify(civilFromDays(day)) !== JSON.stringify(parsed.date) ||
        JSON.stringify(civilDate(day)) !== JSON.stringify(parsed.date)
      )
        mismatches.push(day);
    }
    expect(mismatches).toEqual([]);
  });

  it('given a day outside the years 0000-9999, when taken as a civil date, then it throws', () => {
    expect(civilDate(toEpochDay('0000-01-01'))).toEqual({ year: 0, month: 1, day: 1 });
    expect(civilDate(toEpochDay('9999-12-31'))).toEqual({ year: 9999, month: 12, day: 31 });
    expect(() => civilDate(toEpochDay('0000-01-01') - 1)).toThrow(RangeError);
    expect(() => civilDate(toEpochDay('9999-12-31') + 1)).toThrow(RangeError);
  });
});
