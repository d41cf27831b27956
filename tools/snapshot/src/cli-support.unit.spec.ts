import { InvalidArgumentError, type Progress } from '@register-feeds/service-kit';
import { describe, expect, it } from 'vitest';
import { existingDate, formatOption, isoInstant, readingProgress } from './cli-support.ts';

describe('the commands’ option values', () => {
  it('takes parquet (the default) or jsonl as --format, nothing else', () => {
    const format = formatOption();
    expect(format.defaultValue).toBe('parquet');
    expect(format.argChoices).toEqual(['parquet', 'jsonl']);
  });

  it('takes an instant only with its offset', () => {
    const now = isoInstant('2026-11-15T06:00:00Z');
    expect(now('2026-11-15T06:00:00+01:00')).toBe(Date.parse('2026-11-15T05:00:00Z'));
    expect(now('2026-11-15T06:00:00.250Z')).toBe(Date.parse('2026-11-15T06:00:00.250Z'));
    for (const text of ['2026-11-15T06:00:00', '2026-11-15', 'tomorrow', '']) {
      expect(() => now(text)).toThrow(new InvalidArgumentError('must be an ISO instant with offset, e.g. 2026-11-15T06:00:00Z'));
    }
  });

  it('takes a peildatum only when the date exists, as given', () => {
    expect(existingDate('2024-02-29')).toBe('2024-02-29');
    for (const text of ['2026-02-30', '2025-02-29', '2026-1-1', '01-10-2026', '2026-10-01T00:00:00Z']) {
      expect(() => existingDate(text)).toThrow(new InvalidArgumentError('must be an existing date YYYY-MM-DD'));
    }
  });
});

describe('readingProgress', () => {
  it('sets the total the first report brings, once, and every count', () => {
    const calls: string[] = [];
    const progress = {
      setTotal: (n: number) => calls.push(`total ${n}`),
      update: (n: number) => calls.push(`${n}`),
    } as unknown as Progress;
    const report = readingProgress(progress);
    report({ records: 0, total: 10 });
    report({ records: 5, total: 12 });
    report({ records: 10, total: 12 });
    expect(calls).toEqual(['total 10', '0', '5', '10']);
  });
});
