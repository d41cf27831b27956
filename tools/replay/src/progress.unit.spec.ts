import { describe, expect, it } from 'vitest';
import { createProgress, duration, progressLine, summaryLine } from './progress.ts';

describe('progress', () => {
  it('shows records, percentage, rate and ETA when the total is known', () => {
    expect(progressLine('export', 500, 10, 2000)).toBe('export: 500 records of 2000 (25%), 50 records/s, ETA 0:30');
    expect(progressLine('replay', 100, 0, undefined)).toBe('replay: 100 records, 0 records/s');
  });

  it('formats durations', () => {
    expect(duration(59.6)).toBe('1:00');
    expect(duration(3725)).toBe('1:02:05');
  });

  it('prints a line every 10 s in a log and a summary at the end', () => {
    let now = 0;
    const written: string[] = [];
    const progress = createProgress({ label: 'import', total: 100, tty: false, write: (t) => written.push(t), now: () => now });
    now = 5_000;
    progress.update(10);
    expect(written).toEqual([]);
    now = 10_000;
    progress.update(20);
    expect(written).toEqual(['import: 20 records of 100 (20%), 2 records/s, ETA 0:40\n']);
    now = 20_000;
    progress.finish(100);
    expect(written.at(-1)).toBe(`${summaryLine('import', 100, 20)}\n`);
    expect(written.at(-1)).toBe('import: done, 100 records in 20.0 s (5 records/s)\n');
  });

  it('redraws in place on a terminal', () => {
    let now = 0;
    const written: string[] = [];
    const progress = createProgress({ label: 'export', total: undefined, tty: true, write: (t) => written.push(t), now: () => now });
    now = 300;
    progress.update(3);
    expect(written[0]).toBe('\rexport: 3 records, 10 records/s\u001b[K');
    progress.finish(3);
    expect(written[1]).toBe('\n');
  });
});
