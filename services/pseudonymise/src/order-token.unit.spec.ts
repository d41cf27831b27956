import { amsterdamEpochDay } from '@register-feeds/register-model';
import { describe, expect, it } from 'vitest';
import { createKeyStore } from './keys.ts';
import { orderTokenFor } from './order-token.ts';

// TEST KEYS, fixed so the figures below are the same on every run (a random key could, rarely, give close ratios)
const testKey = (fill: number) => ({ current: 'v1', versions: { v1: Buffer.alloc(32, fill).toString('base64') } });
const keys = createKeyStore({ 'ocw-minister': testKey(1), 'inspectie-onderwijs': testKey(2) });
const minister = keys.keyFor('ocw-minister')!;
const inspectie = keys.keyFor('inspectie-onderwijs')!;
const token = (iso: string, key = minister) => orderTokenFor(Date.parse(iso), amsterdamEpochDay(Date.parse(iso)), key);

describe('orderTokenFor', () => {
  it('given instants through a whole Amsterdam day, DST change included, when tokenised, then the tokens increase strictly', () => {
    // 2026-10-25 has 25 hours in Amsterdam; step 997 ms so every segment boundary is crossed somewhere
    const day = amsterdamEpochDay(Date.parse('2026-10-25T12:00:00Z'));
    const start = Date.parse('2026-10-24T22:00:00Z');
    const end = Date.parse('2026-10-25T23:00:00Z');
    let previous = -1;
    for (let t = start; t < end; t += 997) {
      const next = orderTokenFor(t, day, minister);
      expect(next).toBeGreaterThan(previous);
      expect(Number.isSafeInteger(next)).toBe(true);
      previous = next;
    }
  });

  it('given the same instant, when tokenised twice, then the token is the same; another recipient gets another', () => {
    expect(token('2026-03-02T09:15:00.123Z')).toBe(token('2026-03-02T09:15:00.123Z'));
    expect(token('2026-03-02T09:15:00.123Z')).not.toBe(token('2026-03-02T09:15:00.123Z', inspectie));
  });

  it('given two recipients, when changes of a day are tokenised, then the gaps between them do not carry over from one to the other', () => {
    // 300 triples of instants on one day (a fixed LCG, so the same every run): the ratio of the gaps
    // (b - a) / (c - a) is the same for every recipient in real time; in tokens it must not be
    let seed = 7;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const dayStart = Date.parse('2026-03-01T23:00:00Z');
    const day = amsterdamEpochDay(dayStart);
    let close = 0;
    let closeToReal = 0;
    const triples = 300;
    for (let n = 0; n < triples; n++) {
      const [a, b, c] = [next(), next(), next()].map((f) => dayStart + Math.floor(f * 86_400_000)).sort((x, y) => x - y) as [
        number,
        number,
        number,
      ];
      const ratio = (key: typeof minister) => {
        const [ta, tb, tc] = [a, b, c].map((t) => orderTokenFor(t, day, key)) as [number, number, number];
        return (tb - ta) / (tc - ta);
      };
      if (Math.abs(ratio(minister) - ratio(inspectie)) < 0.02) close += 1;
      if (Math.abs(ratio(minister) - (b - a) / (c - a)) < 0.02) closeToReal += 1;
    }
    // with one slope per segment only, long gaps average out and nearly every ratio would match
    expect(close / triples).toBeLessThan(0.2);
    expect(closeToReal / triples).toBeLessThan(0.2);
  });

  it('given an instant that is not on the day, when tokenised, then it refuses', () => {
    expect(() =>
      orderTokenFor(Date.parse('2026-03-03T12:00:00Z'), amsterdamEpochDay(Date.parse('2026-03-02T12:00:00Z')), minister),
    ).toThrow(RangeError);
  });
});
