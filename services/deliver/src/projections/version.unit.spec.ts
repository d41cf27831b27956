import { describe, expect, it } from 'vitest';
import { compareVersions, isNewer, newestVersion } from './version.ts';

const v = (occurredAt: number, eventId: string) => ({ occurredAt, eventId });

describe('versions', () => {
  it('given two versions, when compared, then occurredAt decides first and the eventId breaks a tie', () => {
    expect(compareVersions(v(1, 'z'), v(2, 'a'))).toBeLessThan(0);
    expect(compareVersions(v(2, 'a'), v(2, 'b'))).toBeLessThan(0);
    expect(compareVersions(v(2, 'b'), v(2, 'b'))).toBe(0);
    // by code unit, not by locale: 'B' (66) sorts before 'a' (97)
    expect(compareVersions(v(2, 'B'), v(2, 'a'))).toBeLessThan(0);
  });

  it('given known versions, when a candidate is checked, then only a strictly newer one is newer', () => {
    expect(isNewer(v(2, 'a'))).toBe(true);
    expect(isNewer(v(2, 'a'), null, undefined)).toBe(true);
    expect(isNewer(v(2, 'a'), v(1, 'a'), v(2, '0'))).toBe(true);
    expect(isNewer(v(2, 'a'), v(2, 'a'))).toBe(false);
    expect(isNewer(v(2, 'a'), v(1, 'a'), v(3, 'a'))).toBe(false);
  });

  it('given versions and gaps, when the newest is asked, then it is the newest one or null', () => {
    expect(newestVersion(null, v(1, 'a'), undefined, v(1, 'b'))).toEqual(v(1, 'b'));
    expect(newestVersion(null, undefined)).toBeNull();
  });
});
