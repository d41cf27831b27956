import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { rawPersonKey } from './raw-person-key.ts';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

describe('rawPersonKey', () => {
  it('given a raw line with a BSN or an onderwijsnummer, when keyed, then the key is the sha256 hex of soort:nummer', () => {
    expect(rawPersonKey('{"persoon":{"bsn":"111222333"}}')).toBe(sha256('BSN:111222333'));
    expect(rawPersonKey('{"persoon":{"onderwijsnummer":"111222333"}}')).toBe(sha256('ONDERWIJSNUMMER:111222333'));
  });

  it('given the same digits as BSN and as onderwijsnummer, when keyed, then the keys differ', () => {
    expect(rawPersonKey('{"persoon":{"bsn":"111222333"}}')).not.toBe(rawPersonKey('{"persoon":{"onderwijsnummer":"111222333"}}'));
  });

  it('given a line that is not valid (ingest will refuse it), when keyed, then the key still follows the number', () => {
    // the publishers key before validation: an invalid event of a person still lands on that person's partition
    expect(rawPersonKey('{"eventType":"nonsense","persoon":{"bsn":"111222333"}}')).toBe(sha256('BSN:111222333'));
  });

  it('given a line without a person number, then there is no key', () => {
    expect(rawPersonKey('not json')).toBeNull();
    expect(rawPersonKey('null')).toBeNull();
    expect(rawPersonKey('{"persoon":{"bsn":123}}')).toBeNull();
  });
});
