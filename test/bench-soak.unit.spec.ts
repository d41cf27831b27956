import { parseRegisterEvent } from '@register-feeds/ingest';
import { describe, expect, it } from 'vitest';
import { boundedEvent, feedLines } from '../bench/soak/feed.ts';
import { curvesTable, type RssSample, rssCurves, slope, verdict } from '../bench/soak/rss-curve.ts';
import { testBsn } from './support/raw-events.ts';

// The pure parts of bench:soak: what it makes of its RSS samples, and the raw events it feeds.

const MB = 1024;
/** one sample per 10% of a 1,000,000-event run, RSS (MB) by service as a function of the events fed */
function run(rss: Record<string, (events: number) => number>): RssSample[] {
  return Array.from({ length: 11 }, (_, k) => ({
    events: k * 100_000,
    seconds: k * 10,
    rssKb: Object.fromEntries(Object.entries(rss).map(([s, f]) => [s, f(k * 100_000) * MB])),
  }));
}

describe('rssCurves', () => {
  it('given a service that levels off and one that keeps growing, then the first is flat and the second grows by its slope', () => {
    const samples = run({
      steady: (e) => (e < 300_000 ? 100 + e / 10_000 : 130),
      leaking: (e) => 100 + (e / 1_000_000) * 40,
    });
    const [steady, leaking] = rssCurves(samples, 1_000_000, { steady: 140 * MB });
    expect(steady).toMatchObject({ service: 'steady', at: { '10%': 110, '50%': 130, '90%': 130, '100%': 130 }, peakMb: 140 });
    expect(steady!.slopeMbPerMillion).toBeCloseTo(0, 6);
    expect(verdict(steady!)).toBe('flat');
    expect(leaking!.slopeMbPerMillion).toBeCloseTo(40, 6);
    expect(leaking!.peakMb).toBe(140);
    expect(verdict(leaking!)).toBe('**grows**');
    expect(curvesTable([steady!, leaking!])).toContain(
      '| leaking | 104 MB | 120 MB | 136 MB | 140 MB | 140 MB | 40.0 MB per million events | **grows** |',
    );
  });

  it('given a run too short for two samples in its second half, then the slope is not made up', () => {
    const samples: RssSample[] = [
      { events: 0, seconds: 0, rssKb: { ingest: 100 * MB } },
      { events: 1000, seconds: 1, rssKb: { ingest: 120 * MB } },
    ];
    const [curve] = rssCurves(samples, 1000);
    expect(curve!.slopeMbPerMillion).toBeNaN();
    expect(verdict(curve!)).toBe('too few samples');
  });

  it('computes a least-squares slope', () => {
    expect(
      slope([
        [0, 1],
        [1, 3],
        [2, 5],
      ]),
    ).toBeCloseTo(2, 9);
    expect(
      slope([
        [1, 1],
        [1, 2],
      ]),
    ).toBeNaN();
  });
});

describe('the bounded feed', () => {
  it('given 3 students and 12 events, then every event is valid raw input, every id new, and each student comes round every third event', () => {
    const lines = [...feedLines('bounded', { run: 'r1', total: 12, persons: 3 })];
    expect(lines).toHaveLength(12);
    const parsed = lines.map((line) => parseRegisterEvent(Buffer.from(line)));
    for (const p of parsed) expect(p.ok, JSON.stringify(p)).toBe(true);
    const events = lines.map((line) => JSON.parse(line) as { eventId: string; eventType: string; persoon: { bsn: string } });
    expect(new Set(events.map((e) => e.eventId)).size).toBe(12);
    expect(new Set(events.map((e) => e.persoon.bsn)).size).toBe(3);
    expect(events.slice(0, 3).every((e) => e.eventType === 'InschrijvingGeregistreerd')).toBe(true);
    expect(events.slice(3, 6).every((e) => e.eventType === 'BpvGeregistreerd')).toBe(true);
    expect(events.slice(6).every((e) => e.eventType === 'BpvGewijzigd')).toBe(true);
  });

  it('given the 10,000,000th event of 50,000 students, then it is still valid (no nine digits in a row in its id)', () => {
    const bsns = Array.from({ length: 50_000 }, () => testBsn(1));
    const last = boundedEvent('12345678', 9_999_999, bsns);
    expect(parseRegisterEvent(Buffer.from(last)).ok).toBe(true);
    expect(JSON.parse(last).eventId).toBe('soak-12345678-49999-199');
  });
});
