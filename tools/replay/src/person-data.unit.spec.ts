import { describe, expect, it } from 'vitest';
import { testBsn } from '../../../test/support/raw-events.ts';
import { findPersonData, isPersonNumber, personFieldIn, personNumbersIn } from './person-data.ts';

const record = (value: string | Buffer | null, extra: { key?: string; headers?: Record<string, string> } = {}) => ({
  key: extra.key === undefined ? null : Buffer.from(extra.key),
  value: value === null ? null : Buffer.from(value),
  headers: Object.fromEntries(Object.entries(extra.headers ?? {}).map(([k, v]) => [k, Buffer.from(v)])),
});

describe('isPersonNumber', () => {
  it('accepts a BSN passing the elfproef and an onderwijsnummer leaving 5', () => {
    expect(isPersonNumber('111222333')).toBe(true); // 9+8+7+12+10+8+9+6-3 = 66 = 6 * 11
    expect(isPersonNumber('123456782')).toBe(true);
    expect(isPersonNumber(testBsn(42))).toBe(true);
    // onderwijsnummer: the weighted sum leaves 5
    const head = '10000000';
    const sum = [...head].reduce((a, d, i) => a + Number(d) * (9 - i), 0); // 9
    const last = (((sum - 5) % 11) + 11) % 11; // 9 - d9 ≡ 5  => d9 = 4
    expect(isPersonNumber(`${head}${last}`)).toBe(true);
  });

  it('rejects numbers failing both checks and anything not nine digits', () => {
    expect(isPersonNumber('123456789')).toBe(false);
    expect(isPersonNumber('12345678')).toBe(false);
    expect(isPersonNumber('1234567820')).toBe(false);
    expect(isPersonNumber('12345678a')).toBe(false);
  });
});

describe('findPersonData', () => {
  it('given a JSON value with a BSN, then it finds a person number in the value', () => {
    expect(findPersonData(record(JSON.stringify({ id: 'x', ref: testBsn(1) })))).toEqual({ what: 'person number', where: 'value' });
  });

  it('given a name field, then it names the field path but not the value', () => {
    const finding = findPersonData(record(JSON.stringify({ persoon: { naam: { achternaam: 'Jansen' } } })));
    expect(finding).toEqual({ what: 'person field persoon.naam.achternaam', where: 'value' });
    expect(JSON.stringify(finding)).not.toContain('Jansen');
  });

  it('looks at keys, headers and non-JSON bytes too', () => {
    expect(findPersonData(record('plain', { key: testBsn(3) }))?.where).toBe('key');
    expect(findPersonData(record('plain', { headers: { who: `bsn=${testBsn(3)}` } }))?.where).toBe('header who');
    expect(findPersonData(record(Buffer.concat([Buffer.from([0, 0, 0, 0, 1]), Buffer.from(testBsn(9))])))?.where).toBe('value');
  });

  it('uses the decoded value when given', () => {
    const r = { ...record(Buffer.from([0, 0, 0, 0, 7, 1, 2])), decodedValue: { geboortedatum: '2007-05-14' } };
    expect(findPersonData(r)?.what).toBe('person field geboortedatum');
  });

  it('given records without persons, then there is no finding', () => {
    expect(findPersonData(record(JSON.stringify({ id: 1, count: 123456789, at: '2025-01-01' }), { key: 'k-1' }))).toBeUndefined();
    expect(findPersonData(record(null))).toBeUndefined();
    expect(findPersonData(record(Buffer.from([1, 2, 3, 255])))).toBeUndefined();
  });

  it('does not count rekeyed fields as person data', () => {
    expect(personFieldIn({ bsn: 'anon-abc', naam: '[removed]' })).toBeUndefined();
  });

  it('finds standalone numbers only', () => {
    expect(personNumbersIn(`x${testBsn(5)}y 1${testBsn(5)}`)).toEqual([testBsn(5)]);
  });
});
