import { describe, expect, it } from 'vitest';
import { summaryLine } from './summary.ts';

describe('summaryLine', () => {
  it('given the figures of a run, when summarised, then one line holds events, persons, seconds, rate and peak RSS', () => {
    expect(summaryLine({ events: 100_000, persons: 7000, seconds: 2, peakRssMb: 85 })).toBe(
      'generate: 100000 events, 7000 persons, 2.0 s, 50000 events/s, peak RSS 85 MB',
    );
  });
});
