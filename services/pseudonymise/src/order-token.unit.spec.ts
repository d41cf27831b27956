import { createHash, createHmac } from 'node:crypto';
import { amsterdamEpochDay } from '@register-feeds/register-model';
import { describe, expect, it } from 'vitest';
import { createKeyStore, type RecipientKey } from './keys.ts';
import { orderTokenFor } from './order-token.ts';

/**
 * The tokens as first made: the prefix sums of every segment of the day. Tokens are in recipients' data
 * and a replay must give the same ones, so the faster per-quarter tables must give exactly these.
 */
const SEGMENT_MS = 10_000;
const referenceStarts = new Map<string, Float64Array>();
function referenceToken(occurredAt: number, day: number, key: RecipientKey): number {
  const id = `${key.recipient}|${day}`;
  const starts = referenceStarts.get(id) ?? referencePrefixSums(day, key);
  referenceStarts.set(id, starts);
  const sinceStart = occurredAt - (day * 86_400_000 - 2 * 3_600_000);
  const segment = Math.floor(sinceStart / SEGMENT_MS);
  const from = starts[segment] as number;
  return from + (sinceStart - segment * SEGMENT_MS) * (((starts[segment + 1] as number) - from) / SEGMENT_MS);
}

function referencePrefixSums(day: number, key: RecipientKey): Float64Array {
  const SEGMENTS = 9360;
  const QUARTER = 90;
  const THREE_HOURS = 1080;
  const QUARTERS = 104;
  const BLOCKS = 9;
  const seed = createHmac('sha256', key.secret).update(`${key.recipient}|order|${day}`, 'utf8').digest();
  const bytes = createHash('shake256', { outputLength: SEGMENTS + QUARTERS + BLOCKS })
    .update(seed)
    .digest();
  const factor = (index: number) => 2 ** ((bytes[index] as number) % 8);
  const starts = new Float64Array(SEGMENTS + 1);
  for (let i = 0; i < SEGMENTS; i++) {
    const slope = factor(i) * factor(SEGMENTS + Math.floor(i / QUARTER)) * factor(SEGMENTS + QUARTERS + Math.floor(i / THREE_HOURS));
    starts[i + 1] = (starts[i] as number) + SEGMENT_MS * slope;
  }
  return starts;
}

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
    // violations collected and asserted once: 94,000 expect calls took longer than the test timeout on a busy machine
    const violations: number[] = [];
    let previous = -1;
    for (let t = start; t < end; t += 997) {
      const next = orderTokenFor(t, day, minister);
      if (!(next > previous) || !Number.isSafeInteger(next)) violations.push(t);
      previous = next;
    }
    expect(violations).toEqual([]);
    expect(previous).toBeGreaterThan(0);
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

  it('given instants over many days and two keys, when tokenised, then the tokens are exactly those of the per-segment prefix sums', () => {
    // days far apart (more than the cache holds is not needed: a table is made the same way on every miss)
    const mismatches: string[] = [];
    for (const key of [minister, inspectie]) {
      for (const iso of ['2026-03-29T12:00:00Z', '2026-10-25T12:00:00Z', '2019-01-01T12:00:00Z', '2031-07-15T12:00:00Z']) {
        const day = amsterdamEpochDay(Date.parse(iso));
        const reference = (t: number) => referenceToken(t, day, key);
        const start = day * 86_400_000 - 2 * 3_600_000;
        // the first and last instants of the day, segment and quarter boundaries, and a spread in between
        const instants = [start, start + 9_999, start + 10_000, start + 899_999, start + 900_000, start + 26 * 3_600_000 - 1];
        for (let t = start + 1; t < start + 26 * 3_600_000; t += 3_600_017)
          instants.push(t, t + 12_345_678 > start + 26 * 3_600_000 - 1 ? t : t + 12_345_678);
        for (const t of instants) if (orderTokenFor(t, day, key) !== reference(t)) mismatches.push(`${key.recipient} ${iso} ${t}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('given an instant that is not on the day, when tokenised, then it refuses', () => {
    expect(() =>
      orderTokenFor(Date.parse('2026-03-03T12:00:00Z'), amsterdamEpochDay(Date.parse('2026-03-02T12:00:00Z')), minister),
    ).toThrow(RangeError);
  });
});
