import { isValidBsn, isValidOnderwijsnummer } from '@register-feeds/ingest';
import { describe, expect, it } from 'vitest';
import { checkDigit, createPersonNumbers } from './person-numbers.ts';
import { createRandom } from './random.ts';

describe('createPersonNumbers', () => {
  it('given 50 000 of each, when issued, then every BSN passes the elfproef, every onderwijsnummer its check, and none repeats', () => {
    const numbers = createPersonNumbers(createRandom(3));
    const bsns = Array.from({ length: 50_000 }, () => numbers.nextBsn());
    const onderwijsnummers = Array.from({ length: 50_000 }, () => numbers.nextOnderwijsnummer());
    expect(bsns.filter((n) => !isValidBsn(n))).toEqual([]);
    expect(onderwijsnummers.filter((n) => !isValidOnderwijsnummer(n))).toEqual([]);
    expect(new Set(bsns).size).toBe(bsns.length);
    expect(new Set(onderwijsnummers).size).toBe(onderwijsnummers.length);
  });

  it('given the same seed, when issued, then the same numbers come out; they are scattered, not counted', () => {
    const a = createPersonNumbers(createRandom(1));
    const b = createPersonNumbers(createRandom(1));
    const first = [a.nextBsn(), a.nextBsn(), a.nextBsn()];
    expect([b.nextBsn(), b.nextBsn(), b.nextBsn()]).toEqual(first);
    expect(Math.abs(Number(first[1]) - Number(first[0]))).toBeGreaterThan(1000);
  });

  it('given known test numbers, when the check digit is computed, then it matches them', () => {
    // 111222333, 123456782 and 999999990 are the contract's example BSNs; 101000012 its onderwijsnummer
    expect(checkDigit('11122233', 0)).toBe(3);
    expect(checkDigit('12345678', 0)).toBe(2);
    expect(checkDigit('99999999', 0)).toBe(0);
    expect(checkDigit('10100001', 5)).toBe(2);
  });
});
