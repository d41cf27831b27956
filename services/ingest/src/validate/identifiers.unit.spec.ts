import { describe, expect, it } from 'vitest';
import {
  elfproefRemainder,
  holdsNineDigitRun,
  isAlphanumeric,
  isEventIdText,
  isValidBrin,
  isValidBrinVestiging,
  isValidBsn,
  isValidOnderwijsnummer,
  isValidOpleidingscode,
  vestigingBelongsToBrin,
} from './identifiers.ts';

// Valid test numbers were computed with the elfproef (9*d1 + ... + 2*d8 - 1*d9); none belong to anyone known.
describe('isValidBsn', () => {
  it.each([
    ['111222333', 'sum 66 = 6 * 11'],
    ['123456782', 'sum 154 = 14 * 11'],
    ['999999990', 'sum 396 = 36 * 11'],
    ['012345672', 'a leading zero is kept'],
    ['111111110', 'sum 44 = 4 * 11'],
  ])('given %s (%s), when checked, then it is a valid BSN', (bsn) => {
    expect(isValidBsn(bsn)).toBe(true);
  });

  it.each([
    ['123456789', 'sum 147, remainder 4'],
    ['111222334', 'last digit changed, remainder 10'],
    ['999999991', 'last digit changed, remainder 10'],
    ['000000000', 'all zeros passes the sum but is not a number'],
    ['12345678', 'eight digits'],
    ['1234567820', 'ten digits'],
    ['12345678a', 'a letter'],
    [' 123456782', 'leading space'],
    ['', 'empty'],
    ['101000012', 'an onderwijsnummer (remainder 5)'],
  ])('given %s (%s), when checked, then it is not a valid BSN', (bsn) => {
    expect(isValidBsn(bsn)).toBe(false);
  });
});

describe('isValidOnderwijsnummer', () => {
  it.each(['101000012', '101000000', '110000001'])('given %s (remainder 5), when checked, then it is a valid onderwijsnummer', (nummer) => {
    expect(elfproefRemainder(nummer)).toBe(5);
    expect(isValidOnderwijsnummer(nummer)).toBe(true);
  });

  it.each([
    ['111222333', 'a BSN (remainder 0)'],
    ['101000013', 'remainder 4'],
    ['10100001', 'eight digits'],
    ['10100001x', 'a letter'],
  ])('given %s (%s), when checked, then it is not a valid onderwijsnummer', (nummer) => {
    expect(isValidOnderwijsnummer(nummer)).toBe(false);
  });
});

describe('elfproefRemainder', () => {
  it('given a number whose weighted sum is negative, when reduced, then the remainder is still 0..10', () => {
    // 000000009: sum -9, so JavaScript's % would give -9
    expect(elfproefRemainder('000000009')).toBe(2);
  });
});

describe('isValidBrin and isValidBrinVestiging', () => {
  it.each(['25LX', '00AA', '99Z9', '1234'])('given BRIN %s, when checked, then it is valid', (brin) => {
    expect(isValidBrin(brin)).toBe(true);
  });

  it.each(['2X5L', '25lx', '25L', '25LXX', 'AB12', '25L-'])('given BRIN %s, when checked, then it is invalid', (brin) => {
    expect(isValidBrin(brin)).toBe(false);
  });

  it.each(['25LX01', '00AA99'])('given vestiging %s, when checked, then it is valid', (vestiging) => {
    expect(isValidBrinVestiging(vestiging)).toBe(true);
  });

  it.each(['25LX1', '25LX0A', '25LX001', '25lx01'])('given vestiging %s, when checked, then it is invalid', (vestiging) => {
    expect(isValidBrinVestiging(vestiging)).toBe(false);
  });

  it('given a vestiging, when compared with a BRIN, then it belongs only to the BRIN it starts with', () => {
    expect(vestigingBelongsToBrin('25LX01', '25LX')).toBe(true);
    expect(vestigingBelongsToBrin('26LX01', '25LX')).toBe(false);
  });
});

describe('isValidOpleidingscode', () => {
  it('given MBO, when checked, then only a crebo of exactly 5 digits is valid', () => {
    expect(isValidOpleidingscode('25604', 'MBO')).toBe(true);
    expect(isValidOpleidingscode('2560', 'MBO')).toBe(false);
    expect(isValidOpleidingscode('256040', 'MBO')).toBe(false);
  });

  it.each(['PO', 'VO'] as const)('given %s, when checked, then 4 or 5 digits are valid', (sector) => {
    expect(isValidOpleidingscode('1000', sector)).toBe(true);
    expect(isValidOpleidingscode('12345', sector)).toBe(true);
    expect(isValidOpleidingscode('123', sector)).toBe(false);
    expect(isValidOpleidingscode('12a4', sector)).toBe(false);
  });
});

describe('isAlphanumeric', () => {
  it('given text, when checked against 1..10, then only ASCII letters and digits within the length pass', () => {
    expect(isAlphanumeric('LOC01', 1, 10)).toBe(true);
    expect(isAlphanumeric('', 1, 10)).toBe(false);
    expect(isAlphanumeric('ABCDEFGHIJK', 1, 10)).toBe(false);
    expect(isAlphanumeric('LOC-01', 1, 10)).toBe(false);
    expect(isAlphanumeric('LOCé', 1, 10)).toBe(false);
  });
});

describe('isEventIdText and holdsNineDigitRun', () => {
  it.each([
    'sample-001',
    'gen-42-1',
    '550e8400-e29b-41d4-a716-446655440000',
    'A-z-0',
    '',
  ])('given %j, then its characters may be an eventId', (id) => {
    expect(isEventIdText(id)).toBe(true);
  });

  it.each(['a_b', 'a b', 'a:b', 'a/b', 'é', 'ａ', '１'])('given %j, then its characters may not be an eventId', (id) => {
    expect(isEventIdText(id)).toBe(false);
  });

  it('given ids, when searched for nine digits in a row, then only a run of nine or more counts', () => {
    expect(holdsNineDigitRun('evt-111222333')).toBe(true);
    expect(holdsNineDigitRun('1760000000')).toBe(true);
    expect(holdsNineDigitRun('evt-11122233-3')).toBe(false);
    expect(holdsNineDigitRun('12345678')).toBe(false);
  });
});
