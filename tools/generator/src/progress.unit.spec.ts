import { describe, expect, it } from 'vitest';
import { createProgress, progressLine, summaryLine } from './progress.ts';

describe('progress', () => {
  it('given a known total, when a line is made, then it shows the share, the rate and the time left', () => {
    expect(progressLine(25_000, 3000, 10, 100_000)).toBe('generate: 25000 events (25%), 3000 persons, 2500 events/s, ETA 0:30');
    expect(progressLine(25_000, 3000, 10, undefined)).toBe('generate: 25000 events, 3000 persons, 2500 events/s');
  });

  it('given no terminal, when updated often, then it writes one line per ten seconds', () => {
    let now = 0;
    const written: string[] = [];
    const progress = createProgress({ total: undefined, tty: false, write: (t) => written.push(t), now: () => now });
    for (now = 0; now <= 25_000; now += 100) progress.update(now, 1);
    progress.finish();
    expect(written).toHaveLength(2);
    expect(written.every((line) => line.endsWith('\n') && !line.startsWith('\r'))).toBe(true);
  });

  it('given a terminal, when updated, then the line is redrawn in place and ended at the finish', () => {
    let now = 0;
    const written: string[] = [];
    const progress = createProgress({ total: 10, tty: true, write: (t) => written.push(t), now: () => now });
    now = 300;
    progress.update(5, 1);
    progress.finish();
    expect(written[0]).toMatch(/^\rgenerate: 5 events \(50%\)/);
    expect(written.at(-1)).toBe('\n');
  });

  it('given the figures of a run, when summarised, then one line holds events, persons, seconds, rate and peak RSS', () => {
    expect(summaryLine({ events: 100_000, persons: 7000, seconds: 2, peakRssMb: 85 })).toBe(
      'generate: 100000 events, 7000 persons, 2.0 s, 50000 events/s, peak RSS 85 MB',
    );
  });
});
