import { describe, expect, it } from 'vitest';
import { compareVersions, isNewer, newestVersion } from './version.ts';

const v = (occurredOn: number, order: number, recordId: string) => ({ occurredOn, order, recordId });

describe('versions', () => {
  it('given two versions, when compared, then the date decides first, then the order within the day, and the record id breaks a tie', () => {
    expect(compareVersions(v(1, 900, 'z'), v(2, 1, 'a'))).toBeLessThan(0);
    expect(compareVersions(v(2, 1, 'z'), v(2, 5, 'a'))).toBeLessThan(0);
    expect(compareVersions(v(2, 5, 'a'), v(2, 5, 'b'))).toBeLessThan(0);
    expect(compareVersions(v(2, 5, 'b'), v(2, 5, 'b'))).toBe(0);
    // by code unit, not by locale: 'B' (66) sorts before 'a' (97)
    expect(compareVersions(v(2, 5, 'B'), v(2, 5, 'a'))).toBeLessThan(0);
  });

  it('given known versions, when a candidate is checked, then only a strictly newer one is newer', () => {
    expect(isNewer(v(2, 0, 'a'))).toBe(true);
    expect(isNewer(v(2, 0, 'a'), null, undefined)).toBe(true);
    expect(isNewer(v(2, 3, 'a'), v(1, 9, 'a'), v(2, 2, 'z'))).toBe(true);
    expect(isNewer(v(2, 3, 'a'), v(2, 3, 'a'))).toBe(false);
    expect(isNewer(v(2, 3, 'a'), v(1, 0, 'a'), v(3, 0, 'a'))).toBe(false);
  });

  it('given versions and gaps, when the newest is asked, then it is the newest one or null', () => {
    expect(newestVersion(null, v(1, 1, 'a'), undefined, v(1, 1, 'b'))).toEqual(v(1, 1, 'b'));
    expect(newestVersion(null, undefined)).toBeNull();
  });
});
