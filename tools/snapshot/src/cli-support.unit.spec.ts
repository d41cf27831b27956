import type { Progress } from '@register-feeds/service-kit';
import { describe, expect, it } from 'vitest';
import { formatFlag, instantFlag, parseFlags, readingProgress, UsageError } from './cli-support.ts';

describe('the commands’ shared option parsing', () => {
  const options = { out: { type: 'string' }, topics: { type: 'boolean' } } as const;

  it('hands the values on, answers help for -h and --help, and says a mistake as a UsageError', () => {
    expect(parseFlags(['--out', 'x', '--topics'], options, (values) => values)).toEqual({ out: 'x', topics: true });
    expect(parseFlags(['-h'], options, () => 'parsed')).toBe('help');
    expect(parseFlags(['--help'], options, () => 'parsed')).toBe('help');
    expect(() => parseFlags(['--nope'], options, () => 'parsed')).toThrow(UsageError);
    expect(() => parseFlags(['stray'], options, () => 'parsed')).toThrow(UsageError);
  });

  it('takes parquet (the default) or jsonl as --format', () => {
    expect(formatFlag(undefined)).toBe('parquet');
    expect(formatFlag('jsonl')).toBe('jsonl');
    expect(() => formatFlag('csv')).toThrow(new UsageError('--format "csv": parquet or jsonl'));
  });

  it('takes an instant only with its offset', () => {
    expect(instantFlag('now', '2026-11-15T06:00:00+01:00', 'E')).toBe(Date.parse('2026-11-15T05:00:00Z'));
    expect(() => instantFlag('now', '2026-11-15T06:00:00', 'E')).toThrow(
      new UsageError('--now "2026-11-15T06:00:00" is not an ISO instant with offset, e.g. E'),
    );
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
