import { toEpochDay } from '@register-feeds/register-model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GGD_SCHOOL, startTestApi, type TestApi, TOKENS } from './api/api.test-support.ts';
import { ggdReadDay } from './deliver.ts';
import { feedTimestamp } from './projection-runner.ts';

// The GGD read side: no read, on any date, lists a student who is 18 or older today (Europe/Amsterdam,
// from the injected clock). The list's student 111111110 turns 18 on 2026-06-15.

describe('ggdReadDay', () => {
  const today = toEpochDay('2026-06-15');
  it('reads on today without a peildatum, on the peildatum when it is later, and never before today', () => {
    expect(ggdReadDay(undefined, today)).toBe(today);
    expect(ggdReadDay(toEpochDay('2026-09-01'), today)).toBe(toEpochDay('2026-09-01'));
    expect(ggdReadDay(toEpochDay('2026-01-01'), today)).toBe(today);
  });
});

describe('the GGD lists through the read API, with a clock that moves', () => {
  let now = Date.UTC(2026, 5, 14, 21, 59); // 2026-06-14 23:59 in Amsterdam (summer time, UTC+2)
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ clock: () => now });
  });
  afterAll(() => api.close());

  const listed = async (path: string) => {
    const response = await fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${TOKENS.ggd}` } });
    expect(response.status).toBe(200);
    return JSON.stringify(await response.json());
  };
  const reads = [
    '/v1/ggd-jeugdgezondheid/rows',
    '/v1/ggd-jeugdgezondheid/rows?peildatum=2026-03-01',
    '/v1/ggd-jeugdgezondheid/rows?peildatum=2020-01-01',
    `/v1/ggd-jeugdgezondheid/rows/${encodeURIComponent(GGD_SCHOOL)}?peildatum=2026-03-01`,
  ];

  it('lists the student the day before their 18th birthday, on any date asked', async () => {
    for (const path of reads) expect(await listed(path), path).toContain('111111110');
    expect(await listed('/v1/ggd-jeugdgezondheid/rows?peildatum=2026-06-15')).not.toContain('111111110');
  });

  it('lists them on no date at all from midnight in Amsterdam on, a past peildatum included', async () => {
    now = Date.UTC(2026, 5, 14, 22, 0); // 2026-06-15 00:00 in Amsterdam
    for (const path of reads) {
      const body = await listed(path);
      expect(body, path).not.toContain('111111110');
      expect(body, path).toContain('222222220');
    }
  });
});

describe('feedTimestamp', () => {
  it('is the instant the day began in Amsterdam, in winter and in summer time', () => {
    expect(feedTimestamp(Date.parse('2026-01-10T15:00:00Z'))).toBe(String(Date.parse('2026-01-09T23:00:00Z')));
    expect(feedTimestamp(Date.parse('2026-07-10T15:00:00Z'))).toBe(String(Date.parse('2026-07-09T22:00:00Z')));
    // just after midnight in Amsterdam, still the day before in UTC
    expect(feedTimestamp(Date.parse('2026-07-09T22:30:00Z'))).toBe(String(Date.parse('2026-07-09T22:00:00Z')));
    // the days summer time starts and ends: midnight is before the change
    expect(feedTimestamp(Date.parse('2026-03-29T12:00:00Z'))).toBe(String(Date.parse('2026-03-28T23:00:00Z')));
    expect(feedTimestamp(Date.parse('2026-10-25T12:00:00Z'))).toBe(String(Date.parse('2026-10-24T22:00:00Z')));
  });

  it('is the same for every instant of a day, and never after the instant (Kafka refuses future timestamps)', () => {
    const start = Date.parse('2026-03-28T23:00:00Z'); // 2026-03-29, 23 hours long
    for (let t = start; t < start + 23 * 3_600_000; t += 7 * 60_000) {
      expect(feedTimestamp(t)).toBe(String(start));
      expect(Number(feedTimestamp(t))).toBeLessThanOrEqual(t);
    }
  });
});
